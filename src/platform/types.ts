/** Rows and payloads of the platform contract (platform.md sections 2-6). */

export type ScanId = number;
export type FileId = number;

/** A create-scan payload: `_raw_data` of a source scan, rewritten per platform.md section 4. */
export interface ScanPayload {
  store: number;
  files: FileId[];
  captured_at: number;
  [field: string]: unknown;
}

/** What a file is to the platform (platform.md section 8): upload and create take it as `input_type`. */
export const INPUT_TYPES = ['image', 'video', 'keyframe'] as const;

export interface ScanFileRef {
  fileId: FileId;
  /** `realograms_implementation_scanfile.file_type`: one of INPUT_TYPES on a sound instance. */
  fileType: string;
}

/** A scan with *all* its files, in upload order. */
export interface ScanWithFiles {
  id: ScanId;
  storeId: number;
  createdAt: Date;
  status: string;
  hasReport: boolean;
  /** `provided_values` as stored. */
  providedValues: unknown;
  files: ScanFileRef[];
}

/** One line of `find` (platform.md section 5). */
export interface ScanSummary {
  id: ScanId;
  storeId: number;
  createdAt: Date;
  status: string;
  hasReport: boolean;
  fileCount: number;
}

/** File metadata as the API returns it. */
export interface FileMeta {
  id: FileId;
  /** Pre-signed download URL: fetched without the Authorization header; it may expire. */
  file: string;
  original_filename: string;
}

/**
 * The details row of platform.md section 6: one per scan and compliance report, with the
 * seed tool's column names. A scan with no report yields one row with empty report fields.
 */
export interface ScanDetailsRow {
  scan_id: ScanId;
  scan_status: string;
  store_planogram_id: number | null;
  planogram_name: string | null;
  section_id: number | null;
  section_name: string | null;
  is_additional_section: boolean;
  pre_pog_percentage: number | null;
  post_pog_percentage: number | null;
  pre_osa_percentage: number | null;
  post_osa_percentage: number | null;
  ok_count: number | null;
  wandering_count: number | null;
  oos_count: number | null;
  hole_count: number | null;
  planogram_unique_count: number | null;
  planogram_all_count: number | null;
  realogram_unique_count: number | null;
  realogram_all_count: number | null;
  majority_v2_id: number | null;
  majority_store_planogram_id: number | null;
  /** The log's `scan_created_date`, `YYYY-MM-DD`. */
  majority_created_at: string | null;
  majority_data: unknown;
  map_by_value: string | null;
  /** Not a seed column: the report's id, to order a scan's sections. Null without a report. */
  report_id: number | null;
  /** Not a seed column: whether the scan is processed (`status = 'done' AND has_report`). */
  has_report: boolean;
}

/** A planogram assigned to a store (`planograms_implementation_planogramstore`), the "store POG". */
export interface StorePlanogram {
  id: number;
  planogramId: number;
  storeId: number;
  planogramName: string | null;
}
