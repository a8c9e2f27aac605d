import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectAdditionalSectionIds } from '../src/platform/queries.js';
import { readImageTruth } from '../src/sandbox/jpeg.js';
import { seedCatalog, seedDemo, type SeedSummary } from '../src/sandbox/seed.js';
import { testEngines } from './helpers/databases.js';
import { emptyTables, fingerprintTables, openFreshDb, type FreshDb } from './helpers/platform-db.js';

const CATALOG_TABLES = [
  'master_data_implementation_store',
  'master_data_implementation_category',
  'planograms_implementation_planogram',
  'planograms_implementation_planogramsection',
  'planograms_implementation_planogramsectionproduct',
  'planograms_implementation_planogramstore',
];

describe.each(testEngines())('demo seed content on $name', (engine) => {
  let fresh: FreshDb;
  let summary: SeedSummary;
  beforeAll(async () => {
    fresh = await openFreshDb(engine);
    summary = await seedDemo(fresh.db);
  });
  afterAll(async () => fresh?.close());

  it('has a catalog of several stores, categories and planograms with 2-4 named sections', async () => {
    const { catalog } = summary;
    expect(catalog.stores.length).toBeGreaterThanOrEqual(3);
    expect(catalog.categories.length).toBeGreaterThanOrEqual(4);
    expect(catalog.planograms.length).toBeGreaterThanOrEqual(8);
    for (const p of catalog.planograms) {
      expect(p.sections.length).toBeGreaterThanOrEqual(2);
      expect(p.sections.length).toBeLessThanOrEqual(4);
    }
    const names = catalog.planograms.flatMap((p) => p.sections.map((s) => s.name));
    expect(names.some((n) => n.includes(','))).toBe(true);
    expect(names.some((n) => n.includes('"'))).toBe(true);
    for (const p of catalog.planograms) {
      expect(catalog.storePlanograms.filter((sp) => sp.planogramId === p.id).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('marks additional sections through their products, as the platform does', async () => {
    const sections = summary.catalog.planograms.flatMap((p) => p.sections);
    const flagged = sections.filter((s) => s.additional).map((s) => s.id);
    expect(flagged.length).toBeGreaterThanOrEqual(2);
    expect(await selectAdditionalSectionIds(fresh.db, sections.map((s) => s.id))).toEqual(flagged);
  });

  it('creates the requested number of processed scans, each with 1-3 files in order', async () => {
    const scans = await fresh.db.query<{ id: number; status: string; has_report: boolean; active_realogram_id: number | null; files: number[] }>(
      `SELECT s.id, s.status, s.has_report, s.active_realogram_id, json_agg(sf.file_id ORDER BY sf.id) AS files
         FROM realograms_implementation_scan s JOIN realograms_implementation_scanfile sf ON sf.scan_id = s.id
        GROUP BY s.id ORDER BY s.id`,
    );
    expect(scans).toHaveLength(60);
    expect([summary.scans, summary.firstScanId, summary.lastScanId]).toEqual([60, 1, 60]);
    for (const s of scans) {
      expect([s.status, s.has_report, s.active_realogram_id !== null]).toEqual(['done', true, true]);
      expect(s.files.length).toBeGreaterThanOrEqual(1);
      expect(s.files.length).toBeLessThanOrEqual(3);
    }
    const multi = scans.filter((s) => s.files.length > 1).map((s) => s.id);
    expect(multi.length).toBeGreaterThanOrEqual(10);
    expect(summary.multiFileScanIds).toEqual(multi);
  });

  it('stores each image as an uploaded PNG or JPEG (both kinds present) whose truth names a section the scan was recognised with', async () => {
    const files = await fresh.db.query<{ scan_id: number; original_filename: string; content_type: string; size: number; sha256: string; content: Uint8Array; sections: number[] }>(
      `SELECT sf.scan_id, f.original_filename, f.content_type, f.size, f.sha256, f.content,
              (SELECT json_agg(r.section_id) FROM planograms_compliance_planogramcompliancereport r WHERE r.realogram_id = s.active_realogram_id) AS sections
         FROM realograms_implementation_scanfile sf
         JOIN sandbox_fileupload f ON f.id = sf.file_id
         JOIN realograms_implementation_scan s ON s.id = sf.scan_id
        ORDER BY sf.id`,
    );
    expect(files.length).toBe(summary.files);
    for (const f of files) {
      const bytes = Buffer.from(f.content);
      const jpeg = f.content_type === 'image/jpeg';
      expect(f.content_type).toMatch(/^image\/(png|jpeg)$/);
      expect(f.original_filename).toMatch(jpeg ? /^shelf_0[1-3]\.jpg$/ : /^shelf_0[1-3]\.png$/);
      expect([f.size, f.sha256]).toEqual([bytes.length, createHash('sha256').update(bytes).digest('hex')]);
      expect(f.sections).toContain(readImageTruth(bytes)?.section_id);
    }
    // The demo shows camera-like JPEGs as well as PNGs.
    expect(new Set(files.map((f) => f.content_type))).toEqual(new Set(['image/png', 'image/jpeg']));
  });

  it('keeps the create payload in provided_values._raw_data, or as provided_values itself for a few scans', async () => {
    const rows = await fresh.db.query<{ id: number; store_id: number; pv: Record<string, unknown>; files: number[] }>(
      `SELECT s.id, s.store_id, s.provided_values AS pv, json_agg(sf.file_id ORDER BY sf.id) AS files
         FROM realograms_implementation_scan s JOIN realograms_implementation_scanfile sf ON sf.scan_id = s.id
        GROUP BY s.id ORDER BY s.id`,
    );
    const plain = rows.filter((r) => !('_raw_data' in r.pv)).map((r) => r.id);
    expect(plain.length).toBeGreaterThanOrEqual(2);
    expect(summary.plainPayloadScanIds).toEqual(plain);
    for (const r of rows) {
      const payload = (r.pv._raw_data ?? r.pv) as Record<string, unknown>;
      expect(payload).toMatchObject({ store: r.store_id, files: r.files });
      for (const key of ['captured_at', 'category_id', 'section_id', 'store_planogram', 'aisle', 'task_id', 'device_id', 'app_version']) {
        expect(payload).toHaveProperty(key);
      }
      expect(Number.isInteger(payload.captured_at)).toBe(true);
    }
  });

  it('files one compliance report per recognised section, with store compliance and a majority log entry', async () => {
    const [check] = await fresh.db.query<{ reports: number; without_store_compliance: number; bad_counts: number; scans_without_map_by: number; days: number }>(
      `SELECT count(*)::int AS reports,
              count(*) FILTER (WHERE spc.id IS NULL)::int AS without_store_compliance,
              count(*) FILTER (WHERE NOT (r.compliance_rates ?& array['osa', 'correct', 'wandering', 'missing', 'empty'])
                                OR r.compliance_rate NOT BETWEEN 0 AND 100)::int AS bad_counts,
              (SELECT count(*)::int FROM realograms_implementation_scan s
                WHERE NOT EXISTS (SELECT 1 FROM planograms_compliance_majorityv2log m WHERE m.data ? s.id::text)) AS scans_without_map_by,
              (SELECT count(DISTINCT (created_at AT TIME ZONE 'UTC')::date)::int FROM realograms_implementation_scan) AS days
         FROM planograms_compliance_planogramcompliancereport r
         LEFT JOIN planograms_compliance_storeplanogramcompliance spc
                ON spc.store_planogram_id = r.store_planogram_id AND spc.date = r.scan_created_date`,
    );
    expect(check).toEqual({ reports: summary.reports, without_store_compliance: 0, bad_counts: 0, scans_without_map_by: 0, days: 5 });
    const bays = await fresh.db.query<{ n: number }>('SELECT count(*)::int AS n FROM realograms_implementation_realogrambay GROUP BY realogram_id');
    expect(new Set(bays.map((b) => b.n))).toEqual(new Set([1, 2, 3]));
  });

  it('refuses to seed a database that already holds data', async () => {
    await expect(seedDemo(fresh.db)).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe.each(testEngines())('demo seed determinism on $name', (engine) => {
  let fresh: FreshDb;
  beforeAll(async () => {
    fresh = await openFreshDb(engine);
  });
  afterAll(async () => fresh?.close());

  const seedAndFingerprint = async (seed: number, scans: number): Promise<Record<string, string>> => {
    await emptyTables(fresh.db);
    await seedDemo(fresh.db, { seed, scans });
    return fingerprintTables(fresh.db);
  };

  it('gives identical rows for the same seed and different scans for another seed', async () => {
    const first = await seedAndFingerprint(7, 30);
    expect(await seedAndFingerprint(7, 30)).toEqual(first);
    const other = await seedAndFingerprint(8, 30);
    expect(other.realograms_implementation_scan).not.toBe(first.realograms_implementation_scan);
  });

  it('gives the catalog alone the same ids and rows as the full seed', async () => {
    await emptyTables(fresh.db);
    const full = await seedDemo(fresh.db, { seed: 3, scans: 5 });
    const fullCatalog = await fingerprintTables(fresh.db, CATALOG_TABLES);
    await emptyTables(fresh.db);
    expect(await seedCatalog(fresh.db, { seed: 3 })).toEqual(full.catalog);
    expect(await fingerprintTables(fresh.db, CATALOG_TABLES)).toEqual(fullCatalog);
    const [scans] = await fresh.db.query<{ n: number }>('SELECT count(*)::int AS n FROM realograms_implementation_scan');
    expect(scans?.n).toBe(0);
  });

  it('writes scans in chunks and reports progress after each', async () => {
    await emptyTables(fresh.db);
    const progress: number[] = [];
    const summary = await seedDemo(fresh.db, { scans: 450, onProgress: (p) => progress.push(p.scans) });
    expect(progress).toEqual([400, 450]);
    expect([summary.firstScanId, summary.lastScanId]).toEqual([1, 450]);
  });
});

describe.runIf(testEngines().length > 1)('demo seed across engines', () => {
  it('gives PGlite and PostgreSQL the same rows for the same seed', async () => {
    const fingerprints = [];
    for (const engine of testEngines()) {
      const fresh = await openFreshDb(engine);
      try {
        await seedDemo(fresh.db, { seed: 5, scans: 20 });
        fingerprints.push(await fingerprintTables(fresh.db));
      } finally {
        await fresh.close();
      }
    }
    expect(fingerprints[1]).toEqual(fingerprints[0]);
  });
});
