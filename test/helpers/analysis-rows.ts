/** Analysis rows built by hand for the report writers' tests: every comment, and names that break naive CSV and HTML. */
import { COMMENTS, type AnalysisComment, type AnalysisRow } from '../../src/reports/analysis-columns.js';

export const HOSTILE_NAMES = [
  'Soft "Drinks", 4ft',
  'Line one\nline two',
  '<script>window.pwned = 1</script>',
  `Tom's & Jerry's </td></tr><tr class="c0">`,
  'Ünïcödé ☕ Bay',
] as const;

export function analysisRow(i: number, comment: AnalysisComment, over: Partial<AnalysisRow> = {}): AnalysisRow {
  const compared = !['Target Scan Missing', 'Target Not Processed', 'Target Processing Failed', 'Section Missing in Target'].includes(comment);
  const name = HOSTILE_NAMES[i % HOSTILE_NAMES.length] as string;
  return {
    source_scan_id: 1000 + i,
    target_scan_id: comment === 'Target Scan Missing' ? null : 2000 + i,
    source_store_planogram_id: 500 + i,
    target_store_planogram_id: compared ? 600 + i : null,
    source_planogram_name: `Planogram ${name}`,
    target_planogram_name: compared ? `Planogram ${name}` : null,
    source_section_id: 10 + i,
    target_section_id: compared ? 20 + i : null,
    source_section_name: name,
    target_section_name: compared ? name : null,
    source_is_additional_section: false,
    target_is_additional_section: compared ? i % 2 === 0 : null,
    source_pre_pog_percentage: 71.25,
    target_pre_pog_percentage: compared ? 72.5 : null,
    source_post_pog_percentage: 73,
    target_post_pog_percentage: compared ? 74.33 : null,
    source_pre_osa_percentage: 90.1,
    target_pre_osa_percentage: compared ? 89.9 : null,
    source_post_osa_percentage: 91,
    target_post_osa_percentage: compared ? 92 : null,
    source_ok_count: 40 + i,
    target_ok_count: compared ? 41 + i : null,
    source_wandering_count: 2,
    target_wandering_count: compared ? 3 : null,
    source_oos_count: 0,
    target_oos_count: compared ? 1 : null,
    source_hole_count: 5,
    target_hole_count: compared ? 4 : null,
    comment,
    MAv2_Map_by: compared ? 'majority_v2' : null,
    ...over,
  };
}

/** `perComment[i]` rows of COMMENTS[i], interleaved so that equal comments are not adjacent. */
export function sampleRows(perComment: readonly number[] = [3, 2, 1, 4, 6, 1, 2, 1, 2]): AnalysisRow[] {
  const rows: AnalysisRow[] = [];
  const left = [...perComment];
  while (left.some((n) => n > 0)) {
    COMMENTS.forEach((comment, c) => {
      if ((left[c] ?? 0) > 0) {
        left[c] = (left[c] as number) - 1;
        rows.push(analysisRow(rows.length, comment));
      }
    });
  }
  return rows;
}
