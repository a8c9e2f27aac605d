/**
 * What the platform writes when it has processed a scan: a realogram with its bays, one
 * compliance report per recognised section, the store-planogram compliance of the day, a
 * majority-v2 log entry, and finally the scan marked done. The demo seed and the sandbox's
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

export interface RealogramCounts {
  planogramUniqueCount: number;
  planogramAllCount: number;
  realogramUniqueCount: number;
  realogramAllCount: number;
  /** Bays of the realogram, 1-3 in the demo data. */
  bays: number;
}

export interface ProcessingInput extends RealogramCounts {
  scanId: number;
  /** The scan's creation day, `YYYY-MM-DD`: the day its compliance is filed under. */
  scanDate: string;
  /** How the scan was mapped to its planogram, e.g. `planogram_section`. */
  mapBy: string;
  sections: RecognisedSection[];
  /** When processing finished (the rows' created_at and the scan's updated_at). @default now */
  processedAt?: Date;
}

/**
 * A majority-v2 log row carries forward the scans of the previous row for its store POG, so
 * the latest row answers `map_by` for recent scans too; past this many it starts afresh, which
 * keeps a busy store POG from copying an ever-growing document on every scan.
 */
export const MAJORITY_LOG_MAX_SCANS = 1000;

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

/** Realogram counts consistent with the sections' facing counts. */
export function simulateRealogramCounts(random: Random, sections: readonly SectionFigures[]): RealogramCounts {
  const planogramAll = sections.reduce((sum, s) => sum + s.correct + s.wandering + s.missing + s.empty, 0);
  const realogramAll = sections.reduce((sum, s) => sum + s.correct + s.wandering, 0);
  return {
    planogramAllCount: planogramAll,
    planogramUniqueCount: Math.max(1, Math.round(planogramAll * random.float(0.45, 0.8))),
    realogramAllCount: realogramAll,
    realogramUniqueCount: Math.max(realogramAll > 0 ? 1 : 0, Math.round(realogramAll * random.float(0.45, 0.8))),
    bays: random.int(1, 3),
  };
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

const REALOGRAM: Column[] = [
  ['planogram_unique_count', 'integer'],
  ['planogram_all_count', 'integer'],
  ['realogram_unique_count', 'integer'],
  ['realogram_all_count', 'integer'],
  ['created_at', 'timestamptz'],
];
const BAY: Column[] = [
  ['realogram_id', 'bigint'],
  ['bay_number', 'integer'],
];
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
  ['created_at', 'timestamptz'],
];

async function writeAll(db: Queryable, inputs: readonly ProcessingInput[]): Promise<void> {
  const now = new Date();
  const at = (input: ProcessingInput): Date => input.processedAt ?? now;
  const realogramIds = await insertRows(
    db,
    'realograms_implementation_realogram',
    REALOGRAM,
    inputs.map((i) => [i.planogramUniqueCount, i.planogramAllCount, i.realogramUniqueCount, i.realogramAllCount, at(i)]),
  );
  const withIds = inputs.map((input, n) => ({ input, realogramId: realogramIds[n] as number }));

  const bays = withIds.flatMap(({ input, realogramId }) => Array.from({ length: Math.max(1, input.bays) }, (_, b) => [realogramId, b + 1]));
  await insertRows(db, 'realograms_implementation_realogrambay', BAY, bays);

  const reports = withIds.flatMap(({ input, realogramId }) =>
    input.sections.map((s) => [
      realogramId, s.sectionId, s.sectionName, s.storePlanogramId, s.planogramId, s.aisleName,
      s.prePog, s.facing, s.sequence, s.initial,
      JSON.stringify({ osa: s.preOsa, correct: s.correct, wandering: s.wandering, missing: s.missing, empty: s.empty }),
      input.scanDate, at(input),
    ]),
  );
  await insertRows(db, 'planograms_compliance_planogramcompliancereport', REPORT, reports);

  await upsertStoreCompliance(db, inputs);
  await appendMajorityLogs(db, inputs, at);

  const { sql, params } = valuesList(
    [['id', 'bigint'], ['realogram_id', 'bigint'], ['has_report', 'boolean'], ['at', 'timestamptz']],
    withIds.map(({ input, realogramId }) => [input.scanId, realogramId, input.sections.length > 0, at(input)]),
  );
  await db.query(
    `UPDATE realograms_implementation_scan AS s
        SET status = 'done', has_report = v.has_report, active_realogram_id = v.realogram_id, updated_at = v.at
       FROM (VALUES ${sql}) AS v (id, realogram_id, has_report, at)
      WHERE s.id = v.id`,
    params,
  );
}

/** One row per store POG and day; several reports of a batch for the same key are averaged. */
async function upsertStoreCompliance(db: Queryable, inputs: readonly ProcessingInput[]): Promise<void> {
  const groups = new Map<string, { spid: number; date: string; sections: RecognisedSection[] }>();
  for (const input of inputs) {
    for (const s of input.sections) {
      const key = `${s.storePlanogramId}|${input.scanDate}`;
      const group = groups.get(key) ?? { spid: s.storePlanogramId, date: input.scanDate, sections: [] };
      group.sections.push(s);
      groups.set(key, group);
    }
  }
  if (groups.size === 0) return;
  const mean = (list: RecognisedSection[], pick: (s: RecognisedSection) => number): number => round2(list.reduce((sum, s) => sum + pick(s), 0) / list.length);
  const rows = [...groups.values()].map(({ spid, date, sections: l }) => [
    spid, date, mean(l, (s) => s.prePog), mean(l, (s) => s.postPog), mean(l, (s) => s.preOsa), mean(l, (s) => s.postOsa),
    mean(l, (s) => s.facing), mean(l, (s) => s.sequence), mean(l, (s) => Math.min(100, s.sequence + s.postPog - s.prePog)), mean(l, (s) => s.initial),
  ]);
  const columns: Column[] = [
    ['store_planogram_id', 'bigint'], ['date', 'date'], ['pre_compliance', 'numeric'], ['post_compliance', 'numeric'],
    ['pre_osa', 'numeric'], ['post_osa', 'numeric'], ['facing_compliance', 'numeric'], ['sequence_pre_compliance', 'numeric'],
    ['sequence_post_compliance', 'numeric'], ['initial_pre_compliance', 'numeric'],
  ];
  const updates = columns.slice(2).map(([name]) => `${name} = EXCLUDED.${name}`).join(', ');
  const { sql, params } = valuesList(columns, rows);
  await db.query(
    `INSERT INTO planograms_compliance_storeplanogramcompliance (${columns.map(([n]) => n).join(', ')})
     VALUES ${sql}
     ON CONFLICT (store_planogram_id, date) DO UPDATE SET ${updates}`,
    params,
  );
}

/** One new log row per store POG touched, holding this batch's scans plus the previous row's. */
async function appendMajorityLogs(db: Queryable, inputs: readonly ProcessingInput[], at: (i: ProcessingInput) => Date): Promise<void> {
  const groups = new Map<number, { date: string; at: Date; data: Record<string, { map_by: string }> }>();
  for (const input of inputs) {
    for (const spid of new Set(input.sections.map((s) => s.storePlanogramId))) {
      const group = groups.get(spid) ?? { date: input.scanDate, at: at(input), data: {} };
      if (input.scanDate > group.date) group.date = input.scanDate;
      if (at(input) > group.at) group.at = at(input);
      group.data[String(input.scanId)] = { map_by: input.mapBy };
      groups.set(spid, group);
    }
  }
  if (groups.size === 0) return;
  const rows = [...groups.entries()].map(([spid, g], ord) => [ord, spid, g.date, JSON.stringify(g.data), g.at]);
  const { sql, params } = valuesList([['ord', 'integer'], ['spid', 'bigint'], ['d', 'date'], ['data', 'jsonb'], ['at', 'timestamptz']], rows, 1);
  await db.query(
    `INSERT INTO planograms_compliance_majorityv2log (store_planogram_id, scan_created_date, data, created_at)
     SELECT v.spid, v.d, CASE WHEN prev.n < $1 THEN prev.data ELSE '{}'::jsonb END || v.data, v.at
       FROM (VALUES ${sql}) AS v (ord, spid, d, data, at)
       LEFT JOIN LATERAL (
         SELECT l.data, (SELECT count(*) FROM jsonb_object_keys(l.data)) AS n
           FROM planograms_compliance_majorityv2log l
          WHERE l.store_planogram_id = v.spid
          ORDER BY l.id DESC
          LIMIT 1
       ) AS prev ON true
      ORDER BY v.ord`,
    [MAJORITY_LOG_MAX_SCANS, ...params],
  );
}
