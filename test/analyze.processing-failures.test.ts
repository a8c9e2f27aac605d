/**
 * Copies that the target fails to process (sandbox --processing-errors): they end in `error`
 * or `interrupted` with no report; the analysis stops waiting for them at once, never compares
 * them and says "Target Processing Failed"; `find --done-only` leaves them out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInstance, type Instance } from '../src/platform/instance.js';
import { findScanSummaries } from '../src/platform/queries.js';
import { readCsv } from '../src/reports/csv.js';
import { analyzeScans, type AnalyzeResult, type ScanPair } from '../src/workflows/analyze.js';
import { waitForProcessing } from '../src/workflows/analyze/wait.js';
import { copyScans } from '../src/workflows/copy.js';
import { testEngines } from './helpers/databases.js';
import { startTestSandboxPair, type TestSandboxPair } from './helpers/sandbox.js';

describe.each(testEngines())('processing failures on the target ($name)', (engine) => {
  let pair: TestSandboxPair;
  let source: Instance;
  let target: Instance;
  let dir: string;
  let pairs: ScanPair[];
  let result: AnalyzeResult;
  let states: Map<number, { status: string; has_report: boolean; active_realogram_id: number | null }>;

  beforeAll(async () => {
    pair = await startTestSandboxPair({ engine, scans: 16, target: { processingErrorRate: 0.5 } });
    dir = await mkdtemp(join(tmpdir(), 'scancopy-failures-'));
    const open = (name: string, s: typeof pair.source): Promise<Instance> =>
      openInstance({ name, apiUrl: s.apiUrl, dbUrl: s.dbUrl, username: s.username, password: s.password });
    [source, target] = await Promise.all([open('src', pair.source), open('tgt', pair.target)]);
    const ids = (await pair.source.db.query<{ id: number }>('SELECT id FROM realograms_implementation_scan WHERE store_id = 1 ORDER BY id')).map((r) => r.id);
    const copied = await copyScans({
      source: { apiUrl: pair.source.apiUrl, api: source.api, db: source.db },
      target: { apiUrl: pair.target.apiUrl, api: target.api, db: target.db },
      scanIds: ids,
      targetStoreId: 1,
      mode: 'auto',
      resultsDir: join(dir, 'copies'),
    });
    expect(copied).toMatchObject({ created: ids.length, failed: 0 });
    pairs = copied.mapping.map((m) => ({ sourceId: m.sourceScanId, targetId: m.targetScanId }));
    result = await analyzeScans({
      source: { db: source.db },
      target: { db: target.db },
      pairs,
      runDir: copied.runDir,
      timestamp: '20261201_090000',
      waitMs: 300_000,
      pollMs: 50,
    });
    const rows = await pair.target.db.query<{ id: number; status: string; has_report: boolean; active_realogram_id: number | null }>(
      'SELECT id, status, has_report, active_realogram_id FROM realograms_implementation_scan ORDER BY id',
    );
    states = new Map(rows.map(({ id, ...state }) => [id, state]));
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled([source?.close(), target?.close()]);
    await pair?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ends a share of the copies in error or interrupted, with no realogram and no report', () => {
    const failed = [...states.values()].filter((s) => s.status !== 'done');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(states.size);
    for (const s of failed) expect(s).toMatchObject({ status: expect.stringMatching(/^(error|interrupted)$/), has_report: false, active_realogram_id: null });
  });

  it('stops waiting for them, reports them as failed and never compares them', async () => {
    const failedIds = [...states].filter(([, s]) => s.status !== 'done').map(([id]) => id);
    expect(result.timedOut).toBe(false);
    // The result lists them in the pairs' order; target ids follow the order the creates landed in.
    expect([...result.processingFailed].sort((a, b) => a - b)).toEqual(failedIds);
    expect(result.notProcessed).toEqual([]);
    const csv = await readCsv(result.files.analysisCsv);
    for (const row of csv) {
      const failed = failedIds.includes(Number(row.target_scan_id));
      expect(row.comment === 'Target Processing Failed').toBe(failed);
      if (failed) expect([row.target_planogram_name, row.target_section_name, row.target_pre_pog_percentage]).toEqual(['', '', '']);
    }
    expect(result.counts['Target Processing Failed']).toBe(csv.filter((r) => failedIds.includes(Number(r.target_scan_id))).length);
  });

  it('leaves them out of find --done-only and lists them without it', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const done = await findScanSummaries(target.db, { storeId: 1, from: day, to: day, doneOnly: true });
    const all = await findScanSummaries(target.db, { storeId: 1, from: day, to: day });
    expect(done.map((s) => s.id).sort((a, b) => a - b)).toEqual([...states].filter(([, s]) => s.status === 'done' && s.has_report).map(([id]) => id));
    expect(all).toHaveLength(states.size);
  });

  it('treats every terminal state as terminal and the others as still processing', async () => {
    const inserted = await pair.target.db.query<{ id: number; status: string }>(
      `INSERT INTO realograms_implementation_scan (store_id, status, has_report)
       SELECT 1, s, false FROM unnest(ARRAY['created', 'progress', 'error', 'interrupted', 'done']) AS s RETURNING id, status`,
    );
    const outcome = await waitForProcessing(target.db, inserted.map((r) => r.id), { waitMs: 0, pollMs: 10 });
    expect(outcome).toMatchObject({ total: 5, processed: 0, failed: 3, pending: 2, timedOut: true });
    expect(outcome.pendingIds).toEqual(inserted.filter((r) => r.status === 'created' || r.status === 'progress').map((r) => r.id));
  });
});
