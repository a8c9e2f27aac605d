/**
 * analyzeScans end to end: the demo copied by copyScans (auto mode) to a target sandbox that
 * mis-maps a quarter of the images, analysed while the copies are still being processed. Every row's
 * comment is recomputed here from plain SQL on both databases, not by the code under test.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../src/platform/db.js';
import { openInstance, type Instance } from '../src/platform/instance.js';
import { readCsv } from '../src/reports/csv.js';
import { COMMENTS } from '../src/reports/analysis-columns.js';
import { analyzeScans, type AnalyzeEvent, type AnalyzeResult, type ScanPair } from '../src/workflows/analyze.js';
import { copyScans } from '../src/workflows/copy.js';
import { exitCodeOf } from '../src/workflows/exit-code.js';
import { testEngines } from './helpers/databases.js';
import { startTestSandboxPair, type TestSandboxPair } from './helpers/sandbox.js';

const RULES = [
  'Wrong POG Name Mapping',
  'Same POG Name but Different Section',
  'Target Has Additional Section (Source Does Not)',
  'Target Has Higher POG% Than Source',
  'No Issues',
];

const SEED_DETAILS_HEADER =
  'scan_id,scan_status,store_planogram_id,planogram_name,section_id,section_name,is_additional_section,pre_pog_percentage,' +
  'post_pog_percentage,pre_osa_percentage,post_osa_percentage,ok_count,wandering_count,oos_count,hole_count,planogram_unique_count,' +
  'planogram_all_count,realogram_unique_count,realogram_all_count,majority_v2_id,majority_store_planogram_id,majority_created_at,' +
  'majority_data,map_by_value';

interface Report {
  planogram: string;
  section: string;
  additional: boolean;
  prePog: number;
}

/** Each scan's reports in report order, and whether it is processed, straight from SQL. */
async function scansBySql(db: Queryable, ids: number[]): Promise<Map<number, { processed: boolean; reports: Report[] }>> {
  const scans = await db.query<{ id: number; processed: boolean }>(
    `SELECT id, (status = 'done' AND has_report) AS processed FROM realograms_implementation_scan WHERE id = ANY($1::bigint[])`,
    [ids],
  );
  const reports = await db.query<Report & { scan_id: number }>(
    `SELECT s.id AS scan_id, p.name AS planogram, r.section_name AS section, spc.pre_compliance::float8 AS "prePog",
            EXISTS (SELECT 1 FROM planograms_implementation_planogramsectionproduct sp
                     WHERE sp.section_id = r.section_id AND (sp.action ILIKE '%additional%' OR sp.merch_method ILIKE '%additional%')) AS additional
       FROM realograms_implementation_scan s
       JOIN planograms_compliance_planogramcompliancereport r ON r.realogram_id = s.active_realogram_id
       JOIN planograms_implementation_planogram p ON p.id = r.planogram_id
       LEFT JOIN planograms_compliance_storeplanogramcompliance spc
              ON spc.store_planogram_id = r.store_planogram_id AND spc.date = r.scan_created_date
      WHERE s.id = ANY($1::bigint[])
      ORDER BY s.id, r.id`,
    [ids],
  );
  return new Map(scans.map((s) => [s.id, { processed: s.processed, reports: reports.filter((r) => r.scan_id === s.id) }]));
}

/** The expected [source section, target section, comment] lines of one pair, per the README's pairing and platform.md's rules. */
function expectedLines(source: Report[], target: { processed: boolean; reports: Report[] } | undefined): string[][] {
  const listed = source.length > 0 ? source : [undefined];
  if (!target) return listed.map((s) => [s?.section ?? '', '', 'Target Scan Missing']);
  if (!target.processed) return listed.map((s) => [s?.section ?? '', '', 'Target Not Processed']);
  const left = [...target.reports];
  const byName = source.map((s) => {
    const i = left.findIndex((t) => t.planogram === s.planogram && t.section === s.section);
    return i === -1 ? undefined : left.splice(i, 1)[0];
  });
  const pairs: Array<[Report | undefined, Report | undefined]> = source.map((s, i) => [s, byName[i] ?? left.shift()]);
  for (const t of left) pairs.push([undefined, t]);
  return pairs.map(([s, t]) => {
    if (s && !t) return [s.section, '', 'Section Missing in Target'];
    const rule =
      s?.planogram !== t?.planogram ? 0 : s?.section !== t?.section ? 1 : !s?.additional && t?.additional ? 2 : s && t && t.prePog > s.prePog ? 3 : 4;
    return [s?.section ?? '', t?.section ?? '', RULES[rule] as string];
  });
}

describe.each(testEngines())('analyzeScans against two sandboxes on $name', (engine) => {
  let pair: TestSandboxPair;
  let source: Instance;
  let target: Instance;
  let dir: string;
  let mapping: Map<number, number>;
  let pairs: ScanPair[];
  let result: AnalyzeResult;
  let runDir: string;
  const events: AnalyzeEvent[] = [];

  beforeAll(async () => {
    // Processing waits a second after each create, so the last copies are still processing when analysis starts.
    pair = await startTestSandboxPair({ engine, scans: 60, target: { misMapRate: 0.25, processingDelayMs: 1000 } });
    dir = await mkdtemp(join(tmpdir(), 'scancopy-analyze-'));
    const open = (name: string, s: typeof pair.source): Promise<Instance> =>
      openInstance({ name, apiUrl: s.apiUrl, dbUrl: s.dbUrl, username: s.username, password: s.password });
    [source, target] = await Promise.all([open('src', pair.source), open('tgt', pair.target)]);
    // As a user would: one auto copy per store, into the target's store of the same id (the target is a clone).
    const stores = await pair.source.db.query<{ store_id: number; ids: number[] }>(
      'SELECT store_id, json_agg(id ORDER BY id) AS ids FROM realograms_implementation_scan GROUP BY store_id ORDER BY store_id',
    );
    mapping = new Map();
    let firstRun: string | undefined;
    for (const store of stores) {
      const copied = await copyScans({
        source: { apiUrl: pair.source.apiUrl, api: source.api, db: source.db },
        target: { apiUrl: pair.target.apiUrl, api: target.api, db: target.db },
        scanIds: store.ids.map(Number),
        targetStoreId: store.store_id,
        mode: 'auto',
        resultsDir: join(dir, 'copies'),
      });
      expect(copied).toMatchObject({ created: store.ids.length, failed: 0 });
      for (const m of copied.mapping) mapping.set(m.sourceScanId, m.targetScanId);
      firstRun ??= copied.runDir;
    }
    const sourceIds = [...mapping.keys()].sort((a, b) => a - b);
    pairs = [
      ...sourceIds.slice(2).map((id) => ({ sourceId: id, targetId: mapping.get(id) as number })),
      // No copy; and a copy id the target does not have, though the target has other processed scans.
      { sourceId: sourceIds[0] as number, targetId: null },
      { sourceId: sourceIds[1] as number, targetId: 987_654_321 },
    ];
    // Into the first copy's run folder, as `copy --analyze` does.
    runDir = firstRun as string;
    result = await analyzeScans(
      {
        source: { db: source.db, images: source.api, name: 'src' },
        target: { db: target.db, images: target.api, name: 'tgt' },
        pairs,
        runDir,
        timestamp: basename(runDir).replace(/^run_/, ''),
        waitMs: 120_000,
        pollMs: 200,
      },
      { onEvent: (e) => events.push(e) },
    );
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled([source?.close(), target?.close()]);
    await pair?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('waits for the copies to be processed, with progress, before comparing', () => {
    const progress = events.filter((e) => e.type === 'wait-progress');
    expect(progress[0]).toMatchObject({ total: 59, missing: 1 });
    expect((progress[0] as { pending: number }).pending).toBeGreaterThan(0);
    expect(events.find((e) => e.type === 'wait-done')).toMatchObject({ timedOut: false, pending: 0, processed: 58, missing: 1 });
    expect(result.timedOut).toBe(false);
    expect(result.notProcessed).toEqual([]);
  });

  it('gives each row the comment that SQL on both databases says, and every comment appears', async () => {
    const csv = await readCsv(result.files.analysisCsv);
    const sourceSql = await scansBySql(pair.source.db, pairs.map((p) => p.sourceId));
    const targetSql = await scansBySql(pair.target.db, pairs.flatMap((p) => (p.targetId ? [p.targetId] : [])));
    const expected = pairs.flatMap((p) =>
      expectedLines(sourceSql.get(p.sourceId)?.reports ?? [], p.targetId === null ? undefined : targetSql.get(p.targetId)).map((line) => [
        String(p.sourceId),
        p.targetId === null ? '' : String(p.targetId),
        ...line,
      ]),
    );
    expect(csv.map((r) => [r.source_scan_id, r.target_scan_id, r.source_section_name, r.target_section_name, r.comment])).toEqual(expected);
    expect([...new Set(csv.map((r) => r.comment))]).toEqual(expect.arrayContaining([...RULES, 'Target Scan Missing']));
    expect(csv.filter((r) => r.comment === 'Target Scan Missing').map((r) => r.source_scan_id)).toEqual(
      expect.arrayContaining([String(pairs.at(-2)?.sourceId), String(pairs.at(-1)?.sourceId)]),
    );
    for (const row of csv.filter((r) => r.comment === 'Target Scan Missing')) {
      expect([row.target_planogram_name, row.target_section_name, row.target_pre_pog_percentage, row.MAv2_Map_by]).toEqual(['', '', '', '']);
    }
    expect(new Set(csv.filter((r) => r.target_scan_id && r.comment !== 'Target Scan Missing').map((r) => r.MAv2_Map_by))).toEqual(new Set(['majority_v2']));
    expect(result.counts).toEqual(Object.fromEntries(COMMENTS.map((c) => [c, csv.filter((r) => r.comment === c).length])));
  });

  it('writes both details CSVs with the seed columns, one row per scan and report', async () => {
    for (const [file, db, ids] of [
      [result.files.sourceDetails, pair.source.db, pairs.map((p) => p.sourceId)],
      [result.files.targetDetails, pair.target.db, [...mapping.values()]],
    ] as const) {
      expect((await readFile(file, 'utf8')).split('\n')[0]).toBe(SEED_DETAILS_HEADER);
      const rows = await readCsv(file);
      const [{ n }] = (await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM realograms_implementation_scan s
           JOIN planograms_compliance_planogramcompliancereport r ON r.realogram_id = s.active_realogram_id
          WHERE s.id = ANY($1::bigint[])`,
        [ids.filter((id) => file === result.files.sourceDetails || pairs.some((p) => p.targetId === id))],
      )) as [{ n: number }];
      expect(rows).toHaveLength(n);
      expect(rows.every((r) => r.scan_status === 'done' && r.section_name !== '')).toBe(true);
    }
  });

  it('writes the highlighted XLSX and the HTML report with the same rows, images embedded', async () => {
    const csv = await readCsv(result.files.analysisCsv);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(result.files.analysisXlsx);
    expect(book.getWorksheet('Analysis')?.rowCount).toBe(csv.length + 1);
    const html = await readFile(result.files.html, 'utf8');
    expect(html.match(/<tr class="c\d" data-comment=/g)).toHaveLength(csv.length);
    // A copy's picture is its source's: one rule serves both classes.
    const sourceImages = new Set(html.match(/\.img-s\d+(?=[ ,])/g));
    const targetImages = new Set(html.match(/\.img-t\d+(?=[ ,])/g));
    const rules = (html.match(/\.img-[st]\d+(?:,\.img-[st]\d+)* \{/g) ?? []).map((r) => r.slice(0, -2).split(','));
    const shared = [...mapping].filter(([sourceId, targetId]) => rules.some((names) => names.includes(`.img-t${targetId}`) && names.includes(`.img-s${sourceId}`)));
    expect(shared).toHaveLength(targetImages.size);
    expect(rules.length).toBeLessThanOrEqual(60);
    expect(sourceImages.size).toBe(60);
    expect(targetImages.size).toBe(58);
    // Beside the copy's own files in its run folder (platform.md section 7).
    const names = await readdir(runDir);
    expect(names).toEqual(expect.arrayContaining([...Object.values(result.files).map((f) => basename(f)), expect.stringMatching(/^scan_mapping_updated_\d{8}_\d{6}\.csv$/)]));
    expect(Object.values(result.files).every((f) => f.startsWith(runDir) && f.includes(basename(runDir).slice(4)))).toBe(true);
    expect(events.filter((e) => e.type === 'file-written').map((e) => (e as { kind: string }).kind)).toEqual([
      'sourceDetails',
      'targetDetails',
      'analysisCsv',
      'analysisXlsx',
      'html',
      'scansHtml',
    ]);
  });

  it('reports a copy still processing when the wait ends as not processed, and still compares the others', async () => {
    const [stuck] = await pair.target.db.query<{ id: number }>(
      `INSERT INTO realograms_implementation_scan (store_id, provided_values)
       SELECT id, '{}'::jsonb FROM master_data_implementation_store ORDER BY id LIMIT 1 RETURNING id`,
    );
    const [first, second] = [...mapping.keys()].sort((a, b) => a - b).slice(2);
    const few: ScanPair[] = [
      { sourceId: first as number, targetId: (stuck as { id: number }).id },
      { sourceId: second as number, targetId: mapping.get(second as number) as number },
    ];
    const seen: AnalyzeEvent[] = [];
    const started = Date.now();
    const stuckRun = await analyzeScans(
      { source: { db: source.db }, target: { db: target.db }, pairs: few, runDir: join(dir, 'run_stuck'), timestamp: '20261201_130000', waitMs: 600, pollMs: 100 },
      { onEvent: (e) => seen.push(e) },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(stuckRun.timedOut).toBe(true);
    expect(stuckRun.notProcessed).toEqual([(stuck as { id: number }).id]);
    expect(seen.find((e) => e.type === 'wait-done')).toMatchObject({ timedOut: true, pending: 1, pendingIds: [(stuck as { id: number }).id] });
    const csv = await readCsv(stuckRun.files.analysisCsv);
    const sourceSql = await scansBySql(pair.source.db, [first as number, second as number]);
    const targetSql = await scansBySql(pair.target.db, few.map((p) => p.targetId as number));
    const expected = few.flatMap((p) => expectedLines(sourceSql.get(p.sourceId)?.reports ?? [], targetSql.get(p.targetId as number)).map((l) => [String(p.sourceId), ...l]));
    expect(csv.map((r) => [r.source_scan_id, r.source_section_name, r.target_section_name, r.comment])).toEqual(expected);
    expect(csv[0]?.comment).toBe('Target Not Processed');
    // Without API clients the page has no image column.
    const page = await readFile(stuckRun.files.html, 'utf8');
    expect(/\.img-[st]\d|First images/.test(page)).toBe(false);
  });

  it('a stop while waiting ends the wait there: the reports show the copies as they are, and the result says stopped (exit 130)', async () => {
    const [stuck] = await pair.target.db.query<{ id: number }>(
      `INSERT INTO realograms_implementation_scan (store_id, provided_values)
       SELECT id, '{}'::jsonb FROM master_data_implementation_store ORDER BY id LIMIT 1 RETURNING id`,
    );
    const stuckId = (stuck as { id: number }).id;
    const [first, second] = [...mapping.keys()].sort((a, b) => a - b).slice(2);
    const few: ScanPair[] = [
      { sourceId: first as number, targetId: stuckId },
      { sourceId: second as number, targetId: mapping.get(second as number) as number },
    ];
    const stop = new AbortController();
    const started = Date.now();
    const stopped = await analyzeScans(
      { source: { db: source.db }, target: { db: target.db }, pairs: few, runDir: join(dir, 'run_stopped'), timestamp: '20261201_133000', waitMs: 600_000, pollMs: 100 },
      { signal: stop.signal, onEvent: (e) => { if (e.type === 'wait-progress') stop.abort(); } },
    );
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(stopped).toMatchObject({ stopped: 'interrupted', timedOut: false, notProcessed: [stuckId] });
    const csv = await readCsv(stopped.files.analysisCsv);
    expect(csv[0]?.comment).toBe('Target Not Processed');
    expect(csv.some((r) => r.source_scan_id === String(second))).toBe(true);
    expect(exitCodeOf({ analyze: stopped })).toBe(130);
  });

  it('skips source scans that are not in the source database, analyses the rest, and refuses to compare nothing', async () => {
    const [first] = [...mapping.keys()].sort((a, b) => a - b);
    const seen: AnalyzeEvent[] = [];
    const partial = await analyzeScans(
      {
        source: { db: source.db },
        target: { db: target.db },
        pairs: [{ sourceId: 987_654_321, targetId: null }, { sourceId: first as number, targetId: mapping.get(first as number) as number }],
        runDir: join(dir, 'run_partial'),
        timestamp: '20261201_140000',
        waitMs: 0,
      },
      { onEvent: (e) => seen.push(e) },
    );
    expect([partial.pairs, partial.skippedSources, partial.missing]).toEqual([1, [987_654_321], []]);
    expect(seen).toContainEqual({ type: 'sources-skipped', scanIds: [987_654_321] });
    const csv = await readCsv(partial.files.analysisCsv);
    expect(new Set(csv.map((r) => r.source_scan_id))).toEqual(new Set([String(first)]));
    await expect(
      analyzeScans({ source: { db: source.db }, target: { db: target.db }, pairs: [{ sourceId: 987_654_321, targetId: null }], runDir: join(dir, 'run_bad'), timestamp: 'x', waitMs: 0 }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', context: { scanIds: [987_654_321] } });
  });
});
