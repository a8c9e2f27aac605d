/**
 * `--pog-tolerance`: a copy's pre-POG % rise within the tolerance is not "Target Has Higher
 * POG% Than Source"; a drop by more than it is flagged beside the comment (counted, its own
 * HTML filter), and the five seed comments keep their rules and order.
 */
import { describe, expect, it } from 'vitest';
import { isPogDrop, pogDelta, type SideValues } from '../src/reports/analysis-columns.js';
import { formatAnalysisHtml } from '../src/reports/html.js';
import { compareSections, EMPTY_SIDE } from '../src/workflows/analyze/rules.js';
import { analysisRow } from './helpers/analysis-rows.js';

const side = (over: Partial<SideValues> = {}): SideValues => ({
  ...EMPTY_SIDE,
  planogram_name: 'Soft Drinks 4ft',
  section_name: 'Bay 1',
  is_additional_section: false,
  pre_pog_percentage: 71.25,
  ...over,
});

describe('POG % tolerance', () => {
  it.each([
    [0.43, 0, 'Target Has Higher POG% Than Source'],
    [0.43, 0.5, 'No Issues'],
    [1.25, 1.25, 'No Issues'],
    [1.26, 1.25, 'Target Has Higher POG% Than Source'],
    [20, 5, 'Target Has Higher POG% Than Source'],
    [-30, 5, 'No Issues'],
  ] as const)('a rise of %s points with tolerance %s -> %s', (rise, tolerance, comment) => {
    const target = side({ pre_pog_percentage: Math.round((71.25 + rise) * 100) / 100 });
    expect(compareSections(side(), target, { pogTolerance: tolerance })).toBe(comment);
  });

  it('keeps the seed rule (any rise) by default and the earlier rules whatever the tolerance', () => {
    expect(compareSections(side(), side({ pre_pog_percentage: 71.26 }))).toBe('Target Has Higher POG% Than Source');
    const wide = { pogTolerance: 100 };
    expect(compareSections(side(), side({ planogram_name: 'Other', pre_pog_percentage: 99 }), wide)).toBe('Wrong POG Name Mapping');
    expect(compareSections(side(), side({ section_name: 'Bay 2' }), wide)).toBe('Same POG Name but Different Section');
    expect(compareSections(side(), side({ is_additional_section: true }), wide)).toBe('Target Has Additional Section (Source Does Not)');
    expect(compareSections(side(), side({ pre_pog_percentage: 99 }), wide)).toBe('No Issues');
  });

  it('flags a drop beyond the tolerance, not one within it nor a side without figures', () => {
    const row = (source: number | null, target: number | null) => ({ source_pre_pog_percentage: source, target_pre_pog_percentage: target });
    expect(pogDelta(71.25, 72.5)).toBe(1.25);
    expect(isPogDrop(row(80, 59.5), 20)).toBe(true);
    expect(isPogDrop(row(80, 60), 20)).toBe(false);
    expect(isPogDrop(row(80, 79.99), 0)).toBe(true);
    expect(isPogDrop(row(80, 80), 0)).toBe(false);
    expect(isPogDrop(row(80, null), 0)).toBe(false);
    expect(isPogDrop(row(null, 10), 0)).toBe(false);
  });

  it('marks the dropped rows in the HTML report and counts them beside their own filter', () => {
    const rows = [
      analysisRow(0, 'No Issues', { source_pre_pog_percentage: 80, target_pre_pog_percentage: 55 }),
      analysisRow(1, 'No Issues', { source_pre_pog_percentage: 80, target_pre_pog_percentage: 78 }),
      analysisRow(2, 'Target Has Higher POG% Than Source', { source_pre_pog_percentage: 60, target_pre_pog_percentage: 70 }),
    ];
    const html = formatAnalysisHtml(rows, { pogTolerance: 5 });
    expect(html.match(/<tr [^>]*data-drop="1"/g)).toHaveLength(1);
    expect(html).toContain('<input type="checkbox" id="drop-filter"> only rows whose copy\'s pre-POG % dropped by more than 5 points (1)');
  });
});
