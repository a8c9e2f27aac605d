import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findScanSummaries,
  selectAdditionalSectionIds,
  selectFirstSectionNames,
  selectScanDetails,
  selectScanStates,
  selectScansByFileIds,
  selectScansWithFiles,
  selectStoreExists,
} from '../src/platform/queries.js';
import { readImageTruth } from '../src/sandbox/jpeg.js';
import { seedDemo, type SeedSummary } from '../src/sandbox/seed.js';
import { testEngines } from './helpers/databases.js';
import { openFreshDb, withRollback, type FreshDb } from './helpers/platform-db.js';

/** The seed's last day; the pending scan below is created late on it. */
const LAST_DAY = '2026-11-27';

describe.each(testEngines())('instance queries on $name', (engine) => {
  let fresh: FreshDb;
  let summary: SeedSummary;
  let pendingScanId: number;
  /** Each scan's file ids in scanfile order, read independently of the queries under test. */
  let filesByScan: Map<number, number[]>;

  beforeAll(async () => {
    fresh = await openFreshDb(engine);
    summary = await seedDemo(fresh.db);
    // A scan created but not processed yet, and with no files: what a fresh copy looks like.
    const [pending] = await fresh.db.query<{ id: number }>(
      `INSERT INTO realograms_implementation_scan (provided_values, store_id, created_at, status)
       VALUES ('{"_raw_data": {"store": 1, "files": []}}', 1, '${LAST_DAY} 20:30:00+00', 'progress') RETURNING id`,
    );
    pendingScanId = pending?.id as number;
    const rows = await fresh.db.query<{ scan_id: number; files: number[] }>(
      'SELECT scan_id, json_agg(file_id ORDER BY id) AS files FROM realograms_implementation_scanfile GROUP BY scan_id',
    );
    filesByScan = new Map(rows.map((r) => [r.scan_id, r.files]));
  });
  afterAll(async () => fresh?.close());

  describe('selectScansWithFiles', () => {
    it('returns every file of multi-file scans, in upload order, matching the create payload', async () => {
      const ids = summary.multiFileScanIds.slice(0, 6);
      const scans = await selectScansWithFiles(fresh.db, ids);
      expect(scans.map((s) => s.id)).toEqual(ids);
      for (const scan of scans) {
        const fileIds = scan.files.map((f) => f.fileId);
        expect(fileIds.length).toBeGreaterThan(1);
        expect(fileIds).toEqual(filesByScan.get(scan.id));
        expect(scan.files.every((f) => f.fileType === 'image')).toBe(true);
        const pv = scan.providedValues as { _raw_data?: { files: number[] }; files?: number[] };
        expect((pv._raw_data ?? pv).files).toEqual(fileIds);
        expect([scan.status, scan.hasReport, scan.createdAt instanceof Date]).toEqual(['done', true, true]);
      }
    });

    it('leaves out ids that do not exist and gives a scan without files an empty list', async () => {
      const scans = await selectScansWithFiles(fresh.db, [pendingScanId, 999_999, 1, 1]);
      expect(scans.map((s) => [s.id, s.files.length, s.status])).toEqual([
        [1, filesByScan.get(1)?.length, 'done'],
        [pendingScanId, 0, 'progress'],
      ]);
      expect(await selectScansWithFiles(fresh.db, [])).toEqual([]);
    });

    it('returns a plain-object payload as it is stored', async () => {
      const [id] = summary.plainPayloadScanIds;
      const [scan] = await selectScansWithFiles(fresh.db, [id as number]);
      expect(scan?.providedValues).not.toHaveProperty('_raw_data');
      expect(scan?.providedValues).toMatchObject({ files: filesByScan.get(id as number) });
    });
  });

  describe('findScanSummaries', () => {
    const independent = async (storeId: number, from: string, to: string, doneOnly: boolean): Promise<number[]> =>
      (
        await fresh.db.query<{ id: number }>(
          `SELECT id FROM realograms_implementation_scan
            WHERE store_id = $1 AND to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') BETWEEN $2 AND $3
              AND (NOT $4 OR (status = 'done' AND has_report))
            ORDER BY created_at DESC`,
          [storeId, from, to, doneOnly],
        )
      ).map((r) => r.id);

    it('finds a store\'s scans of one day, newest first, with their file counts', async () => {
      const found = await findScanSummaries(fresh.db, { storeId: 1, from: LAST_DAY, to: LAST_DAY });
      expect(found.map((s) => s.id)).toEqual(await independent(1, LAST_DAY, LAST_DAY, false));
      expect(found[0]?.id).toBe(pendingScanId);
      for (const s of found) expect(s.fileCount).toBe(filesByScan.get(s.id)?.length ?? 0);
      const times = found.map((s) => s.createdAt.getTime());
      expect([...times].sort((a, b) => b - a)).toEqual(times);
    });

    it('covers a date range, optionally only processed scans, and honours a limit', async () => {
      for (const storeId of summary.catalog.stores.map((s) => s.id)) {
        const range = await findScanSummaries(fresh.db, { storeId, from: summary.firstDay as string, to: LAST_DAY, doneOnly: true });
        expect(range.map((s) => s.id)).toEqual(await independent(storeId, summary.firstDay as string, LAST_DAY, true));
      }
      const done = await findScanSummaries(fresh.db, { storeId: 1, from: LAST_DAY, to: LAST_DAY, doneOnly: true });
      expect(done.map((s) => s.id)).not.toContain(pendingScanId);
      const limited = await findScanSummaries(fresh.db, { storeId: 1, from: '2026-11-01', to: LAST_DAY, limit: 2 });
      expect(limited.map((s) => s.id)).toEqual((await independent(1, '2026-11-01', LAST_DAY, false)).slice(0, 2));
      expect(await findScanSummaries(fresh.db, { storeId: 1, from: '2026-12-01', to: '2026-12-31' })).toEqual([]);
    });
  });

  describe('selectScanDetails', () => {
    it('gives one row per compliance report, even for scans with several bays and reports', async () => {
      const multi = await fresh.db.query<{ id: number; reports: number; bays: number }>(
        `SELECT s.id,
                (SELECT count(*)::int FROM planograms_compliance_planogramcompliancereport r WHERE r.realogram_id = s.active_realogram_id) AS reports,
                (SELECT count(*)::int FROM realograms_implementation_realogrambay b WHERE b.realogram_id = s.active_realogram_id) AS bays
           FROM realograms_implementation_scan s WHERE s.id = ANY($1::bigint[]) ORDER BY s.id`,
        [summary.multiFileScanIds],
      );
      expect(multi.some((m) => m.reports > 1 && m.bays > 1)).toBe(true);
      const rows = await selectScanDetails(fresh.db, multi.map((m) => m.id));
      expect(rows.map((r) => r.scan_id)).toEqual(multi.flatMap((m) => Array.from({ length: m.reports }, () => m.id)));
      const keys = rows.map((r) => [r.scan_id, r.report_id as number] as const);
      expect(keys).toEqual([...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
    });

    it('matches the report, planogram, additional flag, store compliance of its day and the counts of its reports', async () => {
      const expected = await fresh.db.query<Record<string, unknown>>(
        `SELECT r.id AS report_id, s.id AS scan_id, r.store_planogram_id, p.name AS planogram_name, r.section_id, r.section_name,
                spc.pre_compliance AS pre_pog_percentage, spc.post_compliance AS post_pog_percentage,
                spc.pre_osa AS pre_osa_percentage, spc.post_osa AS post_osa_percentage,
                (r.compliance_rates->>'correct')::int AS ok_count, (r.compliance_rates->>'wandering')::int AS wandering_count,
                (r.compliance_rates->>'missing')::int AS oos_count, (r.compliance_rates->>'empty')::int AS hole_count,
                n.reports AS planogram_all_count, n.planograms AS planogram_unique_count,
                1 AS realogram_unique_count, 1 AS realogram_all_count
           FROM realograms_implementation_scan s
           JOIN (SELECT realogram_id, count(*)::int AS reports, count(DISTINCT planogram_id)::int AS planograms
                   FROM planograms_compliance_planogramcompliancereport GROUP BY realogram_id) n ON n.realogram_id = s.active_realogram_id
           JOIN realograms_implementation_realogram rg ON rg.id = s.active_realogram_id
           JOIN planograms_compliance_planogramcompliancereport r ON r.realogram_id = rg.id
           JOIN planograms_implementation_planogram p ON p.id = r.planogram_id
           JOIN planograms_compliance_storeplanogramcompliance spc ON spc.store_planogram_id = r.store_planogram_id AND spc.date = r.scan_created_date
          WHERE s.id <= 20 ORDER BY s.id, r.id`,
      );
      const rows = await selectScanDetails(fresh.db, Array.from({ length: 20 }, (_, i) => i + 1));
      expect(rows).toEqual(expected.map((e) => expect.objectContaining({ ...e, scan_status: 'done', has_report: true })));
      const additional = new Set(summary.catalog.planograms.flatMap((p) => p.sections.filter((s) => s.additional).map((s) => s.id)));
      for (const r of rows) expect(r.is_additional_section).toBe(additional.has(r.section_id as number));
      expect(rows.some((r) => r.is_additional_section)).toBe(true);
    });

    it('takes map_by for the scan from the majority log of its store POG\'s latest day', async () => {
      const last = summary.lastScanId as number;
      const rows = await selectScanDetails(fresh.db, [1, 2, 3, last - 2, last - 1, last]);
      for (const r of rows) {
        const [latest] = await fresh.db.query<{ id: number; day: string; data: Record<string, { map_by: string }> }>(
          `SELECT id, scan_created_date AS day, data FROM planograms_compliance_majorityv2log
            WHERE store_planogram_id = $1 ORDER BY scan_created_date DESC, id DESC LIMIT 1`,
          [r.store_planogram_id],
        );
        expect([r.majority_v2_id, r.majority_store_planogram_id, r.majority_created_at, r.majority_data]).toEqual([latest?.id, r.store_planogram_id, latest?.day, latest?.data]);
        expect(r.map_by_value).toBe(latest?.data[String(r.scan_id)]?.map_by ?? null);
      }
      // The last day's scans are in their store POG's latest log; the first day's are not.
      expect(rows.filter((r) => r.scan_id >= last - 2).every((r) => typeof r.map_by_value === 'string')).toBe(true);
      expect(rows.filter((r) => r.scan_id <= 3).every((r) => r.map_by_value === null)).toBe(true);
      const overridden = await withRollback(fresh.db, async (tx) => {
        await tx.query(
          `INSERT INTO planograms_compliance_majorityv2log (store_planogram_id, scan_created_date, data) VALUES ($1, $2, $3::jsonb)`,
          [rows[0]?.store_planogram_id, LAST_DAY, JSON.stringify({ [String(rows[0]?.scan_id)]: { map_by: 'manual' } })],
        );
        return selectScanDetails(tx, [rows[0]?.scan_id as number]);
      });
      expect(overridden.map((r) => r.map_by_value)).toEqual(overridden.map(() => 'manual'));
    });

    it('gives a scan without reports one row with empty report fields', async () => {
      const [row, ...rest] = await selectScanDetails(fresh.db, [pendingScanId, 999_999]);
      expect(rest).toEqual([]);
      expect(row).toMatchObject({
        scan_id: pendingScanId, scan_status: 'progress', has_report: false, report_id: null, section_name: null,
        planogram_name: null, pre_pog_percentage: null, is_additional_section: false, map_by_value: null, majority_v2_id: null,
      });
    });
  });

  describe('the other lookups', () => {
    it('selectAdditionalSectionIds keeps only sections with an additional product, in any spelling', async () => {
      const sections = summary.catalog.planograms.flatMap((p) => p.sections);
      const additional = sections.filter((s) => s.additional).map((s) => s.id);
      const mixed = [...sections.map((s) => s.id)].reverse();
      expect(await selectAdditionalSectionIds(fresh.db, [...mixed, 999_999])).toEqual(additional);
      expect(await selectAdditionalSectionIds(fresh.db, sections.filter((s) => !s.additional).map((s) => s.id))).toEqual([]);
    });

    it('selectScansByFileIds finds every scan using any of the files, with all its file ids', async () => {
      const scanId = summary.multiFileScanIds[0] as number;
      const files = filesByScan.get(scanId) as number[];
      expect(await selectScansByFileIds(fresh.db, [files[1] as number])).toEqual([{ scanId, fileIds: files }]);
      expect(await selectScansByFileIds(fresh.db, [999_999])).toEqual([]);
      const reused = await withRollback(fresh.db, async (tx) => {
        const [dup] = await tx.query<{ id: number }>(`INSERT INTO realograms_implementation_scan (store_id) VALUES (2) RETURNING id`);
        await tx.query('INSERT INTO realograms_implementation_scanfile (scan_id, file_id) VALUES ($1, $2)', [dup?.id, files[0]]);
        return { id: dup?.id as number, found: await selectScansByFileIds(tx, [files[0] as number, 999_999]) };
      });
      expect(reused.found).toEqual([{ scanId, fileIds: files }, { scanId: reused.id, fileIds: [files[0]] }]);
      expect(await selectScansByFileIds(fresh.db, [files[0] as number])).toEqual([{ scanId, fileIds: files }]);
    });

    it('selectScanStates reports status and has_report of existing scans', async () => {
      expect(await selectScanStates(fresh.db, [pendingScanId, 2, 999_999])).toEqual([
        { id: 2, status: 'done', hasReport: true },
        { id: pendingScanId, status: 'progress', hasReport: false },
      ]);
    });

    it('selectStoreExists tells seeded stores from unknown ones', async () => {
      expect(await selectStoreExists(fresh.db, summary.catalog.stores[2]?.id as number)).toBe(true);
      expect(await selectStoreExists(fresh.db, 999_999)).toBe(false);
    });

    it('selectFirstSectionNames names each processed scan by its first report: the section of its first image', async () => {
      const ids = [...summary.multiFileScanIds.slice(0, 5), ...summary.plainPayloadScanIds.slice(0, 2), pendingScanId];
      const firstImages = await fresh.db.query<{ scan_id: number; content: Uint8Array }>(
        `SELECT DISTINCT ON (sf.scan_id) sf.scan_id, f.content
           FROM realograms_implementation_scanfile sf JOIN sandbox_fileupload f ON f.id = sf.file_id
          WHERE sf.scan_id = ANY($1::bigint[]) ORDER BY sf.scan_id, sf.id`,
        [ids],
      );
      const names = await selectFirstSectionNames(fresh.db, ids);
      expect([...names.entries()].sort((a, b) => a[0] - b[0])).toEqual(firstImages.map((f) => [f.scan_id, readImageTruth(f.content)?.section_name]));
      expect(names.has(pendingScanId)).toBe(false);
    });
  });
});
