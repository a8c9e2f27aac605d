/**
 * What the analysis reports show, in one place: the comments with their fills (platform.md
 * section 6 plus the two comments for pairs that cannot be compared), the analysis row and
 * its CSV columns, and the seed tool's details columns. The CSV, XLSX and HTML writers all
 * read these, so a comment always has the same colour and the columns the same order.
 */
import type { ScanDetailsRow } from '../platform/types.js';

export interface CommentStyle {
  comment: string;
  /** ExcelJS fill colour, `AARRGGBB`. */
  argb: string;
  /** Colour name for the legend. */
  colour: string;
  /** When the comment applies, for the legend. */
  meaning: string;
}

/** In rule order: the first five are platform.md section 6, the rest are scancopy's, for what cannot be compared. */
export const COMMENT_STYLES = [
  { comment: 'Wrong POG Name Mapping', argb: 'FFFFCCCC', colour: 'red', meaning: 'planogram names differ' },
  { comment: 'Same POG Name but Different Section', argb: 'FFFFE6CC', colour: 'orange', meaning: 'same planogram, section names differ' },
  {
    comment: 'Target Has Additional Section (Source Does Not)',
    argb: 'FFFFFFCC',
    colour: 'yellow',
    meaning: "source section is not additional, the target's is",
  },
  { comment: 'Target Has Higher POG% Than Source', argb: 'FFCCE6FF', colour: 'blue', meaning: 'target pre-POG % above the source pre-POG %' },
  { comment: 'No Issues', argb: 'FFCCFFCC', colour: 'green', meaning: 'none of the above' },
  { comment: 'Target Scan Missing', argb: 'FFDDDDDD', colour: 'grey', meaning: 'no copy, or the copy is not in the target database' },
  { comment: 'Target Not Processed', argb: 'FFDDDDDD', colour: 'grey', meaning: 'the copy was still not processed when the wait ended' },
  { comment: 'Target Processing Failed', argb: 'FFDDDDDD', colour: 'grey', meaning: 'the target ended processing the copy in error (or interrupted it), with no result' },
  { comment: 'Section Missing in Target', argb: 'FFDDDDDD', colour: 'grey', meaning: 'the copy has no section left to pair with this source section' },
] as const satisfies readonly CommentStyle[];

export type AnalysisComment = (typeof COMMENT_STYLES)[number]['comment'];

export const COMMENTS = COMMENT_STYLES.map((s) => s.comment) as readonly AnalysisComment[];

const STYLE_BY_COMMENT = new Map<string, CommentStyle>(COMMENT_STYLES.map((s) => [s.comment, s]));

export function commentStyle(comment: AnalysisComment): CommentStyle {
  return STYLE_BY_COMMENT.get(comment) as CommentStyle;
}

/** `#RRGGBB` of a comment's fill, for HTML. */
export function commentCssColour(comment: AnalysisComment): string {
  return `#${commentStyle(comment).argb.slice(2)}`;
}

/** The per-section fields shown side by side, `source_<field>` then `target_<field>`. */
export const SIDE_FIELDS = [
  'store_planogram_id',
  'planogram_name',
  'section_id',
  'section_name',
  'is_additional_section',
  'pre_pog_percentage',
  'post_pog_percentage',
  'pre_osa_percentage',
  'post_osa_percentage',
  'ok_count',
  'wandering_count',
  'oos_count',
  'hole_count',
] as const;

export type SideField = (typeof SIDE_FIELDS)[number];

/** One side of an analysis row: a compliance report's figures, all null when there is none. */
export type SideValues = { [F in SideField]: ScanDetailsRow[F] | null };

type Sided<P extends string> = { [F in SideField as `${P}_${F}`]: SideValues[F] };

/** One line of `analysis_with_comments_<ts>.csv`: a source section beside its copy's section. */
export type AnalysisRow = {
  source_scan_id: number;
  /** Null when the source scan has no copy. */
  target_scan_id: number | null;
  comment: AnalysisComment;
  /** The target's `map_by`. */
  MAv2_Map_by: string | null;
} & Sided<'source'> &
  Sided<'target'>;

export type AnalysisColumn = keyof AnalysisRow;

export const ANALYSIS_COLUMNS: readonly AnalysisColumn[] = [
  'source_scan_id',
  'target_scan_id',
  ...SIDE_FIELDS.flatMap((f) => [`source_${f}`, `target_${f}`] as const),
  'comment',
  'MAv2_Map_by',
];

/** What a reader calls each side field; the CSVs keep the seed's names. */
const SIDE_FIELD_LABELS: Record<SideField, string> = {
  store_planogram_id: 'store POG id',
  planogram_name: 'planogram',
  section_id: 'section id',
  section_name: 'section',
  is_additional_section: 'additional section',
  pre_pog_percentage: 'pre-POG %',
  post_pog_percentage: 'post-POG %',
  pre_osa_percentage: 'pre-OSA %',
  post_osa_percentage: 'post-OSA %',
  ok_count: 'OK',
  wandering_count: 'wandering',
  oos_count: 'OOS',
  hole_count: 'holes',
};

const OTHER_LABELS: Partial<Record<AnalysisColumn, string>> = {
  source_scan_id: 'Source scan',
  target_scan_id: 'Target scan',
  comment: 'Comment',
  MAv2_Map_by: 'Target mapped by',
};

/** A column's name for the HTML pages: "Source pre-POG %" for `source_pre_pog_percentage`. */
export function columnLabel(column: AnalysisColumn): string {
  const other = OTHER_LABELS[column];
  if (other !== undefined) return other;
  const [side, ...rest] = column.split('_');
  return `${side === 'source' ? 'Source' : 'Target'} ${SIDE_FIELD_LABELS[rest.join('_') as SideField]}`;
}

/** The seed tool's columns of `source_scandetails_<ts>.csv` and `target_scandetails_<ts>.csv`. */
export const SCAN_DETAILS_COLUMNS = [
  'scan_id',
  'scan_status',
  ...SIDE_FIELDS,
  'planogram_unique_count',
  'planogram_all_count',
  'realogram_unique_count',
  'realogram_all_count',
  'majority_v2_id',
  'majority_store_planogram_id',
  'majority_created_at',
  'majority_data',
  'map_by_value',
] as const;

export interface CommentCount extends CommentStyle {
  comment: AnalysisComment;
  count: number;
}

/** Rows per comment, every comment listed (zero included), in rule order. */
export function countComments(rows: readonly Pick<AnalysisRow, 'comment'>[]): CommentCount[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.comment, (counts.get(row.comment) ?? 0) + 1);
  return COMMENT_STYLES.map((s) => ({ ...s, count: counts.get(s.comment) ?? 0 }));
}

/** Target minus source pre-POG %, in points rounded to hundredths (so 72.5 - 71.25 is 1.25); null when a side has none. */
export function pogDelta(source: number | null, target: number | null): number | null {
  if (source === null || target === null) return null;
  return Math.round((Number(target) - Number(source)) * 100) / 100;
}

/**
 * A compared row whose copy scored more than `tolerance` points of pre-POG % below its
 * source: not one of the seed's comments (a copy can drop and still be "No Issues"), but
 * what a QA engineer wants to see, so the reports count and filter it.
 */
export function isPogDrop(row: Pick<AnalysisRow, 'source_pre_pog_percentage' | 'target_pre_pog_percentage'>, tolerance: number): boolean {
  const delta = pogDelta(row.source_pre_pog_percentage, row.target_pre_pog_percentage);
  return delta !== null && -delta > tolerance;
}
