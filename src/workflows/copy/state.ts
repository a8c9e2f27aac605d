/**
 * The state of each scan of a copy job, and the records that move it. A job store
 * (job-store.ts) applies each record and makes it durable in one call, so what it holds
 * always describes at least what may have happened: an outstanding create intent means
 * "a scan with these files may exist on the target".
 */
import * as z from 'zod';
import { ERROR_CODES } from '../../core/errors.js';
import { STAGES } from '../../platform/stages.js';

/** Where a scan's copy can fail: reading it from the source, then the platform's stages. */
export const COPY_STAGES = ['read', ...STAGES] as const;
export type CopyStage = (typeof COPY_STAGES)[number];
export const SKIP_KINDS = ['no-files', 'no-payload', 'already-copied'] as const;
export type SkipKind = (typeof SKIP_KINDS)[number];
export type ScanStatus = ScanState['status'];

const stage = z.enum(COPY_STAGES);
const via = z.enum(['api', 'reconciled']);
const id = z.number().int();

/** One scan's state, as the checkpoint holds it: the schema is the type. */
export const scanStateSchema = z.object({
  batch: z.number().int().positive(),
  status: z.enum(['pending', 'created', 'skipped', 'failed']),
  /** Pipeline attempts so far (batch retries and resumes each add one). */
  attempts: z.number().int().nonnegative(),
  source_file_ids: z.array(id).optional(),
  /** Uploaded copies, by the source file's position; null where not uploaded yet. */
  target_file_ids: z.array(id.nullable()).optional(),
  /** Files of a create that was sent (or about to be) with no known answer: reconcile before creating again. */
  create_intent: z.array(id).optional(),
  /** When that create was sent (ms since the epoch): its commit horizon counts from here. */
  create_intent_at: z.number().optional(),
  target_scan_id: id.optional(),
  /** How the target scan was learnt: the create's answer, or found in the target DB. */
  via: via.optional(),
  stage: stage.optional(),
  code: z.enum([...ERROR_CODES, 'NO_FILES', 'NO_PAYLOAD', 'ALREADY_COPIED']).optional(),
  reason: z.string().optional(),
});
export type ScanState = z.infer<typeof scanStateSchema>;

/**
 * The journal's records, checked on replay like the checkpoint on reading: a record of another
 * version or a hand edit is refused as a damaged journal, never applied half-understood.
 */
export const journalRecordSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('attempt'), scan: id, attempt: z.number().int().positive() }),
  z.object({ t: z.literal('files'), scan: id, files: z.array(id) }),
  z.object({ t: z.literal('upload-intent'), scan: id, index: z.number().int().nonnegative() }),
  z.object({ t: z.literal('uploaded'), scan: id, index: z.number().int().nonnegative(), file: id }),
  z.object({ t: z.literal('create-intent'), scan: id, files: z.array(id), at: z.number().optional() }),
  /** A create answered so that no scan exists (a 4xx): the intent is void. */
  z.object({ t: z.literal('create-refused'), scan: id }),
  /** The target purged the scan's uploads (a create refused naming them): all are uploaded again. */
  z.object({ t: z.literal('uploads-lost'), scan: id }),
  z.object({ t: z.literal('created'), scan: id, target: id, via }),
  z.object({ t: z.literal('skipped'), scan: id, kind: z.enum(SKIP_KINDS), reason: z.string() }),
  z.object({ t: z.literal('failed'), scan: id, stage, code: z.enum(ERROR_CODES), reason: z.string() }),
  z.object({ t: z.literal('batch-complete'), batch: z.number().int().positive() }),
]);
export type JournalRecord = z.infer<typeof journalRecordSchema>;

/** For core/journal's replay: a valid record, or a throw that names what is wrong. */
export function parseJournalRecord(value: unknown): JournalRecord {
  const parsed = journalRecordSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new Error(`${issue?.path.join('.') || 'the record'}: ${issue?.message ?? 'unexpected content'}`);
}

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
