/**
 * The 60 demo scans (multi-file and plain-payload ones included) copied between two
 * sandboxes in auto and in mapped mode: every scan created once, with exactly the payload of
 * platform.md section 4 and byte-identical files in the source order, as the target DB has them.
 * Mapped mode names the target store's store planogram of the source's planogram, since the
 * platform refuses another store's; into a store that lacks some planograms, those scans
 * fail before any upload, and no such payload is ever sent.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/reports/csv.js';
import { copyScans, planCopy, type CopyEvent, type CopyMode } from '../src/workflows/copy.js';
import { testEngines } from './helpers/databases.js';
import { startCopyPair, type CopyPair } from './helpers/copy.js';

const SERVER_FIELDS = ['id', 'created_at', 'updated_at', 'task_id'];
const MAPPING_FIELDS = ['category_id', 'section_id', 'store_planogram', 'aisle', 'replace_id'];

/** platform.md section 4, written out independently of src/workflows/copy/payload.ts. */
function expectedPayload(providedValues: Record<string, unknown>, mode: CopyMode, store: number, files: number[], capturedAt: number, inputType: string, storePlanograms: Map<number, number>): Record<string, unknown> {
  const raw = { ...((providedValues._raw_data ?? providedValues) as Record<string, unknown>) };
  for (const field of mode === 'auto' ? [...SERVER_FIELDS, ...MAPPING_FIELDS] : SERVER_FIELDS) delete raw[field];
  if (mode === 'mapped' && raw.store_planogram != null) raw.store_planogram = storePlanograms.get(Number(raw.store_planogram));
  // platform.md section 8: create takes the scan's input_type, here its files' type on the source.
  return { ...raw, store, files, captured_at: capturedAt, input_type: inputType };
}

/** Source store planogram -> the target store's of the same planogram: the same id when the store has it, else its newest. */
async function storePlanogramsFor(pair: CopyPair, store: number): Promise<Map<number, number>> {
  const source = await pair.source.db.query<{ id: number; planogram_id: number }>('SELECT id, planogram_id FROM planograms_implementation_planogramstore');
  const target = await pair.target.db.query<{ id: number; planogram_id: number }>('SELECT id, planogram_id FROM planograms_implementation_planogramstore WHERE store_id = $1 ORDER BY id', [store]);
  const out = new Map<number, number>();
  for (const sp of source) {
    const same = target.filter((t) => Number(t.planogram_id) === Number(sp.planogram_id)).map((t) => Number(t.id));
    const chosen = same.includes(Number(sp.id)) ? Number(sp.id) : same.at(-1);
    if (chosen !== undefined) out.set(Number(sp.id), chosen);
  }
  return out;
}

describe.each(testEngines())('copy of the demo scans on $name', (engine) => {
  let pair: CopyPair;
  beforeAll(async () => {
    pair = await startCopyPair({ engine, scans: 60 });
  });
  afterAll(async () => pair?.close());

  it.each(['auto', 'mapped'] as const)('copies every scan once in %s mode with the payload of platform.md 4', async (mode) => {
    const events: CopyEvent[] = [];
    const before = await targetScanCount(pair);
    // Mapped: into a store that carries every planogram (the pair's default target store carries some).
    const [full] = await pair.target.db.query<{ id: number }>('SELECT min(id)::int AS id FROM master_data_implementation_store');
    const targetStoreId = mode === 'mapped' ? (full?.id as number) : pair.targetStoreId;
    const storePlanograms = await storePlanogramsFor(pair, targetStoreId);
    const result = await copyScans(pair.options({ mode, targetStoreId }), { onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ scans: 60, created: 60, skipped: 0, failed: 0, pending: 0 });
    expect(result.mapping).toHaveLength(60);
    expect(await targetScanCount(pair)).toBe(before + 60);

    const checkpoint = JSON.parse(await readFile(result.files.checkpoint, 'utf8')) as { captured_at: number; completed_batches: number[]; scan_mapping: unknown[]; failed_scans: number };
    expect(checkpoint.completed_batches).toEqual([1, 2, 3, 4, 5, 6]);
    expect(checkpoint.scan_mapping).toHaveLength(60);
    expect(checkpoint.failed_scans).toBe(0);

    const sources = new Map(
      (await pair.source.db.query<{ id: number; provided_values: Record<string, unknown>; n: number; types: string[] }>(
        `SELECT s.id, s.provided_values, (SELECT count(*)::int FROM realograms_implementation_scanfile f WHERE f.scan_id = s.id) AS n,
                (SELECT json_agg(DISTINCT f.file_type) FROM realograms_implementation_scanfile f WHERE f.scan_id = s.id) AS types
           FROM realograms_implementation_scan s`,
      )).map((r) => [r.id, r]),
    );
    const targetIds = result.mapping.map((m) => m.targetScanId);
    const targets = new Map(
      (await pair.target.db.query<{ id: number; store_id: number; provided_values: { _raw_data: Record<string, unknown> }; files: number[] }>(
        `SELECT s.id, s.store_id, s.provided_values,
                (SELECT json_agg(f.file_id ORDER BY f.id) FROM realograms_implementation_scanfile f WHERE f.scan_id = s.id) AS files
           FROM realograms_implementation_scan s WHERE s.id = ANY($1::bigint[])`,
        [targetIds],
      )).map((r) => [r.id, r]),
    );
    let multiFile = 0;
    let plain = 0;
    for (const { sourceScanId, targetScanId } of result.mapping) {
      const source = sources.get(sourceScanId);
      const target = targets.get(targetScanId);
      expect(source && target, `pair ${sourceScanId} -> ${targetScanId}`).toBeTruthy();
      if (!source || !target) continue;
      const files = target.files.map(Number);
      expect(files).toHaveLength(source.n);
      expect(target.store_id).toBe(targetStoreId);
      expect(source.types).toHaveLength(1);
      expect(target.provided_values._raw_data).toEqual(expectedPayload(source.provided_values, mode, targetStoreId, files, checkpoint.captured_at, source.types[0] as string, storePlanograms));
      if (source.n > 1) multiFile += 1;
      if (!('_raw_data' in source.provided_values)) plain += 1;
    }
    expect(multiFile).toBeGreaterThan(10);
    expect(plain).toBeGreaterThan(0);

    // Same file contents, in the same order, for every pair.
    const order = async (db: typeof pair.source.db, ids: number[]) =>
      new Map(
        (await db.query<{ scan_id: number; hashes: string[] }>(
          `SELECT sf.scan_id, json_agg(f.sha256 ORDER BY sf.id) AS hashes FROM realograms_implementation_scanfile sf
             JOIN sandbox_fileupload f ON f.id = sf.file_id WHERE sf.scan_id = ANY($1::bigint[]) GROUP BY sf.scan_id`,
          [ids],
        )).map((r) => [r.scan_id, r.hashes]),
      );
    const sourceHashes = await order(pair.source.db, result.mapping.map((m) => m.sourceScanId));
    const targetHashes = await order(pair.target.db, targetIds);
    for (const { sourceScanId, targetScanId } of result.mapping) expect(targetHashes.get(targetScanId)).toEqual(sourceHashes.get(sourceScanId));

    const mapping = await readCsv(result.files.mapping);
    expect(result.files.mapping).toMatch(mode === 'auto' ? /scan_mapping_updated_\d{8}_\d{6}\.csv$/ : /[/\\]scan_mapping_\d{8}_\d{6}\.csv$/);
    expect(mapping.map((r) => [Number(r.Source_Scan_ID), Number(r.Target_Scan_ID)])).toEqual(result.mapping.map((m) => [m.sourceScanId, m.targetScanId]));
    const initial = await readCsv(result.files.initialMapping);
    expect(initial.every((r) => r.Target_Scan_ID === '')).toBe(true);
    expect(initial).toHaveLength(60);

    const types = new Set(events.map((e) => e.type));
    for (const t of ['copy-start', 'batch-start', 'queued', 'downloaded', 'uploaded', 'created', 'batch-complete', 'copy-done']) expect(types).toContain(t);
    const ndjson = (await readFile(result.files.events, 'utf8')).trim().split('\n');
    expect(ndjson.length).toBe(events.length);
  });

  it("mapped into a store that lacks some planograms: those scans fail before any upload, and no payload naming another store's planogram is sent", async () => {
    const storePlanograms = await storePlanogramsFor(pair, pair.targetStoreId);
    const sources = await pair.source.db.query<{ id: number; sp: number | null; files: number }>(
      `SELECT s.id, (COALESCE(s.provided_values -> '_raw_data', s.provided_values) ->> 'store_planogram')::bigint AS sp,
              (SELECT count(*)::int FROM realograms_implementation_scanfile f WHERE f.scan_id = s.id) AS files
         FROM realograms_implementation_scan s ORDER BY s.id`,
    );
    const lacking = sources.filter((s) => s.sp !== null && !storePlanograms.has(Number(s.sp))).map((s) => s.id);
    expect(lacking.length).toBeGreaterThan(0);
    expect(lacking.length).toBeLessThan(sources.length);
    // The dry run says so first, reading only.
    const plan = await planCopy({ source: { api: pair.sourceApi, db: pair.source.db }, target: { db: pair.target.db }, scanIds: pair.scanIds, targetStoreId: pair.targetStoreId, mode: 'mapped', countBytes: false });
    expect(plan.refused.map((r) => r.scanId)).toEqual(lacking);
    expect(plan.copyable).toBe(sources.length - lacking.length);
    const uploads = async (): Promise<number> => ((await pair.target.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sandbox_fileupload'))[0] as { n: number }).n;
    const [scansBefore, uploadsBefore] = [await targetScanCount(pair), await uploads()];

    const result = await copyScans(pair.options({ mode: 'mapped', batchRetries: 0 }));
    expect(result).toMatchObject({ created: sources.length - lacking.length, failed: lacking.length, skipped: 0 });
    expect(result.failures.map((f) => f.scanId)).toEqual(lacking);
    for (const f of result.failures) {
      expect(f).toMatchObject({ outcome: 'failed', stage: 'read', code: 'BAD_REQUEST' });
      expect(f.reason).toMatch(new RegExp(`^mapped mode: the source's store planogram \\d+ is planogram \\d+ \\(".+"\\), which target store ${pair.targetStoreId} does not carry; not sent`));
    }
    // Only the created scans' files went up, and every created scan names a store planogram of its own store.
    const created = new Set(result.mapping.map((m) => m.sourceScanId));
    expect(await uploads()).toBe(uploadsBefore + sources.filter((s) => created.has(s.id)).reduce((n, s) => n + s.files, 0));
    expect(await targetScanCount(pair)).toBe(scansBefore + created.size);
    const foreign = await pair.target.db.query(
      `SELECT s.id FROM realograms_implementation_scan s
         JOIN planograms_implementation_planogramstore ps ON ps.id = (s.provided_values -> '_raw_data' ->> 'store_planogram')::bigint
        WHERE s.id = ANY($1::bigint[]) AND ps.store_id <> s.store_id`,
      [result.mapping.map((m) => m.targetScanId)],
    );
    expect(foreign).toEqual([]);
  });
});

async function targetScanCount(pair: CopyPair): Promise<number> {
  const [row] = await pair.target.db.query<{ n: number }>('SELECT count(*)::int AS n FROM realograms_implementation_scan');
  return row?.n ?? 0;
}
