/**
 * Opening a copy job: a new run folder with its first checkpoint, or this job's folder again
 * (found by fingerprint, or named by `--resume PATH`) with the checkpoint and the journal
 * records written after it replayed, then compacted into a fresh checkpoint. A checkpoint of
 * this job found without `resume` or `restart` stops the run: the caller must choose.
 */
import { join } from 'node:path';
import { ScanCopyError } from '../../core/errors.js';
import { Journal, readJournal } from '../../core/journal.js';
import { writeCsv } from '../../reports/csv.js';
import { CHECKPOINT_FORMAT, readCheckpoint, writeCheckpoint, type Checkpoint, type Job, type RunInstances } from './checkpoint.js';
import { checkpointIn, createRunFolder, discardRunState, findJobRun, findKnownRun, lockRun, openNamedRun, removeLeftovers, runFiles, type FoundRun, type RunFiles } from './run-folder.js';
import { applyRecord, JobState, parseJournalRecord, type JobHeader, type JournalRecord, type ScanState } from './state.js';

export const MAPPING_COLUMNS = ['Source_Scan_ID', 'Target_Scan_ID'] as const;

export interface OpenJobInput {
  job: Job;
  resultsDir: string;
  scanIds: readonly number[];
  batchSize: number;
  resume: boolean | string;
  restart: boolean;
  now: Date;
  /** Recorded in the checkpoint when known. */
  instances?: RunInstances;
  /** The job's run folders the ledger knows, newest first: looked in when the results folder has none. */
  knownRuns?: readonly string[];
}

export interface OpenedJob {
  /** The job as its checkpoint has it: on a resume, the recorded one (sameJob may have matched it by the target's URL). */
  job: Job;
  files: RunFiles;
  state: JobState;
  /** The job's scans in order and batch size: the checkpoint's on a resume. */
  scanIds: number[];
  batchSize: number;
  startedAt: string;
  capturedAt: number;
  resumed: boolean;
  /** This run's addresses, else those its checkpoint recorded. */
  instances?: RunInstances;
  /** Torn journal lines dropped and temp files removed on opening. */
  repaired: { tornJournal: boolean; leftovers: number };
  /** Releases the run folder's lock. */
  unlock(): Promise<void>;
}

export async function openJob(input: OpenJobInput): Promise<OpenedJob> {
  const found =
    typeof input.resume === 'string'
      ? await openNamedRun(input.resume, input.job)
      : ((await findJobRun(input.resultsDir, input.job)) ?? (await findKnownRun(input.knownRuns ?? [], input.job)));
  if (!found && input.resume === true) {
    throw new ScanCopyError('USAGE', `nothing to resume: this job has no checkpoint under ${input.resultsDir}${input.knownRuns ? ' nor in any run folder the ledger knows' : ''}`, {
      hint: 'Start it without --resume, or name its run folder: --resume RUN_FOLDER.',
    });
  }
  if (found && input.restart) {
    const unlock = await lockRun(found.files.dir);
    await discardRunState(found.files).finally(unlock);
  }
  else if (found && input.resume !== false) return resumeJob(found, input.instances);
  else if (found) {
    const done = Object.values(found.checkpoint.scans).filter((s) => s.status === 'created' || s.status === 'skipped').length;
    throw new ScanCopyError('CHECKPOINT_EXISTS', `this job has a checkpoint in ${found.files.dir} (${done} of ${found.checkpoint.scan_ids.length} scans done)`, {
      hint: 'Choose: resume it (--resume) or discard it and start over (--restart).',
      context: { checkpoint: found.files.checkpoint },
    });
  }
  return startJob(input);
}

async function startJob(input: OpenJobInput): Promise<OpenedJob> {
  const { dir, ts } = await createRunFolder(input.resultsDir, input.now);
  const unlock = await lockRun(dir);
  const files = runFiles(dir, ts, input.job.mode);
  const scanIds = [...new Set(input.scanIds)];
  const scans = new Map<number, ScanState>(scanIds.map((id, i) => [id, { batch: Math.floor(i / input.batchSize) + 1, status: 'pending', attempts: 0 }]));
  const startedAt = input.now.toISOString();
  const capturedAt = Math.floor(input.now.getTime() / 1000);
  // The checkpoint comes first: a folder without one holds nothing that was sent.
  const meta = { job: input.job, ts, startedAt, capturedAt, batchSize: input.batchSize, scanIds, instances: input.instances };
  await writeCheckpoint(files.checkpoint, checkpointOf(meta, scans, new Set(), 0));
  await writeCsv(files.initialMapping, MAPPING_COLUMNS, scanIds.map((id) => [id, '']));
  const { journal } = await Journal.open<JobHeader, JournalRecord>(files.journal, { fingerprint: input.job.fingerprint }, 0, parseJournalRecord);
  return {
    job: input.job, files, state: new JobState(scans, new Set(), journal), scanIds, batchSize: input.batchSize, startedAt, capturedAt, resumed: false, instances: input.instances,
    repaired: { tornJournal: false, leftovers: 0 }, unlock,
  };
}

async function resumeJob(found: FoundRun, instances: RunInstances | undefined): Promise<OpenedJob> {
  const { files, checkpoint } = found;
  const { job } = checkpoint;
  const unlock = await lockRun(files.dir);
  const leftovers = await removeLeftovers(files.dir);
  const { journal, contents } = await Journal.open<JobHeader, JournalRecord>(files.journal, { fingerprint: job.fingerprint }, checkpoint.journal_seq, parseJournalRecord);
  if (contents.header && contents.header.fingerprint !== job.fingerprint) {
    await journal.close();
    await unlock();
    throw new ScanCopyError('JOB_MISMATCH', `the journal in ${files.dir} belongs to another job than its checkpoint`, {
      hint: 'Nothing was deleted. Move the run folder away or start over with --restart.',
    });
  }
  const scans = new Map<number, ScanState>(checkpoint.scan_ids.map((id) => [id, structuredClone(checkpoint.scans[String(id)] as ScanState)]));
  const completed = new Set(checkpoint.completed_batches);
  for (const line of contents.lines) if (line.seq > checkpoint.journal_seq) applyRecord(scans, completed, line.record);
  return {
    job, files, state: new JobState(scans, completed, journal), scanIds: [...checkpoint.scan_ids], batchSize: checkpoint.batch_size,
    startedAt: checkpoint.started_at, capturedAt: checkpoint.captured_at, resumed: true, instances: instances ?? checkpoint.instances, repaired: { tornJournal: contents.torn, leftovers }, unlock,
  };
}

export interface CheckpointMeta {
  job: Job;
  ts: string;
  startedAt: string;
  capturedAt: number;
  batchSize: number;
  scanIds: readonly number[];
  instances?: RunInstances;
}

export function checkpointOf(meta: CheckpointMeta, scans: ReadonlyMap<number, ScanState>, completed: ReadonlySet<number>, journalSeq: number): Checkpoint {
  const ordered = meta.scanIds.map((id) => [id, scans.get(id) as ScanState] as const);
  return {
    format: CHECKPOINT_FORMAT,
    completed_batches: [...completed].sort((a, b) => a - b),
    scan_mapping: ordered.filter(([, s]) => s.status === 'created').map(([id, s]) => ({ source_scan_id: id, target_scan_id: s.target_scan_id as number })),
    failed_scans: ordered.filter(([, s]) => s.status === 'failed').length,
    job: meta.job,
    ts: meta.ts,
    started_at: meta.startedAt,
    updated_at: new Date().toISOString(),
    captured_at: meta.capturedAt,
    batch_size: meta.batchSize,
    journal_seq: journalSeq,
    scan_ids: [...meta.scanIds],
    scans: Object.fromEntries(ordered.map(([id, s]) => [String(id), s])),
    ...(meta.instances ? { instances: meta.instances } : {}),
  };
}

/**
 * A run folder's scans as its checkpoint and the journal after it say, read only: another
 * process may be writing them (a torn last line is left out). Undefined when the folder or
 * its checkpoint is gone or unreadable.
 */
export async function readRunScans(dir: string): Promise<{ job: Job; scans: Map<number, ScanState> } | undefined> {
  const path = await checkpointIn(dir);
  const checkpoint = path ? await readCheckpoint(path).catch(() => undefined) : undefined;
  if (!checkpoint) return undefined;
  const scans = new Map<number, ScanState>(checkpoint.scan_ids.map((id) => [id, structuredClone(checkpoint.scans[String(id)] as ScanState)]));
  const contents = await readJournal<JobHeader, JournalRecord>(join(dir, 'journal.ndjson'), parseJournalRecord).catch(() => undefined);
  if (contents?.header?.fingerprint === checkpoint.job.fingerprint) {
    for (const line of contents.lines) if (line.seq > checkpoint.journal_seq) applyRecord(scans, new Set(), line.record);
  }
  return { job: checkpoint.job, scans };
}
