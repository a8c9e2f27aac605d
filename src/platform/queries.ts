/**
 * Every SQL statement scancopy runs against an instance database (platform.md sections 3,
 * 5 and 6). All parameterised; lists go in as one array parameter (`= ANY($1::bigint[])`).
 * Files are aggregated per scan, so a scan with several files is one row with all of them;
 * the details join has no realogram-bay join, so a scan's rows are exactly its reports.
 * SQL kept to what PostgreSQL 15 runs (PGlite is PostgreSQL 18).
 *
 * Days are UTC days: `created_at` falls on day D when D 00:00 UTC <= created_at < D+1 00:00 UTC,
 * whatever the session's time zone, and the range test can use the (store_id, created_at) index.
 */
import type { Queryable } from './db.js';
import type { ScanDetailsRow, ScanFileRef, ScanSummary, ScanWithFiles, StorePlanogram } from './types.js';

const SCAN = 'realograms_implementation_scan';
const SCANFILE = 'realograms_implementation_scanfile';
const REPORT = 'planograms_compliance_planogramcompliancereport';
const SECTION_PRODUCT = 'planograms_implementation_planogramsectionproduct';
const IS_ADDITIONAL_PRODUCT = `(sp.action ILIKE '%additional%' OR sp.merch_method ILIKE '%additional%')`;

interface ScanRow {
  id: number;
  store_id: number;
  created_at: Date;
  status: string;
  has_report: boolean;
}

/** Scans with all their files in scanfile order; ids that do not exist are simply absent. Ordered by id. */
export async function selectScansWithFiles(db: Queryable, ids: readonly number[]): Promise<ScanWithFiles[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<ScanRow & { provided_values: unknown; files: Array<{ file_id: number; file_type: string }> | null }>(
    `SELECT s.id, s.store_id, s.created_at, s.status, s.has_report, s.provided_values,
            json_agg(json_build_object('file_id', sf.file_id, 'file_type', sf.file_type) ORDER BY sf.id)
              FILTER (WHERE sf.id IS NOT NULL) AS files
       FROM ${SCAN} s
       LEFT JOIN ${SCANFILE} sf ON sf.scan_id = s.id
      WHERE s.id = ANY($1::bigint[])
      GROUP BY s.id
      ORDER BY s.id`,
    [ids],
  );
  return rows.map((r) => ({
    ...scanFields(r),
    providedValues: r.provided_values,
    files: (r.files ?? []).map((f): ScanFileRef => ({ fileId: Number(f.file_id), fileType: f.file_type })),
  }));
}

export interface FindScanSummariesQuery {
  storeId: number;
  /** First day, `YYYY-MM-DD` (UTC), inclusive. */
  from: string;
  /** Last day, `YYYY-MM-DD` (UTC), inclusive. */
  to: string;
  /** Only `status = 'done' AND has_report`. @default false */
  doneOnly?: boolean;
  /** At most this many, newest first. @default no limit */
  limit?: number;
}

/** A store's scans created in a day range, newest first. */
export async function findScanSummaries(db: Queryable, q: FindScanSummariesQuery): Promise<ScanSummary[]> {
  const rows = await db.query<ScanRow & { file_count: number }>(
    `SELECT s.id, s.store_id, s.created_at, s.status, s.has_report, count(sf.id)::int AS file_count
       FROM ${SCAN} s
       LEFT JOIN ${SCANFILE} sf ON sf.scan_id = s.id
      WHERE s.store_id = $1::bigint
        AND s.created_at >= ($2::date)::timestamp AT TIME ZONE 'UTC'
        AND s.created_at < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'
        AND ($4::boolean IS NOT TRUE OR (s.status = 'done' AND s.has_report))
      GROUP BY s.id
      ORDER BY s.created_at DESC, s.id DESC
      LIMIT $5::bigint`,
    [q.storeId, q.from, q.to, q.doneOnly ?? false, q.limit ?? null],
  );
  return rows.map((r) => ({ ...scanFields(r), fileCount: r.file_count }));
}

/**
 * The details rows of platform.md section 6: one per scan and compliance report of its active
 * realogram (one row with empty report fields for a scan without reports), ordered by scan id
 * and report id. Only the contract's columns are read (README "Analysis, column by column"):
 * pre and post POG/OSA are the store-planogram compliance of the report's store POG and day,
 * the counts are counted from the realogram's reports as the seed tool counts them, and the
 * majority-v2 log is the store POG's latest by scan day (by id among logs of the same day).
 */
export async function selectScanDetails(db: Queryable, ids: readonly number[]): Promise<ScanDetailsRow[]> {
  if (ids.length === 0) return [];
  return db.query<ScanDetailsRow>(
    `SELECT s.id AS scan_id,
            s.status AS scan_status,
            r.store_planogram_id,
            p.name AS planogram_name,
            r.section_id,
            r.section_name,
            EXISTS (SELECT 1 FROM ${SECTION_PRODUCT} sp WHERE sp.section_id = r.section_id AND ${IS_ADDITIONAL_PRODUCT})
              AS is_additional_section,
            spc.pre_compliance AS pre_pog_percentage,
            spc.post_compliance AS post_pog_percentage,
            spc.pre_osa AS pre_osa_percentage,
            spc.post_osa AS post_osa_percentage,
            (r.compliance_rates ->> 'correct')::int AS ok_count,
            (r.compliance_rates ->> 'wandering')::int AS wandering_count,
            (r.compliance_rates ->> 'missing')::int AS oos_count,
            (r.compliance_rates ->> 'empty')::int AS hole_count,
            (SELECT count(DISTINCT x.planogram_id)::int FROM ${REPORT} x WHERE x.realogram_id = rg.id) AS planogram_unique_count,
            (SELECT count(x.planogram_id)::int FROM ${REPORT} x WHERE x.realogram_id = rg.id) AS planogram_all_count,
            (rg.id IS NOT NULL)::int AS realogram_unique_count,
            (rg.id IS NOT NULL)::int AS realogram_all_count,
            mv.id AS majority_v2_id,
            mv.store_planogram_id AS majority_store_planogram_id,
            mv.scan_created_date AS majority_created_at,
            mv.data AS majority_data,
            mv.data -> (s.id::text) ->> 'map_by' AS map_by_value,
            r.id AS report_id,
            (s.status = 'done' AND s.has_report) AS has_report
       FROM ${SCAN} s
       LEFT JOIN realograms_implementation_realogram rg ON rg.id = s.active_realogram_id
       LEFT JOIN ${REPORT} r ON r.realogram_id = rg.id
       LEFT JOIN planograms_implementation_planogram p ON p.id = r.planogram_id
       LEFT JOIN planograms_compliance_storeplanogramcompliance spc
              ON spc.store_planogram_id = r.store_planogram_id AND spc.date = r.scan_created_date
       LEFT JOIN LATERAL (
              SELECT m.id, m.store_planogram_id, m.scan_created_date, m.data
                FROM planograms_compliance_majorityv2log m
               WHERE m.store_planogram_id = r.store_planogram_id
               ORDER BY m.scan_created_date DESC, m.id DESC
               LIMIT 1
            ) mv ON true
      WHERE s.id = ANY($1::bigint[])
      ORDER BY s.id, r.id`,
    [ids],
  );
}

/** Those of `sectionIds` that are additional (a product's action or merch method says so), ascending. */
export async function selectAdditionalSectionIds(db: Queryable, sectionIds: readonly number[]): Promise<number[]> {
  if (sectionIds.length === 0) return [];
  const rows = await db.query<{ section_id: number }>(
    `SELECT DISTINCT sp.section_id
       FROM ${SECTION_PRODUCT} sp
      WHERE sp.section_id = ANY($1::bigint[]) AND ${IS_ADDITIONAL_PRODUCT}
      ORDER BY sp.section_id`,
    [sectionIds],
  );
  return rows.map((r) => r.section_id);
}

/**
 * Scans that use any of `fileIds`, each with all its file ids in scanfile order: how a copy
 * whose create response was lost finds out whether the scan exists. Ordered by scan id.
 */
export async function selectScansByFileIds(db: Queryable, fileIds: readonly number[]): Promise<Array<{ scanId: number; fileIds: number[] }>> {
  if (fileIds.length === 0) return [];
  // json_agg rather than array_agg: node-postgres returns bigint[] elements as strings.
  const rows = await db.query<{ scan_id: number; file_ids: number[] }>(
    `SELECT sf.scan_id, json_agg(sf.file_id ORDER BY sf.id) AS file_ids
       FROM ${SCANFILE} sf
      WHERE sf.scan_id IN (SELECT hit.scan_id FROM ${SCANFILE} hit WHERE hit.file_id = ANY($1::bigint[]))
      GROUP BY sf.scan_id
      ORDER BY sf.scan_id`,
    [fileIds],
  );
  return rows.map((r) => ({ scanId: r.scan_id, fileIds: r.file_ids.map(Number) }));
}

/** Processing state of each existing scan, ordered by id. */
export async function selectScanStates(db: Queryable, ids: readonly number[]): Promise<Array<{ id: number; status: string; hasReport: boolean }>> {
  if (ids.length === 0) return [];
  const rows = await db.query<{ id: number; status: string; has_report: boolean }>(
    `SELECT s.id, s.status, s.has_report FROM ${SCAN} s WHERE s.id = ANY($1::bigint[]) ORDER BY s.id`,
    [ids],
  );
  return rows.map((r) => ({ id: r.id, status: r.status, hasReport: r.has_report }));
}

export async function selectStoreExists(db: Queryable, storeId: number): Promise<boolean> {
  const [row] = await db.query<{ found: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM master_data_implementation_store WHERE id = $1::bigint) AS found',
    [storeId],
  );
  return row?.found === true;
}

/**
 * Store planograms ("store POGs") with their planogram, by id or of one store, or both:
 * which planogram a source's store POG names, and which store POGs a target store has.
 * Ordered by id.
 */
export async function selectStorePlanograms(db: Queryable, q: { ids?: readonly number[]; storeId?: number }): Promise<StorePlanogram[]> {
  if (q.ids?.length === 0) return [];
  const rows = await db.query<{ id: number; planogram_id: number; store_id: number; planogram_name: string | null }>(
    `SELECT ps.id, ps.planogram_id, ps.store_id, p.name AS planogram_name
       FROM planograms_implementation_planogramstore ps
       LEFT JOIN planograms_implementation_planogram p ON p.id = ps.planogram_id
      WHERE ($1::bigint[] IS NULL OR ps.id = ANY($1::bigint[])) AND ($2::bigint IS NULL OR ps.store_id = $2::bigint)
      ORDER BY ps.id`,
    [q.ids ?? null, q.storeId ?? null],
  );
  return rows.map((r) => ({ id: Number(r.id), planogramId: Number(r.planogram_id), storeId: Number(r.store_id), planogramName: r.planogram_name }));
}

/** The section name of each scan's first compliance report (by report id); scans without one are absent. */
export async function selectFirstSectionNames(db: Queryable, scanIds: readonly number[]): Promise<Map<number, string>> {
  if (scanIds.length === 0) return new Map();
  const rows = await db.query<{ scan_id: number; section_name: string | null }>(
    `SELECT DISTINCT ON (s.id) s.id AS scan_id, r.section_name
       FROM ${SCAN} s
       JOIN ${REPORT} r ON r.realogram_id = s.active_realogram_id
      WHERE s.id = ANY($1::bigint[])
      ORDER BY s.id, r.id`,
    [scanIds],
  );
  return new Map(rows.filter((r) => r.section_name !== null && r.section_name !== '').map((r) => [r.scan_id, r.section_name as string]));
}

function scanFields(r: ScanRow): Omit<ScanSummary, 'fileCount'> {
  return { id: r.id, storeId: r.store_id, createdAt: r.created_at, status: r.status, hasReport: r.has_report };
}

/**
 * The database's own identity: the cluster's `system_identifier` (fixed at initdb, so the same
 * server however its host is spelt or tunnelled) and the database's name in it. Both
 * PostgreSQL and PGlite report it.
 */
export async function selectDatabaseIdentity(db: Queryable): Promise<{ systemIdentifier: string; database: string }> {
  const [row] = await db.query<{ system_identifier: string; database: string }>(
    'SELECT system_identifier::text AS system_identifier, current_database() AS database FROM pg_control_system()',
  );
  if (!row) throw new Error('pg_control_system() returned no row');
  return { systemIdentifier: row.system_identifier, database: row.database };
}
