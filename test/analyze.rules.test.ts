import { describe, expect, it } from 'vitest';
import type { ScanDetailsRow } from '../src/platform/types.js';
import { ANALYSIS_COLUMNS, COMMENTS, type SideValues } from '../src/reports/analysis-columns.js';
import { pairSections } from '../src/workflows/analyze/pairing.js';
import { buildAnalysisRows, groupDetails, type ScanPair } from '../src/workflows/analyze/rows.js';
import { compareSections, EMPTY_SIDE } from '../src/workflows/analyze/rules.js';

let reportId = 1;

/** A details row as selectScanDetails returns it, with figures that trigger no rule unless overridden. */
function details(scanId: number, over: Partial<ScanDetailsRow> = {}): ScanDetailsRow {
  return {
    scan_id: scanId,
    scan_status: 'done',
    store_planogram_id: 501,
    planogram_name: 'Soft Drinks 4ft',
    section_id: 11,
    section_name: 'Bay 1',
    is_additional_section: false,
    pre_pog_percentage: 80,
    post_pog_percentage: 82,
    pre_osa_percentage: 90,
    post_osa_percentage: 91,
    ok_count: 40,
    wandering_count: 2,
    oos_count: 3,
    hole_count: 1,
    planogram_unique_count: 1,
    planogram_all_count: 2,
    realogram_unique_count: 1,
    realogram_all_count: 1,
    majority_v2_id: 7,
    majority_store_planogram_id: 501,
    majority_created_at: '2026-11-01',
    majority_data: { [scanId]: { map_by: 'majority_v2' } },
    map_by_value: 'majority_v2',
    report_id: reportId++,
    has_report: true,
    ...over,
  };
}

const side = (over: Partial<SideValues> = {}): SideValues => ({
  ...EMPTY_SIDE,
  planogram_name: 'Soft Drinks 4ft',
  section_name: 'Bay 1',
  is_additional_section: false,
  pre_pog_percentage: 80,
  ...over,
});

describe('comparison rules of platform.md section 6', () => {
  it.each([
    ['planogram names differ', {}, { planogram_name: 'Snacks 8ft' }, 'Wrong POG Name Mapping'],
    ['same planogram, section names differ', {}, { section_name: 'Bay 2' }, 'Same POG Name but Different Section'],
    ['target section additional, source not', {}, { is_additional_section: true }, 'Target Has Additional Section (Source Does Not)'],
    ['target pre-POG above source', {}, { pre_pog_percentage: 80.01 }, 'Target Has Higher POG% Than Source'],
    ['equal pre-POG', {}, { pre_pog_percentage: 80 }, 'No Issues'],
    ['target pre-POG below source', {}, { pre_pog_percentage: 12 }, 'No Issues'],
    ['both sections additional', { is_additional_section: true }, { is_additional_section: true }, 'No Issues'],
    ['only the source additional', { is_additional_section: true }, {}, 'No Issues'],
    ['post-POG and OSA are not compared', {}, { post_pog_percentage: 99, pre_osa_percentage: 99 }, 'No Issues'],
    ['section names compare exactly (case)', {}, { section_name: 'bay 1' }, 'Same POG Name but Different Section'],
  ] as const)('%s -> %s', (_name, source, target, comment) => {
    expect(compareSections(side(source), side(target))).toBe(comment);
  });

  it('takes the first rule that holds when several do', () => {
    const everything = { planogram_name: 'Snacks 8ft', section_name: 'Bay 9', is_additional_section: true, pre_pog_percentage: 99 };
    expect(compareSections(side(), side(everything))).toBe('Wrong POG Name Mapping');
    const { planogram_name: _p, ...sectionAndBelow } = everything;
    expect(compareSections(side(), side(sectionAndBelow))).toBe('Same POG Name but Different Section');
    const { section_name: _s, ...additionalAndBelow } = sectionAndBelow;
    expect(compareSections(side(), side(additionalAndBelow))).toBe('Target Has Additional Section (Source Does Not)');
  });

  it('a section on one side only is a wrong planogram mapping; a missing pre-POG never counts as higher', () => {
    expect(compareSections(side(), EMPTY_SIDE)).toBe('Wrong POG Name Mapping');
    expect(compareSections(EMPTY_SIDE, side())).toBe('Wrong POG Name Mapping');
    expect(compareSections(side({ pre_pog_percentage: null }), side({ pre_pog_percentage: 90 }))).toBe('No Issues');
  });
});

describe('pairing a scan\'s sections', () => {
  const s = (planogram: string, section: string, tag = ''): { planogram_name: string; section_name: string; tag: string } => ({
    planogram_name: planogram,
    section_name: section,
    tag,
  });

  it('pairs by planogram and section name first, then the rest by order, and keeps left-overs of both sides', () => {
    const source = [s('A', '1', 's0'), s('A', '2', 's1'), s('B', '1', 's2'), s('C', '1', 's3')];
    const target = [s('X', '9', 't0'), s('B', '1', 't1'), s('A', '1', 't2'), s('Y', '9', 't3'), s('Z', '9', 't4')];
    const tags = pairSections(source, target).map(([a, b]) => [a?.tag, b?.tag]);
    expect(tags).toEqual([
      ['s0', 't2'],
      ['s1', 't0'],
      ['s2', 't1'],
      ['s3', 't3'],
      [undefined, 't4'],
    ]);
    expect(pairSections([s('A', '1', 's0'), s('A', '2', 's1')], [s('A', '2', 't0')]).map(([a, b]) => [a?.tag, b?.tag])).toEqual([
      ['s0', undefined],
      ['s1', 't0'],
    ]);
  });

  it('uses each target section once when names repeat', () => {
    const tags = pairSections([s('A', '1', 's0'), s('A', '1', 's1')], [s('A', '1', 't0'), s('A', '1', 't1')]).map(([a, b]) => [a?.tag, b?.tag]);
    expect(tags).toEqual([
      ['s0', 't0'],
      ['s1', 't1'],
    ]);
  });
});

describe('analysis rows', () => {
  const build = (pairs: ScanPair[], source: ScanDetailsRow[], target: ScanDetailsRow[]) =>
    buildAnalysisRows(pairs, groupDetails(source), groupDetails(target));

  it('carries both sides\' values side by side with the comment and the target\'s map_by', () => {
    const [row] = build(
      [{ sourceId: 1, targetId: 101 }],
      [details(1)],
      [details(101, { pre_pog_percentage: 85.5, ok_count: 44, section_id: 12, map_by_value: 'planogram_section' })],
    );
    expect(Object.keys(row ?? {}).sort()).toEqual([...ANALYSIS_COLUMNS].sort());
    expect(row).toMatchObject({
      source_scan_id: 1,
      target_scan_id: 101,
      source_pre_pog_percentage: 80,
      target_pre_pog_percentage: 85.5,
      source_section_id: 11,
      target_section_id: 12,
      target_ok_count: 44,
      comment: 'Target Has Higher POG% Than Source',
      MAv2_Map_by: 'planogram_section',
    });
  });

  it('never compares a pair without a copy: missing and not processed copies get their own comment, one row per source section', () => {
    const source = [details(1), details(1, { section_name: 'Bay 2' }), details(2), details(3)];
    const target = [
      details(102, { scan_status: 'progress', has_report: false, report_id: null, planogram_name: null, section_name: null }),
      // An unrelated processed scan in the target that the seed tool would have compared with.
      details(999),
    ];
    const rows = build(
      [
        { sourceId: 1, targetId: null },
        { sourceId: 2, targetId: 102 },
        { sourceId: 3, targetId: 103 },
      ],
      source,
      target,
    );
    expect(rows.map((r) => [r.source_scan_id, r.target_scan_id, r.source_section_name, r.comment])).toEqual([
      [1, null, 'Bay 1', 'Target Scan Missing'],
      [1, null, 'Bay 2', 'Target Scan Missing'],
      [2, 102, 'Bay 1', 'Target Not Processed'],
      [3, 103, 'Bay 1', 'Target Scan Missing'],
    ]);
    for (const row of rows) {
      expect(row.target_planogram_name).toBeNull();
      expect(row.target_pre_pog_percentage).toBeNull();
      expect(row.MAv2_Map_by).toBeNull();
    }
  });

  it('gives every comment, each in its own row, for a scan with several sections', () => {
    const source = [
      details(1, { planogram_name: 'P', section_name: 'S1' }),
      details(1, { planogram_name: 'P', section_name: 'S2' }),
      details(1, { planogram_name: 'P', section_name: 'S3' }),
      details(1, { planogram_name: 'P', section_name: 'S4' }),
      details(1, { planogram_name: 'P', section_name: 'S5' }),
    ];
    const target = [
      details(101, { planogram_name: 'P', section_name: 'S3', is_additional_section: true }),
      details(101, { planogram_name: 'P', section_name: 'S1' }),
      details(101, { planogram_name: 'P', section_name: 'S4', pre_pog_percentage: 95 }),
      details(101, { planogram_name: 'P', section_name: 'S9' }),
      details(101, { planogram_name: 'Q', section_name: 'S5' }),
    ];
    const rows = build([{ sourceId: 1, targetId: 101 }], source, target);
    expect(rows.map((r) => [r.source_section_name, r.target_section_name, r.comment])).toEqual([
      ['S1', 'S1', 'No Issues'],
      ['S2', 'S9', 'Same POG Name but Different Section'],
      ['S3', 'S3', 'Target Has Additional Section (Source Does Not)'],
      ['S4', 'S4', 'Target Has Higher POG% Than Source'],
      ['S5', 'S5', 'Wrong POG Name Mapping'],
    ]);
    expect(new Set(rows.map((r) => r.comment)).size).toBe(5);
  });

  it('lists a copy\'s extra section against an empty source side', () => {
    const rows = build([{ sourceId: 1, targetId: 101 }], [details(1)], [details(101), details(101, { section_name: 'Bay 2' })]);
    expect(rows.map((r) => [r.source_section_name, r.target_section_name, r.comment])).toEqual([
      ['Bay 1', 'Bay 1', 'No Issues'],
      [null, 'Bay 2', 'Wrong POG Name Mapping'],
    ]);
  });

  it('says a copy whose processing ended in error or interrupted failed processing, never comparing it', () => {
    const failed = (id: number, status: string) => details(id, { scan_status: status, has_report: false, report_id: null, planogram_name: null, section_name: null });
    const rows = build(
      [{ sourceId: 1, targetId: 101 }, { sourceId: 2, targetId: 102 }, { sourceId: 3, targetId: 103 }],
      [details(1), details(2), details(3)],
      [failed(101, 'error'), failed(102, 'interrupted'), failed(103, 'created')],
    );
    expect(rows.map((r) => [r.source_scan_id, r.comment, r.target_section_name])).toEqual([
      [1, 'Target Processing Failed', null],
      [2, 'Target Processing Failed', null],
      [3, 'Target Not Processed', null],
    ]);
  });

  it('says a source section the copy has no section for is missing in the target, without comparing it', () => {
    const rows = build([{ sourceId: 1, targetId: 101 }], [details(1), details(1, { section_name: 'Bay 2', planogram_name: 'Other' })], [details(101)]);
    expect(rows.map((r) => [r.source_section_name, r.target_section_name, r.comment])).toEqual([
      ['Bay 1', 'Bay 1', 'No Issues'],
      ['Bay 2', null, 'Section Missing in Target'],
    ]);
    expect(rows[1]?.target_planogram_name).toBeNull();
  });

  it('knows every comment in rule order', () => {
    expect(COMMENTS).toEqual([
      'Wrong POG Name Mapping',
      'Same POG Name but Different Section',
      'Target Has Additional Section (Source Does Not)',
      'Target Has Higher POG% Than Source',
      'No Issues',
      'Target Scan Missing',
      'Target Not Processed',
      'Target Processing Failed',
      'Section Missing in Target',
    ]);
  });
});
