/**
 * scancopy's details rows against the seed tool's own SQL (`get_scan_data` and
 * `check_additional_sections` of its scanDataAnalysis.py, ported with parameters instead of
 * string formatting) on one seeded source: the same values wherever the seed is right. Where
 * it is not, the test says how scancopy differs: the seed repeats each report once per
 * realogram bay (its bay join), so its rows are compared once per report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectScanDetails } from '../src/platform/queries.js';
import type { ScanDetailsRow } from '../src/platform/types.js';
import { seedDemo, type SeedSummary } from '../src/sandbox/seed.js';
import { testEngines } from './helpers/databases.js';
import { openFreshDb, type FreshDb } from './helpers/platform-db.js';

const SEED_GET_SCAN_DATA = `
  SELECT s."id" as scan_id, r."id" as realogram_id, rb."id" as realogram_bay_id,
         pcr."id" as compliance_report_id, pcr."section_id", pcr."section_name", pcr."store_planogram_id",
         spc."post_osa", spc."pre_osa", spc."post_compliance", spc."pre_compliance",
         p."name" as planogram_name,
         (SELECT COUNT(DISTINCT pcr2."planogram_id") FROM "planograms_compliance_planogramcompliancereport" pcr2
           WHERE pcr2."realogram_id" = r."id") as planogram_unique_count,
         (SELECT COUNT(pcr2."planogram_id") FROM "planograms_compliance_planogramcompliancereport" pcr2
           WHERE pcr2."realogram_id" = r."id") as planogram_all_count,
         (SELECT COUNT(DISTINCT r2."id") FROM "realograms_implementation_realogram" r2
           WHERE r2."id" = s."active_realogram_id") as realogram_unique_count,
         (SELECT COUNT(r2."id") FROM "realograms_implementation_realogram" r2
           WHERE r2."id" = s."active_realogram_id") as realogram_all_count,
         mv2."id" as majority_v2_id, mv2."store_planogram_id" as majority_store_planogram_id,
         mv2."scan_created_date" as majority_created_at, mv2."data" as majority_data
    FROM "realograms_implementation_scan" s
    LEFT JOIN "master_data_implementation_category" cat ON s."selected_category_id" = cat."id"
    LEFT JOIN "realograms_implementation_realogram" r ON s."active_realogram_id" = r."id"
    LEFT JOIN "realograms_implementation_realogrambay" rb ON r."id" = rb."realogram_id"
    LEFT JOIN "master_data_implementation_store" store ON s."store_id" = store."id"
    LEFT JOIN "planograms_compliance_planogramcompliancereport" pcr ON r."id" = pcr."realogram_id"
    LEFT JOIN "planograms_compliance_storeplanogramcompliance" spc
           ON pcr."store_planogram_id" = spc."store_planogram_id" AND pcr."scan_created_date" = spc."date"
    LEFT JOIN "planograms_implementation_planogram" p ON pcr."planogram_id" = p."id"
    LEFT JOIN LATERAL (
           SELECT mv2."id", mv2."store_planogram_id", mv2."scan_created_date", mv2."data"
             FROM "planograms_compliance_majorityv2log" mv2
            WHERE mv2."store_planogram_id" = pcr."store_planogram_id"
            ORDER BY mv2."scan_created_date" DESC
            LIMIT 1
         ) mv2 ON true
   WHERE s."id" = ANY($1::bigint[])
   ORDER BY s."id"`;

const SEED_CHECK_ADDITIONAL = `
  SELECT DISTINCT s."id" as scan_id, pcr."section_id",
         CASE WHEN EXISTS (
           SELECT 1 FROM "planograms_implementation_planogramstore" sp
             JOIN "planograms_implementation_planogram" p ON sp."planogram_id" = p."id"
             JOIN "planograms_implementation_planogramsection" ps ON p."id" = ps."planogram_id"
             JOIN "planograms_implementation_planogramsectionproduct" psp ON ps."id" = psp."section_id"
            WHERE sp."id" = pcr."store_planogram_id" AND psp."section_id" = pcr."section_id"
              AND (psp."action" ILIKE '%additional%' OR psp."merch_method" ILIKE '%additional%')
         ) THEN true ELSE false END as is_additional_section
    FROM "realograms_implementation_scan" s
    LEFT JOIN "realograms_implementation_realogram" r ON s."active_realogram_id" = r."id"
    LEFT JOIN "planograms_compliance_planogramcompliancereport" pcr ON r."id" = pcr."realogram_id"
   WHERE s."id" = ANY($1::bigint[])`;

type SeedRow = Record<string, unknown> & { scan_id: number; compliance_report_id: number | null; section_id: number | null; majority_data: unknown };

/** The seed's per-row processing (process_scan_data) for the columns compared. */
function seedValues(row: SeedRow, additional: Map<string, boolean>): Record<string, unknown> {
  const data = row.majority_data as Record<string, { map_by?: string }> | null;
  return {
    scan_id: row.scan_id,
    store_planogram_id: row.store_planogram_id,
    planogram_name: row.planogram_name,
    section_id: row.section_id,
    section_name: row.section_name,
    is_additional_section: additional.get(`${row.scan_id}_${row.section_id}`) ?? false,
    pre_pog_percentage: row.pre_compliance,
    post_pog_percentage: row.post_compliance,
    pre_osa_percentage: row.pre_osa,
    post_osa_percentage: row.post_osa,
    planogram_unique_count: Number(row.planogram_unique_count),
    planogram_all_count: Number(row.planogram_all_count),
    realogram_unique_count: Number(row.realogram_unique_count),
    realogram_all_count: Number(row.realogram_all_count),
    majority_v2_id: row.majority_v2_id,
    majority_store_planogram_id: row.majority_store_planogram_id,
    majority_created_at: row.majority_created_at,
    majority_data: row.majority_data,
    map_by_value: data?.[String(row.scan_id)]?.map_by ?? null,
  };
}

function scancopyValues(row: ScanDetailsRow): Record<string, unknown> {
  const { scan_status: _status, ok_count: _ok, wandering_count: _w, oos_count: _oos, hole_count: _holes, report_id: _r, has_report: _h, ...compared } = row;
  return compared;
}

describe.each(testEngines())("details rows against the seed tool's SQL on $name", (engine) => {
  let fresh: FreshDb;
  let summary: SeedSummary;
  let ids: number[];
  beforeAll(async () => {
    fresh = await openFreshDb(engine);
    summary = await seedDemo(fresh.db, { scans: 40 });
    ids = Array.from({ length: summary.scans }, (_, i) => (summary.firstScanId as number) + i);
  });
  afterAll(async () => fresh?.close());

  it('gives the values the seed computes, one row per report where the seed repeats it per bay', async () => {
    const seedRows = await fresh.db.query<SeedRow>(SEED_GET_SCAN_DATA, [ids]);
    const additionalRows = await fresh.db.query<{ scan_id: number; section_id: number; is_additional_section: boolean }>(SEED_CHECK_ADDITIONAL, [ids]);
    const additional = new Map(additionalRows.map((r) => [`${r.scan_id}_${r.section_id}`, r.is_additional_section]));
    const perReport = new Map<string, SeedRow>();
    for (const row of seedRows) perReport.set(`${row.scan_id}:${row.compliance_report_id}`, row);
    // The seed's bay join really does repeat rows on this data, so the de-duplication is needed.
    expect(seedRows.length).toBeGreaterThan(perReport.size);

    const ours = await selectScanDetails(fresh.db, ids);
    expect(ours.length).toBe(perReport.size);
    const expected = ours.map((row) => seedValues(perReport.get(`${row.scan_id}:${row.report_id}`) as SeedRow, additional));
    expect(ours.map(scancopyValues)).toEqual(expected);
  });

  it('finds the seeded data varied enough for the comparison to mean something', async () => {
    const ours = await selectScanDetails(fresh.db, ids);
    expect(new Set(ours.map((r) => r.pre_pog_percentage)).size).toBeGreaterThan(5);
    expect(ours.some((r) => r.is_additional_section)).toBe(true);
    expect(ours.some((r) => (r.planogram_all_count ?? 0) > 1)).toBe(true);
    expect(ours.some((r) => r.map_by_value === null) && ours.some((r) => r.map_by_value !== null)).toBe(true);
  });
});
