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
import { runsOnHost, type KnownRun, type Ledger } from './ledger.js';
import { checkpointIn, lockHolder, RUN_DIR } from './run-folder.js';
import type { ScanState } from './state.js';

export type RunState = 'finished' | 'unfinished' | 'running' | 'damaged' | 'no copy' | 'gone';

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
  /** A run whose folder is gone, as the ledger recorded it: its copies stay known there, its other state is lost. */
  recorded?: { sourceInstance: string; targetInstance: string; targetStore: number; copies: number; finished: boolean };
}

export interface ListRunsOptions {
  /** Adds the runs this host recorded in the ledger outside `resultsDir`: their folders elsewhere, or gone. */
  ledger?: Ledger;
}

/** Every `run_<ts>` folder under `resultsDir` (an absent folder has none), and with a ledger the runs it knows elsewhere; newest first. */
export async function listCopyRuns(resultsDir: string, options: ListRunsOptions = {}): Promise<CopyRun[]> {
  const runs = await Promise.all((await runFoldersIn(resultsDir)).map(readRunFolder));
  if (options.ledger) {
    const listed = new Set(runs.map((r) => r.dir));
    const elsewhere = (await options.ledger.use(runsOnHost)).filter((r) => !listed.has(resolve(r.runDir)));
    runs.push(...(await Promise.all(elsewhere.map(readRecordedRun))));
  }
  return runs.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
}

async function runFoldersIn(resultsDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(resultsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ScanCopyError('IO_ERROR', `cannot read the results folder ${resultsDir}`, { cause: err });
  }
  return names.filter((n) => RUN_DIR.test(n)).map((n) => join(resolve(resultsDir), n));
}

/** A run the ledger knows: read from its folder where that still holds the run, else what the ledger kept. */
async function readRecordedRun(known: KnownRun): Promise<CopyRun> {
  const dir = resolve(known.runDir);
  const run = await readRunFolder(dir);
  if (run.state !== 'no copy') return run;
  const { sourceInstance, targetInstance, targetStore, copies, finished } = known;
  return { ...run, state: 'gone', created: copies, recorded: { sourceInstance, targetInstance, targetStore, copies, finished } };
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
