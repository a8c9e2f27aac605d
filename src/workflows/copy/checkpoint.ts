/**
 * The checkpoint of a copy job: the seed tool's keys (`completed_batches`, `scan_mapping`,
 * `failed_scans`) plus what makes a resume safe: the job's fingerprint (source, target,
 * target store, mode, scan-id set), the scan list and batch size (so batches keep their
 * numbers), the run's capture time, the per-scan state, and the last journal record it holds.
 * Written atomically (temp file, fsync, rename): a crash leaves the old or the new file.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { ScanCopyError } from '../../core/errors.js';
import { COPY_MODES } from './payload.js';
import { scanStateSchema } from './state.js';

export const CHECKPOINT_FORMAT = 'scancopy-copy-checkpoint/1';

const jobSchema = z.object({
  /** The source instance's identity (copy/identity.ts): its database's, not its URL's spelling. */
  source: z.string(),
  target: z.string(),
  target_store: z.number(),
  mode: z.enum(COPY_MODES),
  /** sha256 of the sorted, distinct scan ids. */
  scan_ids_sha256: z.string(),
  scan_count: z.number().int(),
  fingerprint: z.string(),
  /**
   * The target's API URL identity (copy/identity.ts urlIdentity), outside the fingerprint: a
   * run of the job made without the target database knows the target only by it, so the two
   * are matched through it (sameJob). Absent in checkpoints written before.
   */
  target_api: z.string().optional(),
});

export type Job = z.infer<typeof jobSchema>;
export type JobIdentity = Omit<Job, 'fingerprint' | 'target_api'>;

/** Where an instance was reached (never a secret: URLs with credentials are refused before a run). */
const runInstanceSchema = z.object({ name: z.string().min(1), api: z.string().min(1), db: z.string().min(1) });
export type RunInstance = z.infer<typeof runInstanceSchema>;
const runInstancesSchema = z.object({ source: runInstanceSchema, target: runInstanceSchema });
export type RunInstances = z.infer<typeof runInstancesSchema>;

/** The file's format, defined once: the type is what the schema accepts. */
const checkpointSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  completed_batches: z.array(z.number().int()),
  scan_mapping: z.array(z.object({ source_scan_id: z.number(), target_scan_id: z.number() })),
  /** Scans failed so far (the seed's count). */
  failed_scans: z.number().int().nonnegative(),
  job: jobSchema,
  /** The run folder's timestamp, the suffix of every file in it. */
  ts: z.string().regex(/^\d{8}_\d{6}$/),
  started_at: z.string(),
  updated_at: z.string(),
  /** `captured_at` of every payload of the job: its first start, in Unix seconds. */
  captured_at: z.number().int(),
  batch_size: z.number().int().positive(),
  /** The last journal record this checkpoint includes. */
  journal_seq: z.number().int().nonnegative(),
  scan_ids: z.array(z.number().int()),
  scans: z.record(z.string(), scanStateSchema),
  /** The instances' addresses, so `--resume RUN_DIR` (and the wizard) can continue the run from its folder alone. */
  instances: runInstancesSchema.optional(),
});

export type Checkpoint = z.infer<typeof checkpointSchema>;

export function jobOf(identity: Omit<JobIdentity, 'scan_ids_sha256' | 'scan_count'>, scanIds: readonly number[], targetApi?: string): Job {
  const ids = [...new Set(scanIds)].sort((a, b) => a - b);
  const full: JobIdentity = {
    source: identity.source,
    target: identity.target,
    target_store: identity.target_store,
    mode: identity.mode,
    scan_ids_sha256: sha256(ids.join(',')),
    scan_count: ids.length,
  };
  return { ...full, fingerprint: sha256(JSON.stringify(full)), ...(targetApi === undefined ? {} : { target_api: targetApi }) };
}

/**
 * One job: the same fingerprint, or the same source, store, mode and scans where one side
 * knew the target only by its API URL (run without the target database) and the other's
 * target has that URL.
 */
export function sameJob(a: Job, b: Job): boolean {
  if (a.fingerprint === b.fingerprint) return true;
  const rest = a.source === b.source && a.target_store === b.target_store && a.mode === b.mode && a.scan_ids_sha256 === b.scan_ids_sha256;
  const byUrl = (x: Job, y: Job): boolean => x.target.startsWith('api:') && x.target === y.target_api;
  return rest && (byUrl(a, b) || byUrl(b, a));
}

/** What differs between two jobs, for a refusal message. */
export function describeJobDifference(theirs: Job, ours: Job): string {
  const parts: string[] = [];
  if (theirs.source !== ours.source) parts.push(`source ${theirs.source} (this run: ${ours.source})`);
  if (theirs.target !== ours.target) parts.push(`target ${theirs.target} (this run: ${ours.target})`);
  if (theirs.target_store !== ours.target_store) parts.push(`target store ${theirs.target_store} (this run: ${ours.target_store})`);
  if (theirs.mode !== ours.mode) parts.push(`mode ${theirs.mode} (this run: ${ours.mode})`);
  if (theirs.scan_ids_sha256 !== ours.scan_ids_sha256) parts.push(`${theirs.scan_count} other scan ids (this run: ${ours.scan_count})`);
  return parts.length > 0 ? parts.join('; ') : 'a different job';
}

/** Reads and validates a checkpoint; anything unreadable is CHECKPOINT_CORRUPT and nothing is touched. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ScanCopyError('IO_ERROR', `cannot read the checkpoint ${path}`, { cause: err, context: { path } });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw corrupt(path, 'it is not valid JSON', cause);
  }
  const parsed = checkpointSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupt(path, `${issue?.path.join('.') || 'its content'}: ${issue?.message ?? 'unexpected content'}`);
  }
  const checkpoint = parsed.data;
  const missing = checkpoint.scan_ids.find((id) => !checkpoint.scans[String(id)]);
  if (missing !== undefined) throw corrupt(path, `scan ${missing} has no state`);
  return checkpoint;
}

function corrupt(path: string, why: string, cause?: unknown): ScanCopyError {
  return new ScanCopyError('CHECKPOINT_CORRUPT', `the checkpoint ${path} is corrupt: ${why}`, {
    hint: 'Nothing was deleted. Restore or fix the file, move its run folder away, or start over with --restart.',
    cause,
    context: { path },
  });
}

/** Writes the checkpoint atomically; `midWrite` is the crash-point hook (core/atomic-file). */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint, midWrite?: () => void): Promise<void> {
  try {
    await writeFileAtomic(path, formatCheckpoint(checkpoint), { midWrite });
  } catch (err) {
    throw new ScanCopyError('IO_ERROR', `cannot write the checkpoint ${path}`, { cause: err, context: { path } });
  }
}

/**
 * The journal makes every batch's progress durable at once; the checkpoint compacts it. With
 * tens of thousands of scans a checkpoint takes a while to write, so batches that complete in
 * quick succession share one: writing never takes more than about 1/20 of the run's time.
 */
export class CheckpointCadence {
  #lastEnd = 0;
  #lastMs = 0;

  due(): boolean {
    return Date.now() - this.#lastEnd >= 20 * this.#lastMs;
  }

  async write(run: () => Promise<void>): Promise<void> {
    const started = Date.now();
    await run();
    this.#lastEnd = Date.now();
    this.#lastMs = this.#lastEnd - started;
  }
}

/** One key per line, and one mapping pair or scan per line: readable, diffable, and a third of the indented size. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const lines = Object.entries(checkpoint).map(([key, value]) => {
    if (key === 'scans') return ` "scans": {${Object.entries(value as Checkpoint['scans']).map(([id, s]) => `\n  ${JSON.stringify(id)}: ${JSON.stringify(s)}`).join(',')}\n }`;
    if (key === 'scan_mapping') return ` "scan_mapping": [${(value as Checkpoint['scan_mapping']).map((m) => `\n  ${JSON.stringify(m)}`).join(',')}\n ]`;
    return ` ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
