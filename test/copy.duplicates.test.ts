/**
 * The duplicate sweep and its repair, with duplicates planted by hand (a scan created again
 * through the API from a copy's files): the copy's final sweep reports them (result, CSV,
 * events, exit 1), `verify` finds them, and `verify --delete-duplicates` deletes only the
 * extras, after a confirmation, journaled; a dry run deletes nothing.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/reports/csv.js';
import { copyScans, type CopyEvent, type CopyResult } from '../src/workflows/copy.js';
import { verifyCopy } from '../src/workflows/verify.js';
import { testEngines } from './helpers/databases.js';
import { censusByFileSets, cliInstanceArgs, runCli, startCopyPair, type CopyPair } from './helpers/copy.js';
import { rawApi } from './helpers/sandbox.js';

describe.each(testEngines())('duplicates planted by hand on $name', (engine) => {
  let pair: CopyPair;
  let copy: CopyResult;
  let planted: Map<number, number>;
  beforeAll(async () => {
    pair = await startCopyPair({ engine, scans: 6, target: { rejectReusedFiles: false } });
    copy = await copyScans(pair.options());
    // Two copies made again from their own uploaded files, as a blind re-create would.
    const api = await rawApi(pair.target);
    planted = new Map();
    for (const { targetScanId } of copy.mapping.slice(1, 3)) {
      const files = await pair.target.db.query<{ file_id: number }>('SELECT file_id FROM realograms_implementation_scanfile WHERE scan_id = $1 ORDER BY id', [targetScanId]);
      const res = await api.create({ store: pair.targetStoreId, files: files.map((f) => f.file_id) });
      expect(res.status).toBe(201);
      planted.set(targetScanId, ((await res.json()) as { id: number }).id);
    }
  });
  afterAll(async () => pair?.close());

  const expected = (): Array<{ sourceScanId: number; keptTargetScanId: number; extraTargetScanIds: number[] }> =>
    copy.mapping.filter((m) => planted.has(m.targetScanId)).map((m) => ({ sourceScanId: m.sourceScanId, keptTargetScanId: m.targetScanId, extraTargetScanIds: [planted.get(m.targetScanId) as number] }));

  it('the copy ends with a sweep that names them: result, duplicates CSV and events', async () => {
    expect(copy.duplicates).toEqual([]);
    const events: CopyEvent[] = [];
    const again = await copyScans(pair.options({ resume: true }), { onEvent: (e) => events.push(e) });
    expect(again).toMatchObject({ created: 6, failed: 0, duplicates: expected() });
    expect(again.sweepSkipped).toBeUndefined();
    expect(events.filter((e) => e.type === 'duplicate')).toHaveLength(2);
    const rows = await readCsv(again.files.duplicates);
    expect(rows).toEqual(expected().map((d) => ({ Source_Scan_ID: String(d.sourceScanId), Kept_Target_Scan_ID: String(d.keptTargetScanId), Extra_Target_Scan_IDs: String(d.extraTargetScanIds[0]) })));
  });

  it('verify finds them beside a clean pair check, and says the sweep cannot run without the target DB', async () => {
    const result = await verifyCopy({ source: { api: pair.sourceApi, db: pair.source.db }, target: { api: pair.targetApi, db: pair.target.db }, pairs: copy.mapping, mode: 'auto' });
    expect(result).toMatchObject({ checked: 6, passed: 6, mismatches: [], duplicates: expected() });
    const noDb = await copyScans(pair.options({ resume: true, target: { apiUrl: pair.target.apiUrl, api: pair.targetApi } }));
    expect(noDb.duplicates).toEqual([]);
    expect(noDb.sweepSkipped).toContain('no target database');
  });

  it('verify --delete-duplicates asks first, lists them on a dry run, then deletes only the extras', async () => {
    const { args, env } = cliInstanceArgs(pair);
    const verify = ['verify', ...args, '--mapping', copy.files.mapping];
    const scans = async (): Promise<number> => (await pair.target.db.query('SELECT id FROM realograms_implementation_scan WHERE store_id = $1', [pair.targetStoreId])).length;

    const plain = await runCli(verify, { cwd: pair.resultsDir, env });
    expect(plain.code, plain.stderr).toBe(1);
    expect(plain.stdout).toContain('Duplicates: 2 extra target scan(s) of 2 copied scan(s)');

    const unconfirmed = await runCli([...verify, '--delete-duplicates'], { cwd: pair.resultsDir, env });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('needs a confirmation');
    const dry = await runCli([...verify, '--delete-duplicates', '--dry-run'], { cwd: pair.resultsDir, env });
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain('Dry run: nothing deleted.');
    expect(await scans()).toBe(8);
    // `scancopy dedupe RUN` is the same, the run folder giving the mapping.
    const alias = await runCli(['dedupe', copy.runDir, ...args], { cwd: pair.resultsDir, env });
    expect(alias.code).toBe(2);
    expect(alias.stderr).toContain('needs a confirmation');
    const aliasDry = await runCli(['dedupe', copy.runDir, ...args, '--dry-run'], { cwd: pair.resultsDir, env });
    expect(aliasDry.code, aliasDry.stderr).toBe(1);
    expect(aliasDry.stdout).toContain('source ');
    expect(aliasDry.stdout).toContain('Dry run: nothing deleted.');
    expect(await scans()).toBe(8);

    const done = await runCli([...verify, '--delete-duplicates', '--yes'], { cwd: pair.resultsDir, env });
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('Deleted 2 duplicate target scan(s).');
    expect(await scans()).toBe(6);
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, pair.targetStoreId);
    expect(census).toMatchObject({ duplicates: 0, missing: 0, targets: 6 });
    const left = await pair.target.db.query<{ id: number }>('SELECT id FROM realograms_implementation_scan WHERE id = ANY($1::bigint[])', [copy.mapping.map((m) => m.targetScanId)]);
    expect(left).toHaveLength(6);
    const journal = (await readFile(join(dirname(copy.files.mapping), 'dedupe.ndjson'), 'utf8')).trim().split('\n').slice(1).map((l) => (JSON.parse(l) as { record: { t: string; target: number } }).record);
    expect(journal.filter((r) => r.t === 'delete-intent').map((r) => r.target).sort()).toEqual([...planted.values()].sort());
    expect(journal.filter((r) => r.t === 'deleted').map((r) => r.target).sort()).toEqual([...planted.values()].sort());

    const clean = await runCli(verify, { cwd: pair.resultsDir, env });
    expect(clean.code, clean.stdout).toBe(0);
  });
});
