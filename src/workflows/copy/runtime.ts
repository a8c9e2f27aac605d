/**
 * What the pipeline's steps share: the job state, both instances, the transfer slots, the
 * signals, the event sink and the crash-point hook. Kept apart so steps and batch logic
 * depend on one small shape rather than on each other.
 */
import type { RetryPolicy } from '../../core/retry.js';
import type { Semaphore } from '../../core/semaphore.js';
import type { RunStats } from '../../core/stats.js';
import type { Queryable } from '../../platform/db.js';
import type { FileBytes } from '../../platform/multipart.js';
import type { CallOptions, FetchedFile, FetchFileOptions, UploadInput } from '../../platform/api.js';
import type { ScanPayload } from '../../platform/types.js';
import type { CopyEvent, StageCount } from './events.js';
import type { JobStore } from './job-store.js';
import type { MemoryBudget } from './limits.js';
import type { CopyMode } from './payload.js';
import type { StorePlanogramChoice } from './store-planograms.js';
import type { TargetDbProof } from './target-proof.js';
import type { Stage } from '../../platform/stages.js';

/** Named moments at which the tests make the process die, to prove exactly-once at each. */
export const CRASH_POINTS = ['after-upload', 'before-create-journal', 'after-create', 'after-created-journal', 'while-settling', 'mid-checkpoint'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** The source calls a copy makes (PlatformApi fits). */
export interface CopySourceApi {
  fetchFile(fileId: number, options: FetchFileOptions): Promise<FetchedFile>;
  /** The dry run's byte count, streamed. */
  digestFile(fileId: number, options?: { signal?: AbortSignal }): Promise<{ bytes: number }>;
}

/**
 * The target calls a copy makes (PlatformApi fits). Their concurrency is the client's:
 * `beforeSend` runs holding the call's slot, just before the request.
 */
export interface CopyTargetApi {
  uploadFile(file: UploadInput, options?: Pick<CallOptions, 'signal' | 'beforeSend'>): Promise<{ id: number }>;
  createScan(payload: ScanPayload, options?: Pick<CallOptions, 'signal' | 'beforeSend'>): Promise<{ id: number }>;
  /** Paces a create sent again after the server refused it for now. */
  retry: Pick<RetryPolicy, 'backoff' | 'wait'>;
}

export type CopyOutcome = 'created' | 'skipped' | 'failed';
export type CopyStats = RunStats<CopyOutcome, Stage>;

/** A source file as the copy downloaded it: in memory or in its spool file. */
export interface SourceFile {
  scanId: number;
  fileId: number;
  /** Its place among the scan's files. */
  index: number;
  /** The source's `file_type` (`image`, `video`). */
  fileType: string;
  body: FileBytes;
}

export interface Runtime {
  /**
   * The job's store, as far as the pipeline and its steps use it: scans read and recorded,
   * batches leased. Opening, compacting and closing it are copyScans' alone.
   */
  state: Pick<JobStore, 'scan' | 'record' | 'lease' | 'release'>;
  source: { api: CopySourceApi; db: Queryable };
  target: { api: CopyTargetApi; db?: Queryable };
  /** The gate every create and every settling passes until the target DB is proven the target API's. */
  targetProof: TargetDbProof;
  mode: CopyMode;
  targetStoreId: number;
  capturedAt: number;
  /**
   * Files between the start of their download and the end of their upload. Absent in barrier
   * mode, where a batch's files are all held between its phases anyway.
   */
  transfer?: Semaphore;
  /** File bytes held in memory between download and upload; what does not fit is spooled. */
  memory: MemoryBudget;
  /** A fresh spool file's path for a file of a scan (the folder exists). */
  spoolPath(task: { scanId: number; index: number }): string;
  /** Aborted when the run stops taking work (interrupt, max duration). */
  stop: AbortSignal;
  emit: (event: CopyEvent) => void;
  crashPoint: (name: CrashPoint) => void;
  /** The caller's look at each downloaded file (CopyOptions.onSourceFile). */
  onSourceFile?: (file: SourceFile) => Promise<void>;
  /** Wait before looking for a scan whose create answer was lost. */
  reconcileDelayMs: number;
  /** How long after it was sent a create may still commit (settle.ts). */
  commitHorizonMs: number;
  /** Creates sent per scan and attempt before giving up on an unknown outcome. */
  createAttempts: number;
  stats: CopyStats;
  /** Scans another unfinished run has a create in doubt for: left failed, not attempted by this run. */
  held: ReadonlySet<number>;
}

/** One attempt at one batch. */
export interface Attempt {
  batch: number;
  attempt: number;
  /** Aborted at the batch deadline or when the run stops: downloads and uploads. */
  signal: AbortSignal;
  /** Aborted at the batch deadline only: a stopping run lets creates already sent finish. */
  createSignal: AbortSignal;
  deadlineHit(): boolean;
  progress: Record<Stage, StageCount>;
  /** Emits `stage-start` the first time a stage starts in this attempt. */
  startStage(stage: Stage): void;
  /** Cumulative outcomes of the batch's items across attempts, for the thresholds. */
  mark(stage: Stage, key: string, ok: boolean): void;
  /** A scan starts (true) or stops settling: while it settles, it does not count against the window. */
  settling(on: boolean): void;
  /** Mapped mode: the target store's store planogram each scan is sent with (store-planograms.ts). */
  storePlanograms: Map<number, StorePlanogramChoice>;
}
