/**
 * Exactly once across a hard kill at each named crash point: `./bin/scancopy copy` dies by
 * SIGKILL there (SCANCOPY_CRASH_AT), `--resume` finishes the job, and the target then holds
 * exactly one scan per source scan, counted by the contents of their files.
 */
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/reports/csv.js';
import { testEngines } from './helpers/databases.js';
import { censusByFileSets, cliInstanceArgs, runCli, startCopyPair, type CopyPair } from './helpers/copy.js';

/** Where each kill lands: after some work is done, so the resume has both halves to join. */
const CRASHES = [
  { point: 'after-upload', spec: 'after-upload:9' },
  { point: 'before-create-journal', spec: 'before-create-journal:4' },
  { point: 'after-create', spec: 'after-create:4' },
  { point: 'after-created-journal', spec: 'after-created-journal:5' },
  { point: 'mid-checkpoint', spec: 'mid-checkpoint:1' },
] as const;

describe.each(testEngines())('a copy killed at a crash point and resumed on $name', (engine) => {
  let pair: CopyPair;
  let stores: number[];
  beforeAll(async () => {
    pair = await startCopyPair({ engine, scans: 10 });
    // One target store per crash point: separate jobs, separately counted.
    const rows = await pair.target.db.query<{ id: number }>('SELECT id FROM master_data_implementation_store ORDER BY id LIMIT $1', [CRASHES.length]);
    stores = rows.map((r) => r.id);
    while (stores.length < CRASHES.length) {
      const [added] = await pair.target.db.query<{ id: number }>("INSERT INTO master_data_implementation_store (name) VALUES ('Crash test store') RETURNING id");
      stores.push((added as { id: number }).id);
    }
  });
  afterAll(async () => pair?.close());

  it.each(CRASHES.map((c, i) => ({ ...c, i })))('creates each scan once after a kill at $point', async ({ spec, point, i }) => {
    const store = stores[i] as number;
    const { args, env } = cliInstanceArgs(pair);
    // A create in flight at the kill has an unknown outcome: the resume looks for it until the
    // horizon, which for a sandbox that commits before it answers can be short.
    const copy = ['copy', ...args, '--scans', pair.scanIds.join(','), '--target-store', String(store), '--results', pair.resultsDir, '--batch-size', '3', '--log-format', 'json', '--commit-horizon', '2s'];

    const killed = await runCli(copy, { cwd: pair.resultsDir, env: { ...env, SCANCOPY_CRASH_AT: spec } });
    expect(killed.signal, `${point}: ${killed.stderr}`).toBe('SIGKILL');
    const start = JSON.parse(killed.stdout.split('\n')[0] as string) as { type: string; runDir: string };
    expect(start.type).toBe('copy-start');
    if (point === 'mid-checkpoint') expect((await readdir(start.runDir)).some((n) => n.startsWith('.checkpoint_') && n.endsWith('.partial'))).toBe(true);

    const resumed = await runCli([...copy, '--resume'], { cwd: pair.resultsDir, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const lines = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const result = lines.at(-1) as { type: string; runDir: string; created: number; failed: number; resumed: boolean };
    expect(result).toMatchObject({ type: 'result', created: 10, failed: 0, resumed: true, runDir: start.runDir });

    const targetScans = await pair.target.db.query<{ id: number }>('SELECT id FROM realograms_implementation_scan WHERE store_id = $1', [store]);
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, store);
    expect({ targets: targetScans.length, duplicates: census.duplicates, missing: census.missing }).toEqual({ targets: 10, duplicates: 0, missing: 0 });

    const mapping = await readCsv((result as unknown as { files: { mapping: string } }).files.mapping);
    expect(new Set(mapping.map((r) => Number(r.Target_Scan_ID)))).toEqual(new Set(targetScans.map((t) => t.id)));
    // A checkpoint write cut short leaves only its temporary file, which the resume removes.
    expect((await readdir(start.runDir)).filter((n) => n.endsWith('.partial'))).toEqual([]);
    const events = (await readFile(`${start.runDir}/events.ndjson`, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string; scanId?: number; targetScanId?: number | null; recovered?: string });
    if (point === 'after-create') {
      // The scan created just before the kill was found in the target DB, not created again.
      expect(events.some((e) => e.type === 'reconciled' && typeof e.targetScanId === 'number')).toBe(true);
    }
    // The audit log is complete whatever the kill took: one `created` line per created scan, with its target.
    const createdLines = events.filter((e) => e.type === 'created');
    expect(createdLines.map((e) => e.scanId).sort((a, b) => (a as number) - (b as number))).toEqual([...pair.scanIds].sort((a, b) => a - b));
    expect(new Set(createdLines.map((e) => e.targetScanId))).toEqual(new Set(targetScans.map((t) => t.id)));
    if (point === 'after-created-journal') expect(createdLines.filter((e) => e.recovered === 'journal').length).toBeGreaterThanOrEqual(1);
  });
});
