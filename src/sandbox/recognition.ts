/**
 * What the platform writes when it has processed a scan: a realogram with its bays, one
 * compliance report per recognised section, the store-planogram compliance of the day
 * recomputed over all of that day's reports, the scan added to its store POG's majority-v2
 * log of the day, and finally the scan marked done. The demo seed and the sandbox's
 * asynchronous processing both write results through here, so seeded and copied scans
 * look alike to every query.
 */
import type { Db, Queryable } from '../platform/db.js';
import { insertRows, valuesList, type Column } from './bulk.js';
import type { Random } from './random.js';

/** Where a section sits: enough to file a compliance report against it. */
export interface SectionRef {
  storePlanogramId: number;
  planogramId: number;
  sectionId: number;
  sectionName: string;
  aisleName: string | null;
}

/** Percentages are 0-100 with two decimals; counts are facings. */
export interface SectionFigures {
  prePog: number;
  postPog: number;
  preOsa: number;
  postOsa: number;
  facing: number;
  sequence: number;
  initial: number;
  correct: number;
  wandering: number;
  missing: number;
  empty: number;
}

export type RecognisedSection = SectionRef & SectionFigures;

export interface ProcessingInput {
  scanId: number;
  /** Bays of the realogram, 1-3 in the demo data. */
  bays: number;
  /** The scan's creation day, `YYYY-MM-DD`: the day its compliance is filed under. */
  scanDate: string;
  /** How the scan was mapped to its planogram, e.g. `planogram_section`. */
  mapBy: string;
  sections: RecognisedSection[];
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

/** Plausible POG/OSA figures and facing counts for one section; deterministic per `random`. */
export function simulateSectionFigures(random: Random): SectionFigures {
  const prePog = round2(random.float(38, 97));
  const preOsa = round2(random.float(72, 99.5));
  const facings = random.int(18, 72);
  const missing = Math.round(facings * (1 - preOsa / 100));
  const empty = Math.min(facings - missing, random.int(0, Math.ceil(missing / 2) + 1));
  const correct = Math.min(facings - missing - empty, Math.round(facings * (prePog / 100)));
  const wandering = Math.max(0, facings - missing - empty - correct);
  return {
    prePog,
    postPog: round2(Math.min(100, prePog + random.float(0, 14))),
    preOsa,
    postOsa: round2(Math.min(100, preOsa + random.float(0, 6))),
    facing: round2(Math.min(100, Math.max(0, prePog + random.float(-6, 8)))),
    sequence: round2(Math.min(100, Math.max(0, prePog + random.float(-12, 5)))),
    initial: round2(Math.max(0, prePog - random.float(0, 10))),
    correct,
    wandering,
    missing,
    empty,
  };
}

/** How many bays a realogram has. */
export function simulateBays(random: Random): number {
  return random.int(1, 3);
}

/** Writes one scan's processing result, in one transaction when given a Db. */
export async function writeProcessingResult(db: Queryable | Db, input: ProcessingInput): Promise<void> {
  await writeProcessingResults(db, [input]);
}

/** Scans per round of statements: keeps every statement under the parameter limit. */
const SCANS_PER_ROUND = 1000;

/**
 * Writes many scans' results in six statements per thousand scans (the seed's path); in one
 * transaction when given a Db, else inside the caller's transaction.
 */
export async function writeProcessingResults(db: Queryable | Db, inputs: readonly ProcessingInput[]): Promise<void> {
  if (inputs.length === 0) return;
  const run = async (q: Queryable): Promise<void> => {
    for (let i = 0; i < inputs.length; i += SCANS_PER_ROUND) await writeAll(q, inputs.slice(i, i + SCANS_PER_ROUND));
  };
  await ('transaction' in db ? db.transaction(run) : run(db));
}

const BAY: Column[] = [['realogram_id', 'bigint']];
const REPORT: Column[] = [
  ['realogram_id', 'bigint'],
  ['section_id', 'bigint'],
  ['section_name', 'text'],
  ['store_planogram_id', 'bigint'],
  ['planogram_id', 'bigint'],
  ['aisle_name', 'text'],
  ['compliance_rate', 'numeric'],
  ['facing_compliance_rate', 'numeric'],
  ['sequence_compliance_rate', 'numeric'],
  ['initial_pre_compliance', 'numeric'],
  ['compliance_rates', 'jsonb'],
  ['scan_created_date', 'date'],
];

async function writeAll(db: Queryable, inputs: readonly ProcessingInput[]): Promise<void> {
  const realogramIds = await newRealograms(db, inputs.length);
  const withIds = inputs.map((input, n) => ({ input, realogramId: realogramIds[n] as number }));

  const bays = withIds.flatMap(({ input, realogramId }) => Array.from({ length: Math.max(1, input.bays) }, () => [realogramId]));
  await insertRows(db, 'realograms_implementation_realogrambay', BAY, bays);

  const reports = withIds.flatMap(({ input, realogramId }) =>
    input.sections.map((s) => [
      realogramId, s.sectionId, s.sectionName, s.storePlanogramId, s.planogramId, s.aisleName,
      s.prePog, s.facing, s.sequence, s.initial,
      JSON.stringify({ osa: s.preOsa, correct: s.correct, wandering: s.wandering, missing: s.missing, empty: s.empty }),
      input.scanDate,
    ]),
  );
  const reportIds = await insertRows(db, 'planograms_compliance_planogramcompliancereport', REPORT, reports);

  await aggregateStoreCompliance(db, reportIds, withIds.flatMap(({ input }) => input.sections));
  await recordMajorityLogs(db, inputs);

  const { sql, params } = valuesList(
    [['id', 'bigint'], ['realogram_id', 'bigint'], ['has_report', 'boolean']],
    withIds.map(({ input, realogramId }) => [input.scanId, realogramId, input.sections.length > 0]),
  );
  await db.query(
    `UPDATE realograms_implementation_scan AS s
        SET status = 'done', has_report = v.has_report, active_realogram_id = v.realogram_id
       FROM (VALUES ${sql}) AS v (id, realogram_id, has_report)
      WHERE s.id = v.id`,
    params,
  );
}

/** `count` new realograms (a row with nothing but its id), their ids in order. */
async function newRealograms(db: Queryable, count: number): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    `INSERT INTO realograms_implementation_realogram (id) VALUES ${Array.from({ length: count }, () => '(DEFAULT)').join(', ')} RETURNING id`,
  );
  return rows.map((r) => r.id);
}

/**
 * The platform's store-planogram compliance of a day aggregates every report filed for that
 * store POG on that day, so each batch recomputes the days it touched from all their reports
 * (pre figures from the reports themselves, post figures from the sandbox's own table) rather
 * than overwriting them with its own.
 */
async function aggregateStoreCompliance(db: Queryable, reportIds: readonly number[], sections: readonly RecognisedSection[]): Promise<void> {
  if (reportIds.length === 0) return;
  await insertRows(
    db,
    'sandbox_report_figures',
    [['report_id', 'bigint'], ['post_compliance', 'numeric'], ['post_osa', 'numeric'], ['sequence_post_compliance', 'numeric']],
    sections.map((s, i) => [reportIds[i], s.postPog, s.postOsa, Math.min(100, s.sequence + s.postPog - s.prePog)]),
    'report_id',
  );
  await db.query(
    `INSERT INTO planograms_compliance_storeplanogramcompliance
            (store_planogram_id, date, pre_compliance, post_compliance, pre_osa, post_osa, facing_compliance,
             sequence_pre_compliance, sequence_post_compliance, initial_pre_compliance)
     SELECT r.store_planogram_id, r.scan_created_date,
            round(avg(r.compliance_rate), 2), round(avg(f.post_compliance), 2),
            round(avg((r.compliance_rates ->> 'osa')::numeric), 2), round(avg(f.post_osa), 2),
            round(avg(r.facing_compliance_rate), 2), round(avg(r.sequence_compliance_rate), 2),
            round(avg(f.sequence_post_compliance), 2), round(avg(r.initial_pre_compliance), 2)
       FROM planograms_compliance_planogramcompliancereport r
       JOIN sandbox_report_figures f ON f.report_id = r.id
      WHERE (r.store_planogram_id, r.scan_created_date) IN (
              SELECT t.store_planogram_id, t.scan_created_date FROM planograms_compliance_planogramcompliancereport t
               WHERE t.id = ANY($1::bigint[]))
      GROUP BY r.store_planogram_id, r.scan_created_date
     ON CONFLICT (store_planogram_id, date) DO UPDATE SET
            pre_compliance = EXCLUDED.pre_compliance, post_compliance = EXCLUDED.post_compliance,
            pre_osa = EXCLUDED.pre_osa, post_osa = EXCLUDED.post_osa, facing_compliance = EXCLUDED.facing_compliance,
            sequence_pre_compliance = EXCLUDED.sequence_pre_compliance,
            sequence_post_compliance = EXCLUDED.sequence_post_compliance,
            initial_pre_compliance = EXCLUDED.initial_pre_compliance`,
    [reportIds],
  );
}

/**
 * The platform keeps one majority-v2 log row per store POG and scan day, and adds each
 * processed scan of that day to its `data`; the row of a store POG's latest day is the one
 * analysis reads, so a scan of an earlier day is no longer in it.
 */
async function recordMajorityLogs(db: Queryable, inputs: readonly ProcessingInput[]): Promise<void> {
  const groups = new Map<string, { spid: number; date: string; data: Record<string, { map_by: string }> }>();
  for (const input of inputs) {
    for (const spid of new Set(input.sections.map((s) => s.storePlanogramId))) {
      const key = `${spid}|${input.scanDate}`;
      const group = groups.get(key) ?? { spid, date: input.scanDate, data: {} };
      group.data[String(input.scanId)] = { map_by: input.mapBy };
      groups.set(key, group);
    }
  }
  if (groups.size === 0) return;
  const rows = [...groups.values()].map((g, ord) => [ord, g.spid, g.date, JSON.stringify(g.data)]);
  const { sql, params } = valuesList([['ord', 'integer'], ['spid', 'bigint'], ['d', 'date'], ['data', 'jsonb']], rows);
  await db.query(
    `WITH v (ord, spid, d, data) AS (VALUES ${sql}),
          added AS (
            UPDATE planograms_compliance_majorityv2log l SET data = l.data || v.data
              FROM v WHERE l.store_planogram_id = v.spid AND l.scan_created_date = v.d
            RETURNING l.store_planogram_id, l.scan_created_date
          )
     INSERT INTO planograms_compliance_majorityv2log (store_planogram_id, scan_created_date, data)
     SELECT v.spid, v.d, v.data FROM v
      WHERE NOT EXISTS (SELECT 1 FROM added a WHERE a.store_planogram_id = v.spid AND a.scan_created_date = v.d)
      ORDER BY v.ord`,
    params,
  );
}
