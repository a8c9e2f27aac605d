/**
 * The copy runs under a results folder, as `scancopy runs`, the wizard's Step 0 and
 * `copy --resume RUN_DIR` see them: each run folder's job, instances and counts, from its
 * checkpoint with the journal records written after it replayed (read only: nothing is
 * locked, repaired or written), so a run killed between checkpoints counts what it did.
 */
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ScanCopyError } from '../../core/errors.js';
import { readCheckpoint, type Checkpoint, type RunInstances } from './checkpoint.js';
import { readRecordedState } from './local-job-store.js';
import type { CopyMode } from './payload.js';
import { checkpointIn, lockHolder, RUN_DIR } from './run-folder.js';
import type { ScanState } from './state.js';

export type RunState = 'finished' | 'unfinished' | 'running' | 'damaged' | 'no copy';

export interface CopyRun {
  /** Absolute path of the run folder. */
  dir: string;
  /** `run_<ts>`. */
  name: string;
  state: RunState;
  /** Why a damaged run cannot be read. */
  problem?: string;
  job?: { source: string; target: string; targetStore: number; mode: CopyMode };
  /** The addresses the run recorded; absent in checkpoints written before runs recorded them. */
  instances?: RunInstances;
  scanIds: number[];
  batchSize?: number;
  total: number;
  created: number;
  skipped: number;
  failed: number;
  pending: number;
  startedAt?: string;
  updatedAt?: string;
}

/** Every `run_<ts>` folder under `resultsDir`, newest first; an absent folder has none. */
export async function listCopyRuns(resultsDir: string): Promise<CopyRun[]> {
  let names: string[];
  try {
    names = await readdir(resultsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ScanCopyError('IO_ERROR', `cannot read the results folder ${resultsDir}`, { cause: err });
  }
  const dirs = names.filter((n) => RUN_DIR.test(n)).sort().reverse();
  return Promise.all(dirs.map((n) => readRunFolder(join(resolve(resultsDir), n))));
}

/** One run folder (or its checkpoint file); a folder that is no copy run is refused. */
export async function readCopyRun(path: string): Promise<CopyRun> {
  const dir = resolve(path).endsWith('.json') ? resolve(path, '..') : resolve(path);
  const run = await readRunFolder(dir);
  if (run.state === 'no copy') throw new ScanCopyError('USAGE', `no checkpoint in ${path}`, { hint: 'Name a run folder (run_<ts>) of a copy, or its checkpoint_<ts>.json; `scancopy runs` lists them.' });
  if (run.state === 'damaged') throw new ScanCopyError('CHECKPOINT_CORRUPT', `cannot read the run in ${path}: ${run.problem ?? 'damaged'}`);
  return run;
}

async function readRunFolder(dir: string): Promise<CopyRun> {
  const empty = { dir, name: basename(dir), scanIds: [], total: 0, created: 0, skipped: 0, failed: 0, pending: 0 };
  const path = await checkpointIn(dir);
  if (!path) return { ...empty, state: 'no copy' };
  let checkpoint: Checkpoint;
  try {
    checkpoint = await readCheckpoint(path);
  } catch (err) {
    return { ...empty, state: 'damaged', problem: (err as Error).message };
  }
  const { scans } = await readRecordedState(dir, checkpoint);
  const count = (status: ScanState['status']): number => [...scans.values()].filter((s) => s.status === status).length;
  const pending = count('pending');
  const running = (await lockHolder(dir)) !== undefined;
  return {
    dir,
    name: basename(dir),
    state: running ? 'running' : pending > 0 ? 'unfinished' : 'finished',
    job: { source: checkpoint.job.source, target: checkpoint.job.target, targetStore: checkpoint.job.target_store, mode: checkpoint.job.mode },
    ...(checkpoint.instances ? { instances: checkpoint.instances } : {}),
    scanIds: [...checkpoint.scan_ids],
    batchSize: checkpoint.batch_size,
    total: checkpoint.scan_ids.length,
    created: count('created'),
    skipped: count('skipped'),
    failed: count('failed'),
    pending,
    startedAt: checkpoint.started_at,
    updatedAt: checkpoint.updated_at,
  };
}
