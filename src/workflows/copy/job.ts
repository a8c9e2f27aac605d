/**
 * Opening a copy job: a new run folder with its first checkpoint, or this job's folder again
 * (found by fingerprint, or named by `--resume PATH`) with the checkpoint and the journal
 * records written after it replayed, then compacted into a fresh checkpoint. A checkpoint of
 * this job found without `resume` or `restart` stops the run: the caller must choose.
 */
import { ScanCopyError } from '../../core/errors.js';
import { writeCsv } from '../../reports/csv.js';
import { readCheckpoint, type Job, type RunInstances } from './checkpoint.js';
import type { JobStore, StoreRepairs } from './job-store.js';
import { LocalJobStore, readRecordedState } from './local-job-store.js';
import { checkpointIn, createRunFolder, discardRunState, findJobRun, findKnownRun, openNamedRun, runFiles, type RunFiles } from './run-folder.js';
import type { ScanState } from './state.js';

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
  /** The job's state, read and changed through its store (locked by this run). */
  state: JobStore;
  /** The job's scans in order and batch size: the checkpoint's on a resume. */
  scanIds: number[];
  batchSize: number;
  startedAt: string;
  capturedAt: number;
  resumed: boolean;
  /** This run's addresses, else those its checkpoint recorded. */
  instances?: RunInstances;
  /** Torn journal lines dropped and temp files removed on opening. */
  repaired: StoreRepairs;
  /** Releases the store's lock. */
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
    const unlock = await new LocalJobStore(found.files).lock();
    await discardRunState(found.files).finally(unlock);
  }
  else if (found && input.resume !== false) return openStore(found.files, new LocalJobStore(found.files), input.instances, true);
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
  const files = runFiles(dir, ts, input.job.mode);
  const scanIds = [...new Set(input.scanIds)];
  const meta = { job: input.job, ts, startedAt: input.now.toISOString(), capturedAt: Math.floor(input.now.getTime() / 1000), batchSize: input.batchSize, scanIds, instances: input.instances };
  const opened = await openStore(files, new LocalJobStore(files, meta), input.instances, false);
  await writeCsv(files.initialMapping, MAPPING_COLUMNS, scanIds.map((id) => [id, '']));
  return opened;
}

/** Locks and opens the store; what it recorded (on a resume) is what the run continues with. */
async function openStore(files: RunFiles, store: JobStore, instances: RunInstances | undefined, resumed: boolean): Promise<OpenedJob> {
  const unlock = await store.lock();
  try {
    const { meta, repaired } = await store.open();
    return {
      job: meta.job, files, state: store, scanIds: [...meta.scanIds], batchSize: meta.batchSize, startedAt: meta.startedAt, capturedAt: meta.capturedAt,
      resumed, instances: instances ?? meta.instances, repaired, unlock,
    };
  } catch (err) {
    await unlock();
    throw err;
  }
}

/**
 * A run folder's scans as its checkpoint and the journal after it say, read only: another
 * process may be writing them. Undefined when the folder or its checkpoint is gone or unreadable.
 */
export async function readRunScans(dir: string): Promise<{ job: Job; scans: Map<number, ScanState> } | undefined> {
  const path = await checkpointIn(dir);
  const checkpoint = path ? await readCheckpoint(path).catch(() => undefined) : undefined;
  if (!checkpoint) return undefined;
  return { job: checkpoint.job, scans: (await readRecordedState(dir, checkpoint)).scans };
}
