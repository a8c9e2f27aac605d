/**
 * The analysis rows grouped by source scan and its copy, in report order, and the counts
 * per copy that a QA engineer reads first ("15 of 60 copies mis-mapped"). The HTML pages
 * and the XLSX Scans sheet all read these, so a copy is counted the same way everywhere.
 */
import { COMMENTS, isPogDrop, type AnalysisComment, type AnalysisRow } from './analysis-columns.js';

export interface ScanPairRows {
  sourceScanId: number;
  targetScanId: number | null;
  /** The pair's rows (one per section pair), in report order. */
  rows: AnalysisRow[];
  /** The comment that comes first in rule order among its sections: the most serious. */
  comment: AnalysisComment;
  /** One of its sections has a comment of the first three rules: the copy was recognised differently. */
  misMapped: boolean;
  /** One of its sections' pre-POG % dropped by more than the tolerance. */
  dropped: boolean;
  /** The copy was compared: it exists and was processed. */
  compared: boolean;
}

/** Copies whose recognition differs from the source's: one of the first three rules holds for one of their sections. */
export const MIS_MAPPED: ReadonlySet<AnalysisComment> = new Set(COMMENTS.slice(0, 3));

const NOT_COMPARED: ReadonlySet<AnalysisComment> = new Set(['Target Scan Missing', 'Target Not Processed', 'Target Processing Failed']);

export function groupScanPairs(rows: readonly AnalysisRow[], tolerance = 0): ScanPairRows[] {
  const pairs = new Map<string, ScanPairRows>();
  for (const row of rows) {
    const key = `${row.source_scan_id}>${row.target_scan_id ?? ''}`;
    let pair = pairs.get(key);
    if (!pair) {
      pair = { sourceScanId: row.source_scan_id, targetScanId: row.target_scan_id, rows: [], comment: row.comment, misMapped: false, dropped: false, compared: false };
      pairs.set(key, pair);
    }
    pair.rows.push(row);
    if (COMMENTS.indexOf(row.comment) < COMMENTS.indexOf(pair.comment)) pair.comment = row.comment;
    pair.misMapped ||= MIS_MAPPED.has(row.comment);
    pair.dropped ||= isPogDrop(row, tolerance);
    pair.compared ||= !NOT_COMPARED.has(row.comment);
  }
  return [...pairs.values()];
}

export interface ScanPairCounts {
  pairs: number;
  misMapped: number;
  dropped: number;
  notCompared: number;
}

export function countScanPairs(pairs: readonly ScanPairRows[]): ScanPairCounts {
  const count = (test: (p: ScanPairRows) => boolean): number => pairs.filter(test).length;
  return { pairs: pairs.length, misMapped: count((p) => p.misMapped), dropped: count((p) => p.dropped), notCompared: count((p) => !p.compared) };
}

/** "15 of 60 copies mis-mapped; ..." as plain text, for the HTML pages. */
export function scanSummaryText(counts: ScanPairCounts, tolerance: number): { lead: string; rest: string } {
  return {
    lead: `${counts.misMapped} of ${counts.pairs} copies mis-mapped`,
    rest:
      `; ${counts.dropped} with a section whose pre-POG % dropped by more than ${tolerance} points; ` +
      `${counts.notCompared} not compared (missing, failed or not processed).`,
  };
}
