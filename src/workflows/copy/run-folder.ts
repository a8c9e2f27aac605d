/**
 * A copy job's run folder `<results>/run_<ts>/` and the files in it (platform.md section 7
 * names, plus the journal, the failures CSV and events.ndjson). A job keeps its folder
 * across resumes: it is found again by the fingerprint in its checkpoint, or, when the
 * checkpoint cannot be read, by the header of its journal.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ScanCopyError } from '../../core/errors.js';
import { readJournal } from '../../core/journal.js';
import { TEMP_SUFFIX } from '../../core/atomic-file.js';
import { describeHolder, liveHolder, tryLock, type LockAttempt } from '../../core/process-lock.js';
import { runTimestamp } from '../../core/timestamp.js';
import { describeJobDifference, readCheckpoint, sameJob, type Checkpoint, type Job } from './checkpoint.js';
import { COPY_MODES, type CopyMode } from './payload.js';
import type { JobHeader } from './state.js';

export interface RunFiles {
  dir: string;
  ts: string;
  checkpoint: string;
  journal: string;
  events: string;
  initialMapping: string;
  /** `scan_mapping_updated_<ts>.csv` (auto) or `scan_mapping_<ts>.csv` (mapped). */
  mapping: string;
  failures: string;
  /** The final sweep's duplicates: `duplicates_<ts>.csv`. */
  duplicates: string;
}

export interface FoundRun {
  files: RunFiles;
  checkpoint: Checkpoint;
}

export const RUN_DIR = /^run_(\d{8}_\d{6})$/;

/** The mapping CSV's name in each mode: the seed tool's, from which verify tells a mapping's mode. */
const MAPPING_CSV: Record<CopyMode, string> = { auto: 'scan_mapping_updated', mapped: 'scan_mapping' };

/** The mode a run's mapping CSV was written in, from its name; undefined for another name. */
export function modeOfMappingCsv(name: string): CopyMode | undefined {
  return COPY_MODES.find((mode) => name.startsWith(`${MAPPING_CSV[mode]}_`) && /^\d/.test(name.slice(MAPPING_CSV[mode].length + 1)));
}

/**
 * The mode a mapping file of a copy run was written in: from a mapping CSV's name, or from a
 * checkpoint's job (read and validated as a resume reads it); undefined when neither says,
 * e.g. the seed tool's checkpoint, which does not record it.
 */
export async function modeOfMapping(path: string): Promise<CopyMode | undefined> {
  const name = basename(path);
  const fromName = modeOfMappingCsv(name);
  if (fromName || !name.endsWith('.json')) return fromName;
  return (await readCheckpoint(path).catch(() => undefined))?.job.mode;
}

/** A run folder's journal: one name whatever the run's timestamp, so a folder's journal is found without its checkpoint. */
export function journalIn(dir: string): string {
  return join(dir, 'journal.ndjson');
}

export function runFiles(dir: string, ts: string, mode: CopyMode): RunFiles {
  return {
    dir,
    ts,
    checkpoint: join(dir, `checkpoint_${ts}.json`),
    journal: journalIn(dir),
    events: join(dir, 'events.ndjson'),
    initialMapping: join(dir, `initial_scan_mapping_${ts}.csv`),
    mapping: join(dir, `${MAPPING_CSV[mode]}_${ts}.csv`),
    failures: join(dir, `failures_${ts}.csv`),
    duplicates: join(dir, `duplicates_${ts}.csv`),
  };
}

/** A new `run_<ts>` folder; a folder of that second already there moves the stamp on by a second. */
export async function createRunFolder(resultsDir: string, now: Date): Promise<{ dir: string; ts: string }> {
  await mkdir(resultsDir, { recursive: true });
  for (let offset = 0; offset < 3600; offset++) {
    const ts = runTimestamp(new Date(now.getTime() + offset * 1000));
    const dir = join(resolve(resultsDir), `run_${ts}`);
    try {
      await mkdir(dir);
      return { dir, ts };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ScanCopyError('IO_ERROR', `cannot create the run folder ${dir}`, { cause: err, hint: 'Check that the results folder is writable.' });
      }
    }
  }
  throw new ScanCopyError('IO_ERROR', `no free run folder name under ${resultsDir}`);
}

/** The newest run folder under `resultsDir` that holds this job; a damaged one of this job is an error. */
export async function findJobRun(resultsDir: string, job: Job): Promise<FoundRun | undefined> {
  let entries: string[];
  try {
    entries = await readdir(resultsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ScanCopyError('IO_ERROR', `cannot read the results folder ${resultsDir}`, { cause: err });
  }
  const runs = entries.filter((e) => RUN_DIR.test(e)).sort().reverse();
  for (const name of runs) {
    const dir = join(resolve(resultsDir), name);
    const checkpointPath = await checkpointIn(dir);
    const header = (await readJournal<JobHeader, unknown>(journalIn(dir)).catch(() => undefined))?.header;
    if (!checkpointPath) {
      if (header?.fingerprint === job.fingerprint) {
        throw new ScanCopyError('CHECKPOINT_CORRUPT', `the run folder ${dir} of this job has a journal but no checkpoint`, {
          hint: 'Nothing was deleted. Restore the checkpoint, move the folder away, or start over with --restart.',
        });
      }
      continue;
    }
    let checkpoint: Checkpoint;
    try {
      checkpoint = await readCheckpoint(checkpointPath);
    } catch (err) {
      // Someone else's damaged checkpoint is not ours to judge; ours (or an unknown one) stops the run.
      if (header !== undefined && header.fingerprint !== job.fingerprint) continue;
      throw err;
    }
    if (sameJob(checkpoint.job, job)) return { files: runFiles(dir, checkpoint.ts, checkpoint.job.mode), checkpoint };
  }
  return undefined;
}

/**
 * The newest of the job's run folders the ledger knows (anywhere, not only under this
 * results folder) that still holds its checkpoint; moved or damaged folders are passed over.
 */
export async function findKnownRun(dirs: readonly string[], job: Job): Promise<FoundRun | undefined> {
  for (const dir of dirs) {
    const path = await checkpointIn(dir);
    const checkpoint = path ? await readCheckpoint(path).catch(() => undefined) : undefined;
    if (checkpoint && sameJob(checkpoint.job, job)) return { files: runFiles(dir, checkpoint.ts, checkpoint.job.mode), checkpoint };
  }
  return undefined;
}

/** The run named by `--resume PATH` (a run folder or its checkpoint); another job's run is refused. */
export async function openNamedRun(path: string, job: Job): Promise<FoundRun> {
  const target = resolve(path);
  const info = await stat(target).catch((err: unknown) => {
    throw new ScanCopyError('USAGE', `cannot resume ${path}: ${(err as Error).message}`, { hint: 'Name a run folder (run_<ts>) or its checkpoint_<ts>.json.' });
  });
  const checkpointPath = info.isDirectory() ? await checkpointIn(target) : target;
  if (!checkpointPath) throw new ScanCopyError('USAGE', `no checkpoint in ${path}`, { hint: 'Name a run folder (run_<ts>) or its checkpoint_<ts>.json.' });
  const checkpoint = await readCheckpoint(checkpointPath);
  if (!sameJob(checkpoint.job, job)) {
    throw new ScanCopyError('JOB_MISMATCH', `refusing to resume ${checkpointPath}: it belongs to a different job: ${describeJobDifference(checkpoint.job, job)}`, {
      hint: 'Run with the same source, target, target store, mode and scans as that job, or start this job without --resume.',
      context: { checkpoint: checkpointPath },
    });
  }
  const dir = info.isDirectory() ? target : resolve(checkpointPath, '..');
  return { files: runFiles(dir, checkpoint.ts, checkpoint.job.mode), checkpoint };
}

export async function checkpointIn(dir: string): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const match = names.filter((n) => /^checkpoint_\d{8}_\d{6}\.json$/.test(n)).sort().at(-1);
  return match ? join(dir, match) : undefined;
}

/** Removes temporary files a killed write left in the run folder (never a complete file). */
export async function removeLeftovers(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const leftovers = names.filter((n) => n.startsWith('.') && n.endsWith(TEMP_SUFFIX));
  await Promise.all(leftovers.map((n) => rm(join(dir, n), { force: true })));
  return leftovers.length;
}

/** `--restart`: the job's checkpoint and journal go; its CSVs and events stay as a record. */
export async function discardRunState(files: RunFiles): Promise<void> {
  await rm(files.checkpoint, { force: true });
  await rm(files.journal, { force: true });
}

/**
 * One process at a time per run folder: two copies of one job could each create a scan
 * the other has not journaled yet. The lock names its process; one left by a process that
 * is gone (killed, its pid perhaps reused since) is taken over. Returns the release.
 */
export async function lockRun(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'copy.lock');
  let attempt: LockAttempt;
  try {
    attempt = await tryLock(path);
  } catch (err) {
    throw new ScanCopyError('IO_ERROR', `cannot lock the run folder ${dir}`, { cause: err });
  }
  if (attempt.taken) return attempt.release;
  throw new ScanCopyError('JOB_LOCKED', `another scancopy process (${describeHolder(attempt.holder)}) is running this job in ${dir}; its lock: ${path}`, {
    hint: 'Wait for it to finish or stop it (Ctrl-C saves its state), then resume.',
    context: { lock: path },
  });
}

/** The live process holding the run folder's lock, if any. */
export async function lockHolder(dir: string): Promise<number | undefined> {
  return (await liveHolder(join(dir, 'copy.lock')))?.pid;
}
