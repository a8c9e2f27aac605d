/**
 * The state of each scan of a copy job, and the journal records that move it. Every change
 * is applied in memory and appended to the journal in the same call, so the journal (and the
 * checkpoint it is compacted into) always describes at least what may have happened:
 * an outstanding create intent means "a scan with these files may exist on the target".
 */
import { ScanCopyError, type ErrorCode } from '../../core/errors.js';
import type { Journal } from '../../core/journal.js';

export type CopyStage = 'read' | 'download' | 'upload' | 'create';
export type SkipKind = 'no-files' | 'no-payload' | 'already-copied';
export type ScanStatus = 'pending' | 'created' | 'skipped' | 'failed';

export interface ScanState {
  batch: number;
  status: ScanStatus;
  /** Pipeline attempts so far (batch retries and resumes each add one). */
  attempts: number;
  source_file_ids?: number[];
  /** Uploaded copies, by the source file's position; null where not uploaded yet. */
  target_file_ids?: Array<number | null>;
  /** Files of a create that was sent (or about to be) with no known answer: reconcile before creating again. */
  create_intent?: number[];
  /** When that create was sent (ms since the epoch): its commit horizon counts from here. */
  create_intent_at?: number;
  target_scan_id?: number;
  /** How the target scan was learnt: the create's answer, or found in the target DB. */
  via?: 'api' | 'reconciled';
  stage?: CopyStage;
  code?: ErrorCode | 'NO_FILES' | 'NO_PAYLOAD' | 'ALREADY_COPIED';
  reason?: string;
}

export type JournalRecord =
  | { t: 'attempt'; scan: number; attempt: number }
  | { t: 'files'; scan: number; files: number[] }
  | { t: 'upload-intent'; scan: number; index: number }
  | { t: 'uploaded'; scan: number; index: number; file: number }
  | { t: 'create-intent'; scan: number; files: number[]; at?: number }
  /** A create answered so that no scan exists (a 4xx): the intent is void. */
  | { t: 'create-refused'; scan: number }
  /** The target purged the scan's uploads (a create refused naming them): all are uploaded again. */
  | { t: 'uploads-lost'; scan: number }
  | { t: 'created'; scan: number; target: number; via: 'api' | 'reconciled' }
  | { t: 'skipped'; scan: number; kind: SkipKind; reason: string }
  | { t: 'failed'; scan: number; stage: CopyStage; code: ErrorCode; reason: string }
  | { t: 'batch-complete'; batch: number };

export interface JobHeader {
  fingerprint: string;
}

export const SKIP_CODES: Record<SkipKind, ScanState['code']> = { 'no-files': 'NO_FILES', 'no-payload': 'NO_PAYLOAD', 'already-copied': 'ALREADY_COPIED' };

/** Applies one record to the scans and completed batches (pure, idempotent where it matters). */
export function applyRecord(scans: Map<number, ScanState>, completed: Set<number>, record: JournalRecord): void {
  if (record.t === 'batch-complete') {
    completed.add(record.batch);
    return;
  }
  const scan = scans.get(record.scan);
  if (!scan) return;
  switch (record.t) {
    case 'attempt':
      scan.attempts = Math.max(scan.attempts, record.attempt);
      if (scan.status === 'failed') resetOutcome(scan);
      break;
    case 'files':
      if (!sameIds(scan.source_file_ids, record.files)) {
        scan.source_file_ids = [...record.files];
        scan.target_file_ids = record.files.map(() => null);
      }
      break;
    case 'upload-intent':
      break;
    case 'uploaded':
      if (scan.target_file_ids && record.index < scan.target_file_ids.length) scan.target_file_ids[record.index] = record.file;
      break;
    case 'create-intent':
      scan.create_intent = [...record.files];
      if (record.at === undefined) delete scan.create_intent_at;
      else scan.create_intent_at = record.at;
      break;
    case 'create-refused':
      clearIntent(scan);
      break;
    case 'uploads-lost':
      if (scan.target_file_ids) scan.target_file_ids = scan.target_file_ids.map(() => null);
      break;
    case 'created':
      resetOutcome(scan);
      scan.status = 'created';
      scan.target_scan_id = record.target;
      scan.via = record.via;
      clearIntent(scan);
      break;
    case 'skipped':
      resetOutcome(scan);
      scan.status = 'skipped';
      scan.code = SKIP_CODES[record.kind];
      scan.reason = record.reason;
      break;
    case 'failed':
      scan.status = 'failed';
      scan.stage = record.stage;
      scan.code = record.code;
      scan.reason = record.reason;
      break;
  }
}

function resetOutcome(scan: ScanState): void {
  scan.status = 'pending';
  delete scan.stage;
  delete scan.code;
  delete scan.reason;
}

/** The create is settled (made, or refused): no intent is left to reconcile. */
function clearIntent(scan: ScanState): void {
  delete scan.create_intent;
  delete scan.create_intent_at;
}

function sameIds(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((id, i) => id === b[i]);
}

/** Scans that are done for good: created, or skipped for a reason a retry cannot change. */
export function isSettled(scan: ScanState): boolean {
  return scan.status === 'created' || scan.status === 'skipped';
}

/** The uploaded file ids when every file is uploaded. */
export function uploadedFiles(scan: ScanState): number[] | undefined {
  const ids = scan.target_file_ids;
  if (!ids || ids.length === 0 || ids.some((id) => id === null)) return undefined;
  return ids as number[];
}

/** The job's scans and completed batches, changed only through `record`, which journals as it applies. */
export class JobState {
  readonly scans: Map<number, ScanState>;
  readonly completedBatches: Set<number>;
  readonly #journal: Journal<JobHeader, JournalRecord>;

  constructor(scans: Map<number, ScanState>, completed: Set<number>, journal: Journal<JobHeader, JournalRecord>) {
    this.scans = scans;
    this.completedBatches = completed;
    this.#journal = journal;
  }

  get journal(): Journal<JobHeader, JournalRecord> {
    return this.#journal;
  }

  /** Applies the record now; resolves when it is durable. */
  record(record: JournalRecord): Promise<void> {
    applyRecord(this.scans, this.completedBatches, record);
    return this.#journal.append(record);
  }

  scan(id: number): ScanState {
    const scan = this.scans.get(id);
    if (!scan) throw new ScanCopyError('INTERNAL', `scan ${id} is not part of this job`);
    return scan;
  }
}
