/**
 * What a copy tells its caller while it runs: one event per state change, complete enough
 * for the plain `[BATCH]` lines, live bars, `--log-format json` and events.ndjson alike.
 * Per-item events carry the batch, the attempt, the latency of the call and the counts of
 * their stage in their batch so far.
 */
import type { ErrorCode } from '../../core/errors.js';
import type { Stage } from '../../platform/stages.js';
import type { CopyMode } from './payload.js';
import type { CopyStage, SkipKind } from './state.js';

export interface StageCount {
  ok: number;
  failed: number;
  /** Items of this stage in the batch for this attempt. */
  total: number;
}

export type StageRates = Record<Stage, number>;

export type CopyEvent =
  | {
      type: 'copy-start';
      runDir: string;
      checkpoint: string;
      resumed: boolean;
      scans: number;
      batches: number;
      batchSize: number;
      mode: CopyMode;
      barrier: boolean;
      limits: Record<Stage, number>;
      /** Scans already created or skipped by an earlier run of this job. */
      alreadyDone: number;
      /** What a killed earlier run left and the resume cleaned: a torn journal line, temporary files. */
      repaired: { tornJournal: boolean; leftovers: number };
    }
  | {
      type: 'batch-start';
      batch: number;
      batches: number;
      attempt: number;
      /** Positions of the batch's first and last scan in the job, 1-based, and the job's size. */
      first: number;
      last: number;
      total: number;
      /** The scans of this attempt (on a retry, the failed ones). */
      scanIds: number[];
      /** Files to transfer and scans to create in this attempt. */
      files: number;
      creates: number;
    }
  | { type: 'stage-start'; batch: number; stage: Stage; items: number; attempt: number }
  | { type: 'queued'; batch: number; scanId: number; files: number; attempt: number }
  | { type: 'downloaded'; batch: number; scanId: number; fileId: number; bytes: number; attempt: number; latencyMs: number; progress: StageCount }
  | { type: 'uploaded'; batch: number; scanId: number; fileId: number; targetFileId: number; bytes: number; attempt: number; latencyMs: number; progress: StageCount }
  | { type: 'created'; batch: number; scanId: number; targetScanId: number; via: 'api' | 'reconciled'; attempt: number; latencyMs: number; progress: StageCount }
  | { type: 'reconciled'; batch: number; scanId: number; targetScanId: number | null; duplicates: number[]; attempt: number; latencyMs: number }
  /** A create was refused because the target purged these uploads: the scan's files are uploaded again. */
  | { type: 'uploads-purged'; batch: number; scanId: number; targetFileIds: number[]; attempt: number }
  /** A create's outcome is unknown and its scan not in the target DB yet: looked for until the horizon. */
  | { type: 'settling'; batch: number; scanId: number; attempt: number; horizonInMs: number }
  | { type: 'skipped'; batch: number; scanId: number; kind: SkipKind; reason: string; attempt: number }
  | {
      type: 'failed';
      batch: number;
      scanId: number;
      /** The file, when one file's transfer failed. */
      fileId?: number;
      stage: CopyStage;
      code: ErrorCode;
      reason: string;
      attempt: number;
      latencyMs: number;
      progress?: StageCount;
    }
  | { type: 'batch-retry'; batch: number; batches: number; attempt: number; delayMs: number; rates: StageRates; items: number }
  | {
      type: 'batch-complete';
      batch: number;
      batches: number;
      attempt: number;
      created: number;
      skipped: number;
      failed: number;
      rates: StageRates;
      /** Every scan of the batch is created or skipped. */
      complete: boolean;
      elapsedMs: number;
    }
  /** The final sweep found target scans beyond the mapped one made from a source scan's uploads. */
  | { type: 'duplicate'; sourceScanId: number; keptTargetScanId: number; extraTargetScanIds: number[] }
  | { type: 'stopping'; reason: 'interrupted' | 'max-duration' }
  | { type: 'copy-done'; created: number; skipped: number; failed: number; pending: number; elapsedMs: number; stopped?: 'interrupted' | 'max-duration' };
