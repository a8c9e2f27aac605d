/**
 * Creates that commit late (platform.md section 9): the target answers 504 at once to 30 %
 * of creates and commits them late-ms later, on a target that accepts reused files, so a
 * re-create before the commit would duplicate a scan. With late-ms shorter and longer than
 * the reconcile delay, and killed at every crash point (settling included) then resumed, the
 * copy ends with exactly one target scan per source scan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyScans, type CopyEvent } from '../src/workflows/copy.js';
import { testEngines } from './helpers/databases.js';
import { censusByFileSets, cliInstanceArgs, runCli, startCopyPair, type CopyPair } from './helpers/copy.js';

const RECONCILE_DELAY_MS = 200;
const CASES = [
  { name: 'shorter', lateMs: 80 },
  { name: 'longer', lateMs: 900 },
] as const;

describe.each(testEngines())('late-committed creates on $name', (engine) => {
  describe.each(CASES)('late-ms $name than the reconcile delay', ({ lateMs }) => {
    let pair: CopyPair;
    beforeAll(async () => {
      pair = await startCopyPair({ engine, scans: 20, target: { rejectReusedFiles: false, faultSeed: 7, lateMs } });
    });
    afterAll(async () => pair?.close());

    it('copies every scan exactly once', async () => {
      pair.target.setFaults('create:late=0.3');
      const events: CopyEvent[] = [];
      const result = await copyScans(pair.options({ batchSize: 5, reconcileDelayMs: RECONCILE_DELAY_MS, commitHorizonMs: lateMs + 2000 }), { onEvent: (e) => events.push(e) });
      pair.target.setFaults('');
      await pair.target.waitForDeferredWork();

      expect(result).toMatchObject({ created: 20, failed: 0 });
      expect(events.filter((e) => e.type === 'created' && e.via === 'reconciled').length).toBeGreaterThan(2);
      const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, pair.targetStoreId);
      expect(census).toMatchObject({ duplicates: 0, missing: 0, targets: 20 });
      const mapped = new Set(result.mapping.map((m) => m.targetScanId));
      const onTarget = await pair.target.db.query<{ id: number }>('SELECT id FROM realograms_implementation_scan WHERE store_id = $1', [pair.targetStoreId]);
      expect(new Set(onTarget.map((r) => r.id))).toEqual(mapped);
    });
  });
});

/** Kills (SIGKILL, SCANCOPY_CRASH_AT) while creates commit late; the first one while a scan settles. */
const CRASHES = ['while-settling:1', 'after-upload:9', 'before-create-journal:4', 'after-create:4', 'mid-checkpoint:1'] as const;

describe.each(testEngines())('a copy killed while creates commit late, then resumed, on $name', (engine) => {
  let pair: CopyPair;
  let stores: number[];
  beforeAll(async () => {
    // Later than the CLI's first look (1 s after the 504), sooner than the horizon (3 s).
    pair = await startCopyPair({ engine, scans: 10, target: { rejectReusedFiles: false, faultSeed: 5, lateMs: 2000 } });
    // One target store per kill: separate jobs, separately counted.
    stores = [];
    for (const spec of CRASHES) {
      const [row] = await pair.target.db.query<{ id: number }>('INSERT INTO master_data_implementation_store (name) VALUES ($1) RETURNING id', [`late ${spec}`]);
      stores.push(row?.id as number);
    }
  });
  afterAll(async () => pair?.close());

  it.each(CRASHES.map((spec, i) => ({ spec, i })))('creates each scan once after a kill at $spec', async ({ spec, i }) => {
    const store = stores[i] as number;
    const { args, env } = cliInstanceArgs(pair);
    const copy = ['copy', ...args, '--scans', pair.scanIds.join(','), '--target-store', String(store), '--results', pair.resultsDir, '--batch-size', '3', '--log-format', 'json', '--commit-horizon', '3s'];
    pair.target.setFaults('create:late=0.3');
    try {
      const killed = await runCli(copy, { cwd: pair.resultsDir, env: { ...env, SCANCOPY_CRASH_AT: spec } });
      expect(killed.signal, `${spec}: ${killed.stderr}`).toBe('SIGKILL');
      if (spec.startsWith('while-settling')) expect(killed.stdout).toContain('"type":"settling"');
      const resumed = await runCli([...copy, '--resume'], { cwd: pair.resultsDir, env });
      expect(resumed.code, resumed.stderr).toBe(0);
      const result = JSON.parse(resumed.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
      expect(result).toMatchObject({ type: 'result', created: 10, failed: 0, resumed: true });
    } finally {
      pair.target.setFaults('');
    }
    await pair.target.waitForDeferredWork();
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, store);
    expect(census).toMatchObject({ duplicates: 0, missing: 0, targets: 10 });
  });
});
