/**
 * `scancopy verify` on a good copy passes (exit 0), and on a copy tampered with in the target
 * database reports each difference in its table (exit 1): a changed byte, a changed payload
 * field, a lost file, a mapped field left in an auto copy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyScans, type CopyResult } from '../src/workflows/copy.js';
import { verifyCopy } from '../src/workflows/verify.js';
import { testEngines } from './helpers/databases.js';
import { cliInstanceArgs, runCli, startCopyPair, type CopyPair } from './helpers/copy.js';

describe.each(testEngines())('verify on $name', (engine) => {
  let pair: CopyPair;
  let copy: CopyResult;
  beforeAll(async () => {
    pair = await startCopyPair({ engine, scans: 8 });
    copy = await copyScans(pair.options({ mode: 'auto' }));
  });
  afterAll(async () => pair?.close());

  it('passes a good copy: same files, same bytes, the auto payload', async () => {
    const { args, env } = cliInstanceArgs(pair);
    const run = await runCli(['verify', ...args, '--mapping', copy.files.mapping, '--target-store', String(pair.targetStoreId)], { cwd: pair.resultsDir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Verified 8 pairs (auto mode): 8 identical, 0 with differences');
    expect(run.stdout).toContain('No mismatches.');
  });

  it("takes the pairs and the mode from the run's checkpoint as well as from its mapping CSV", async () => {
    const { args, env } = cliInstanceArgs(pair);
    const run = await runCli(['verify', ...args, '--mapping', copy.files.checkpoint], { cwd: pair.resultsDir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Verified 8 pairs (auto mode): 8 identical, 0 with differences');
  });

  it('reports a changed byte, a changed field, a lost file and a field auto mode drops', async () => {
    const db = pair.target.db;
    const [multi] = await db.query<{ scan_id: number }>(
      'SELECT scan_id FROM realograms_implementation_scanfile WHERE scan_id = ANY($1::bigint[]) GROUP BY scan_id HAVING count(*) > 1 ORDER BY scan_id LIMIT 1',
      [copy.mapping.map((m) => m.targetScanId)],
    );
    const others = copy.mapping.map((m) => m.targetScanId).filter((id) => id !== multi?.scan_id);
    const [bytesOf, fieldOf, droppedOf] = others as [number, number, number];
    await db.query(
      `UPDATE sandbox_fileupload SET content = overlay(content placing '\\xff'::bytea from 30 for 1)
        WHERE id = (SELECT min(file_id) FROM realograms_implementation_scanfile WHERE scan_id = $1)`,
      [bytesOf],
    );
    await db.query(`UPDATE realograms_implementation_scan SET provided_values = jsonb_set(provided_values, '{_raw_data,device_id}', '"tampered"') WHERE id = $1`, [fieldOf]);
    await db.query(`UPDATE realograms_implementation_scan SET provided_values = jsonb_set(provided_values, '{_raw_data,aisle}', '"A1"') WHERE id = $1`, [droppedOf]);
    await db.query('DELETE FROM realograms_implementation_scanfile WHERE id = (SELECT max(id) FROM realograms_implementation_scanfile WHERE scan_id = $1)', [multi?.scan_id]);

    const { args, env } = cliInstanceArgs(pair);
    const run = await runCli(['verify', ...args, '--mapping', copy.files.mapping], { cwd: pair.resultsDir, env });
    expect(run.code, run.stderr).toBe(1);
    const rows = run.stdout.split('\n').filter((l) => /^\d+\s+\d+\s+\S+/.test(l));
    const row = (target: number, check: string) => rows.find((l) => l.split(/\s+/)[1] === String(target) && l.split(/\s+/)[2] === check);
    expect(row(bytesOf, 'content')).toBeDefined();
    expect(row(fieldOf, 'payload')).toContain('device_id is "tampered"');
    expect(row(droppedOf, 'payload')).toContain('aisle should be dropped in auto mode');
    expect(row(multi?.scan_id as number, 'file-count')).toBeDefined();
    expect(row(multi?.scan_id as number, 'payload')).toContain('files is');
    expect(run.stdout).toContain('Source_Scan_ID  Target_Scan_ID  Check');

    const direct = await verifyCopy({
      source: { api: pair.sourceApi, db: pair.source.db },
      target: { api: pair.targetApi, db: pair.target.db },
      pairs: [...copy.mapping.map((m) => ({ ...m })), { sourceScanId: 424242, targetScanId: null }],
      mode: 'auto',
    });
    expect(direct).toMatchObject({ checked: 8, passed: 4, notCopied: [424242] });
  });

  it("passes a mapped copy whose store planograms are the target store's of the same planograms, and reports one of another planogram", async () => {
    const [full] = await pair.target.db.query<{ id: number }>('SELECT min(id)::int AS id FROM master_data_implementation_store');
    const mapped = await copyScans(pair.options({ mode: 'mapped', targetStoreId: full?.id as number }));
    const options = { source: { api: pair.sourceApi, db: pair.source.db }, target: { api: pair.targetApi, db: pair.target.db }, pairs: mapped.mapping, mode: 'mapped' as const };
    const good = await verifyCopy(options);
    expect(good).toMatchObject({ checked: 8, passed: 8 });
    // Refiled under a store planogram of the same store but another planogram.
    const [victim] = mapped.mapping;
    const [other] = await pair.target.db.query<{ id: number }>(
      `SELECT ps.id FROM planograms_implementation_planogramstore ps, realograms_implementation_scan s
        WHERE s.id = $1 AND ps.store_id = s.store_id AND ps.id <> (s.provided_values -> '_raw_data' ->> 'store_planogram')::bigint
          AND ps.planogram_id <> (SELECT planogram_id FROM planograms_implementation_planogramstore WHERE id = (s.provided_values -> '_raw_data' ->> 'store_planogram')::bigint)
        ORDER BY ps.id LIMIT 1`,
      [victim?.targetScanId],
    );
    await pair.target.db.query(`UPDATE realograms_implementation_scan SET provided_values = jsonb_set(provided_values, '{_raw_data,store_planogram}', to_jsonb($2::bigint)) WHERE id = $1`, [victim?.targetScanId, other?.id]);
    const bad = await verifyCopy(options);
    expect(bad.passed).toBe(7);
    expect(bad.mismatches).toEqual([expect.objectContaining({ targetScanId: victim?.targetScanId, check: 'payload', detail: expect.stringMatching(/^store_planogram is \d+, source \d+$/) })]);
  });
});
