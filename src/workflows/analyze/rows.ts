/**
 * Analysis rows from the details of both sides: one row per source section and the copy's
 * section it pairs with (pairing.ts), commented by the rules (rules.ts). A pair whose copy
 * is absent, failed processing or is not processed is never compared: its source sections
 * are listed with the comment "Target Scan Missing", "Target Processing Failed" or "Target
 * Not Processed" and an empty target side. A source
 * section that the copy has no section left for is "Section Missing in Target": the copy
 * recognised fewer sections, which says nothing about the planogram it chose.
 */
import type { AnalysisComment, AnalysisRow, SideField, SideValues } from '../../reports/analysis-columns.js';
import { SIDE_FIELDS } from '../../reports/analysis-columns.js';
import type { ScanDetailsRow } from '../../platform/types.js';
import { processingOutcome } from '../../platform/scan-status.js';
import { pairSections } from './pairing.js';
import { compareSections, EMPTY_SIDE, type CompareOptions } from './rules.js';

/** A source scan and its copy; `targetId` null when the copy was never made. */
export interface ScanPair {
  sourceId: number;
  targetId: number | null;
}

/** Details grouped by scan: how its processing ended, from the scan row, and its reports in report order. */
export interface ScanSections {
  processed: boolean;
  /** Processing ended without a result (`error`, `interrupted`). */
  failed: boolean;
  sections: ScanDetailsRow[];
}

export function groupDetails(rows: readonly ScanDetailsRow[]): Map<number, ScanSections> {
  const scans = new Map<number, ScanSections>();
  for (const row of rows) {
    const scan = scans.get(row.scan_id) ?? { processed: row.has_report, failed: processingOutcome(row.scan_status, row.has_report) === 'failed', sections: [] };
    if (row.report_id !== null) scan.sections.push(row);
    scans.set(row.scan_id, scan);
  }
  return scans;
}

/** Rows for every pair, in pair order; `source` must hold every pair's source scan. */
export function buildAnalysisRows(
  pairs: readonly ScanPair[],
  source: ReadonlyMap<number, ScanSections>,
  target: ReadonlyMap<number, ScanSections>,
  options: CompareOptions = {},
): AnalysisRow[] {
  return pairs.flatMap((pair) => {
    const sourceSections = source.get(pair.sourceId)?.sections ?? [];
    const copy = pair.targetId === null ? undefined : target.get(pair.targetId);
    if (!copy || !copy.processed) {
      const comment: AnalysisComment = !copy ? 'Target Scan Missing' : copy.failed ? 'Target Processing Failed' : 'Target Not Processed';
      const listed = sourceSections.length > 0 ? sourceSections : [undefined];
      return listed.map((s) => analysisRow(pair, sideOf(s), EMPTY_SIDE, comment, null));
    }
    const sectionPairs = pairSections(sourceSections, copy.sections);
    const compared = sectionPairs.length > 0 ? sectionPairs : [[undefined, undefined] as const];
    const scanMapBy = copy.sections.find((t) => t.map_by_value !== null)?.map_by_value ?? null;
    return compared.map(([s, t]) => {
      const sourceSide = sideOf(s);
      const targetSide = sideOf(t);
      const comment: AnalysisComment = s && !t ? 'Section Missing in Target' : compareSections(sourceSide, targetSide, options);
      return analysisRow(pair, sourceSide, targetSide, comment, t?.map_by_value ?? scanMapBy);
    });
  });
}

function sideOf(row: ScanDetailsRow | undefined): SideValues {
  if (!row) return EMPTY_SIDE;
  const side = {} as Record<SideField, unknown>;
  for (const field of SIDE_FIELDS) side[field] = row[field];
  return side as unknown as SideValues;
}

function analysisRow(pair: ScanPair, source: SideValues, target: SideValues, comment: AnalysisComment, mapBy: string | null): AnalysisRow {
  const row = { source_scan_id: pair.sourceId, target_scan_id: pair.targetId } as Record<string, unknown>;
  for (const field of SIDE_FIELDS) {
    row[`source_${field}`] = source[field];
    row[`target_${field}`] = target[field];
  }
  row.comment = comment;
  row.MAv2_Map_by = mapBy;
  return row as unknown as AnalysisRow;
}
