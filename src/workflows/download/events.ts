/** What a download run reports as it goes (the CLI turns these into the seed's `[BATCH]` log and bars). */
import type { ErrorCode } from '../../core/errors.js';
import type { ScanProblem } from './plan.js';

/** Where a batch stands when one of its files finishes. */
export interface BatchCounts {
  batch: number;
  batches: number;
  /** Files of the batch. */
  files: number;
  /** Of which finished for good (downloaded, skipped or failed after every round). */
  done: number;
  downloaded: number;
  skipped: number;
  failedFiles: number;
}

export type DownloadEvent =
  | { type: 'download-start'; outDir: string; scans: number; batches: number; batchSize: number; workers: number; leftoversRemoved: number }
  | { type: 'batch-start'; batch: number; batches: number; first: number; last: number; scans: number; scanIds: number[] }
  | { type: 'batch-files'; batch: number; files: number }
  | { type: 'scan-problem'; batch: number; scanId: number; kind: ScanProblem['kind']; reason: string }
  | ({ type: 'file-done'; scanId: number; fileId: number; fileName: string; bytes: number; outcome: 'downloaded' | 'skipped' } & BatchCounts)
  /** A file that failed for good. */
  | ({ type: 'file-failed'; scanId: number; fileId: number; code: ErrorCode; reason: string } & BatchCounts)
  /** The batch's failed files are tried again after `delayMs` (round 1 is the first retry). */
  | { type: 'batch-retry'; batch: number; batches: number; round: number; rounds: number; files: number; delayMs: number }
  /** Scans: `succeeded` have every file on disk, `skippedScans` had none, `failed` were not found or lost a file. */
  | { type: 'batch-done'; batch: number; batches: number; succeeded: number; failed: number; skippedScans: number; downloaded: number; skipped: number; failedFiles: number };

export interface DownloadedFile {
  scanId: number;
  fileId: number;
  fileName: string;
  bytes: number;
  sha256: string;
  outcome: 'downloaded' | 'skipped';
}

export interface DownloadFailure {
  scanId: number;
  /** Absent when the whole scan failed (not found). */
  fileId?: number;
  code: ErrorCode;
  reason: string;
}
