/**
 * Where a copy job's state lives, as the copy sees it: one interface, so the local run folder
 * (local-job-store.ts: checkpoint + journal + lock file) is one implementation and the ledger
 * (one database for a team, later several workers on one job) can be another, without the
 * pipeline or its steps knowing which.
 *
 * In workflows/copy/, not core/: its operations are phrased in the copy's records, scans and
 * batches, and the ledger it must admit lives here too.
 *
 * The contract (test/copy.job-store.test.ts runs it against every implementation):
 * - `lock` comes first: one holder per job at a time, a second is refused (JOB_LOCKED).
 * - `open` reads the state as recorded: what a resume continues from.
 * - `record` applies a change at once and resolves when it is durable: once resolved, it
 *   survives a crash and every later `open` sees it.
 * - `lease` hands out the job's batches in order, skipping completed ones, never the same one
 *   twice to one store; a lease ends by recording `batch-complete` (never leased again) or by
 *   `release` (left for a later store: a resume, or another worker).
 * - `compact` folds what was recorded into one snapshot without changing the state.
 */
import type { Job, RunInstances } from './checkpoint.js';
import type { JournalRecord, ScanState } from './state.js';

export interface Batch {
  number: number;
  /** Position of the batch's first scan in the job, 1-based. */
  first: number;
  scanIds: number[];
}

/** The job's scans cut into batches of `size`, numbered from 1. */
export function batchesOf(scanIds: readonly number[], size: number): Batch[] {
  const batches: Batch[] = [];
  for (let i = 0; i < scanIds.length; i += size) batches.push({ number: batches.length + 1, first: i + 1, scanIds: scanIds.slice(i, i + size) });
  return batches;
}

/** What a job is, fixed when it starts: a resume continues with the recorded one. */
export interface JobMeta {
  /** On a resume, the recorded job (sameJob may have matched it by the target's URL). */
  job: Job;
  /** The run's timestamp, the suffix of its files. */
  ts: string;
  startedAt: string;
  /** `captured_at` of every payload of the job, in Unix seconds. */
  capturedAt: number;
  batchSize: number;
  /** The job's scans in order: batches keep their numbers across resumes. */
  scanIds: readonly number[];
  instances?: RunInstances;
}

/** What opening found and mended: a torn last record (a kill mid-write), leftover temp files. */
export interface StoreRepairs {
  tornJournal: boolean;
  leftovers: number;
}

export interface OpenedStore {
  meta: JobMeta;
  repaired: StoreRepairs;
}

export interface JobStore {
  /** Takes the job for this holder, or throws JOB_LOCKED naming the other; resolves to the release. */
  lock(): Promise<() => Promise<void>>;
  /** Reads the recorded state (a new job's is written first); needs the lock. */
  open(): Promise<OpenedStore>;
  /** Every scan's state, as recorded so far (after `open`). */
  readonly scans: ReadonlyMap<number, ScanState>;
  readonly completedBatches: ReadonlySet<number>;
  /** One scan's state; INTERNAL for a scan not of this job. */
  scan(id: number): ScanState;
  /** Applies the change now; resolves once it is durable. */
  record(record: JournalRecord): Promise<void>;
  /** The next batch to work on, or undefined when none is left for this store. */
  lease(): Promise<Batch | undefined>;
  /** Ends a lease without completing its batch. */
  release(batch: number): Promise<void>;
  /** Folds the records into one snapshot; `midWrite` runs halfway through writing it (tests kill the process there). */
  compact(midWrite?: () => void): Promise<void>;
  /** Waits for pending records and frees what the store holds; the lock is released by its own release. */
  close(): Promise<void>;
}
