/**
 * Progress without a terminal: a `[PROGRESS]` line with done/total scans, failures, rate and
 * ETA at each batch's end and on a clock; retries said with their reason and wait; an
 * interrupted batch never reads "finished with failures ... Failed: 0"; a resume with
 * nothing left reports no absurd rate.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { COPY_VIEW, CopyStatus } from '../src/cli/render/copy.js';
import { createEventRenderer, STATUS_EVERY_MS } from '../src/cli/render.js';
import type { CopyEvent } from '../src/workflows/copy.js';
import { cliInstanceArgs, runCli, startCopyPair, type CopyPair } from './helpers/copy.js';

const start = (scans: number, alreadyDone = 0): CopyEvent => ({
  type: 'copy-start', runDir: '/r', checkpoint: '/r/c.json', resumed: alreadyDone > 0, scans, batches: Math.ceil(scans / 5), batchSize: 5, mode: 'auto',
  barrier: false, limits: { download: 1, upload: 1, create: 1 }, alreadyDone, repaired: { tornJournal: false, leftovers: 0 },
});
const created = (scanId: number): CopyEvent => ({ type: 'created', batch: 1, scanId, targetScanId: scanId + 100, via: 'api', attempt: 1, latencyMs: 1, progress: { ok: 1, failed: 0, total: 5 } });
const batchDone = (over: Partial<Extract<CopyEvent, { type: 'batch-complete' }>> = {}): CopyEvent => ({
  type: 'batch-complete', batch: 1, batches: 4, attempt: 1, created: 4, skipped: 0, failed: 1, rates: { download: 0, upload: 0, create: 0 }, complete: false, elapsedMs: 1, ...over,
});

describe('the status line', () => {
  it('at a batch end: done of total, failures, this run\'s rate and the ETA', () => {
    let now = 0;
    const status = new CopyStatus(() => now);
    status.update(start(20));
    now = 2000;
    for (const id of [1, 2, 3, 4]) status.update(created(id));
    status.update({ type: 'failed', batch: 1, scanId: 5, stage: 'create', code: 'SERVER_ERROR', reason: 'x', attempt: 1, latencyMs: 1 });
    expect(status.update(batchDone())).toBe('[PROGRESS] 4/20 scans done, 1 failed, 2.50 scans/s, ETA 6 s');
  });

  it('a scan that failed and then was created on a retry counts as done', () => {
    const status = new CopyStatus(() => 1000);
    status.update(start(2));
    status.update({ type: 'failed', batch: 1, scanId: 1, stage: 'upload', code: 'SERVER_ERROR', reason: 'x', attempt: 1, latencyMs: 1 });
    status.update(created(1));
    expect(status.line()).toMatch(/^\[PROGRESS\] 1\/2 scans done, 0 failed, /);
  });

  it('a resume with nothing left: everything done, no absurd rate', () => {
    let now = 0;
    const status = new CopyStatus(() => now);
    status.update(start(60, 60));
    now = 3;
    expect(status.line()).toBe('[PROGRESS] 60/60 scans done, 0 failed, 0.00 scans/s, ETA 0 s');
  });

  it('an interrupted batch says it stopped, not that it finished with failures', () => {
    const lines = COPY_VIEW.plain(batchDone({ failed: 0, created: 2 })) as string[];
    expect(lines.join('\n')).toContain('Batch 1 stopped before its end');
    expect(lines.join('\n')).not.toContain('finished with failures');
    expect((COPY_VIEW.plain(batchDone()) as string[]).join('\n')).toContain('finished with failures');
  });
});

describe('the clock without a terminal', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it(`prints the status line every ${STATUS_EVERY_MS / 1000} s until the result`, () => {
    vi.useFakeTimers();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const renderer = createEventRenderer({ logFormat: 'text', quiet: false, tty: false }, COPY_VIEW, { stdout, stderr });
    renderer.onEvent(start(10));
    vi.advanceTimersByTime(STATUS_EVERY_MS * 2);
    expect(out.match(/\[PROGRESS\] 0\/10 scans done/g)).toHaveLength(2);
    renderer.result({}, ['done']);
    vi.advanceTimersByTime(STATUS_EVERY_MS * 3);
    expect(out.match(/\[PROGRESS\]/g)).toHaveLength(2);
  });
});

describe('scancopy copy in a log', () => {
  let pair: CopyPair;
  let cwd: string;
  beforeAll(async () => {
    pair = await startCopyPair({ scans: 6, target: { faults: 'upload:503=0.3', faultSeed: 7 } });
    cwd = await mkdtemp(join(tmpdir(), 'scancopy-progress-'));
  });
  afterAll(async () => {
    await pair?.close();
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('says each retry with its reason and wait, a status line per batch, and a resume with nothing left reads true', async () => {
    const { args, env } = cliInstanceArgs(pair);
    const copy = ['copy', ...args, '--scans', pair.scanIds.join(','), '--target-store', String(pair.targetStoreId), '--results', cwd, '--batch-size', '3'];
    const run = await runCli(copy, { cwd, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\[RETRY\] target upload: SERVER_ERROR \(HTTP 503\): .*; waiting \d+\.\d s before attempt 2/);
    const status = run.stdout.split('\n').filter((l) => l.startsWith('[PROGRESS]'));
    expect(status.length).toBeGreaterThanOrEqual(2);
    expect(status.at(-1)).toMatch(/^\[PROGRESS\] 6\/6 scans done, 0 failed, \d+\.\d\d scans\/s, ETA 0 s$/);

    const again = await runCli([...copy, '--resume'], { cwd, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Duration: \d+\.\d s \(0\.00 scans\/s\)/);
  });
});
