/**
 * Tokens that expire or are revoked (platform.md section 8): the client logs in again once on
 * 401 and repeats the call, so a copy goes on through a revocation with nothing lost or
 * doubled; a 401 right after a fresh log-in is AUTH_FAILED, and the CLI exits 3.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformApi, type ApiEvent } from '../src/platform/api.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { copyScans } from '../src/workflows/copy.js';
import { censusByFileSets, cliInstanceArgs, runCli, startCopyPair, type CopyPair } from './helpers/copy.js';
import { rawApi, startTestSandbox } from './helpers/sandbox.js';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../bin/scancopy');

describe('sandbox tokens', () => {
  let dead: RunningSandbox;
  beforeAll(async () => {
    dead = await startTestSandbox({ seedDemo: { scans: 1 }, tokenTtlMs: 0 });
  });
  afterAll(async () => dead?.close());

  it('answers 401 Invalid token to a token past --token-ttl, and a revoked one, and hands out a new token at log-in', async () => {
    const live = await startTestSandbox({ seedDemo: { scans: 1 }, tokenTtlMs: 3_600_000 });
    try {
      const api = await rawApi(live);
      expect((await api.get('/api/v1/master-data/file-upload/1/')).status).toBe(200);
      live.expireTokens();
      const revoked = await api.get('/api/v1/master-data/file-upload/1/');
      expect([revoked.status, await revoked.json()]).toEqual([401, { detail: 'Invalid token.' }]);
      const again = await rawApi(live);
      expect(again.token).not.toBe(api.token);
      expect((await again.get('/api/v1/master-data/file-upload/1/')).status).toBe(200);
    } finally {
      await live.close();
    }
    const expired = await rawApi(dead);
    expect((await expired.get('/api/v1/master-data/file-upload/1/')).status).toBe(401);
  });

  it('makes a 401 right after a fresh log-in AUTH_FAILED, after exactly one re-login', async () => {
    const events: ApiEvent[] = [];
    const api = new PlatformApi({ baseUrl: dead.apiUrl, username: dead.username, password: dead.password, onEvent: (e) => events.push(e) });
    try {
      await expect(api.getFileMeta(1)).rejects.toMatchObject({ code: 'AUTH_FAILED' });
      expect(events.filter((e) => e.type === 'relogin')).toHaveLength(1);
    } finally {
      await api.close();
    }
  });

  it('exits 3 from the CLI when every token is refused', async () => {
    const out = await mkdtemp(join(tmpdir(), 'scancopy-tokens-'));
    try {
      const env = { ...process.env, SCANCOPY_SOURCE_USERNAME: dead.username, SCANCOPY_SOURCE_PASSWORD: dead.password, SCANCOPY_SOURCE_DB_PASSWORD: '' };
      const args = [BIN, 'download', '--source-api', dead.apiUrl, '--source-db', dead.dbUrl, '--scans', '1', '--out', join(out, 'images')];
      const err = (await run(process.execPath, args, { env, encoding: 'utf8' }).catch((e: unknown) => e)) as { code: number; stdout: string; stderr: string };
      expect(err.code).toBe(3);
      expect(`${err.stdout}${err.stderr}`).toContain('AUTH_FAILED');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('tokens that expire again and again during a copy (--token-ttl)', () => {
  // Long enough that a loaded machine's stall between a fresh log-in and the call it repeats
  // stays inside one lifetime (that would be a true AUTH_FAILED), short against the copy.
  const TTL_MS = 1000;
  let pair: CopyPair;
  beforeAll(async () => {
    // Every call 100 ms slower and one create at a time: the 40 creates alone take 4 s, several token lifetimes on both sides.
    const sandbox = { tokenTtlMs: TTL_MS, faults: '*:latency=100ms' };
    pair = await startCopyPair({ scans: 40, source: sandbox, target: sandbox });
  });
  afterAll(async () => pair?.close());

  it('logs in again each time and finishes with every scan created once, exit 0', { timeout: 120_000 }, async () => {
    const { args, env } = cliInstanceArgs(pair);
    const run = await runCli(['copy', ...args, '--scans', pair.scanIds.join(','), '--target-store', String(pair.targetStoreId), '--results', pair.resultsDir, '--batch-size', '5', '--create-workers', '1'], { cwd: pair.resultsDir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Created:  40');
    expect(run.stdout).toContain('Failed:   0');
    // The copy took several token lifetimes: without a log-in after each expiry its calls would have failed 401.
    const seconds = Number(/^Duration: ([\d.]+) s/m.exec(run.stdout)?.[1]);
    expect(seconds * 1000).toBeGreaterThan(3 * TTL_MS);
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, pair.targetStoreId);
    expect({ duplicates: census.duplicates, missing: census.missing, targets: census.targets }).toEqual({ duplicates: 0, missing: 0, targets: 40 });
  });
});

describe('a token revoked in the middle of a copy', () => {
  let pair: CopyPair;
  beforeAll(async () => {
    pair = await startCopyPair({ scans: 12 });
  });
  afterAll(async () => pair?.close());

  it('logs in again and goes on: every scan created once', async () => {
    let revoked = 0;
    const result = await copyScans(pair.options({ batchSize: 4 }), {
      onEvent: (e) => {
        // After the first create of each of the first two batches: the next calls on both sides meet a dead token.
        if (e.type === 'created' && revoked < 2 && e.batch === revoked + 1) {
          revoked += 1;
          pair.source.expireTokens();
          pair.target.expireTokens();
        }
      },
    });
    expect(revoked).toBe(2);
    expect(result).toMatchObject({ scans: 12, created: 12, failed: 0, skipped: 0 });
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, pair.targetStoreId);
    expect({ duplicates: census.duplicates, missing: census.missing }).toEqual({ duplicates: 0, missing: 0 });
  });
});
