/**
 * Copy scans from a source instance to a target instance (platform.md section 4), pipelined,
 * checkpointed and exactly-once: see copy/pipeline.ts for the schedule, copy/steps.ts for the
 * journaled side effects, copy/reconcile.ts for lost create answers, copy/job.ts for resume,
 * copy/job-store.ts for where the job's state is kept.
 */
import { setMaxListeners } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RUN_DEFAULTS } from '../core/defaults.js';
import { ScanCopyError } from '../core/errors.js';
import { redactText } from '../core/redact.js';
import { Semaphore } from '../core/semaphore.js';
import { ensureWritableDir } from '../core/writable-dir.js';
import { RunStats, type StatsSnapshot } from '../core/stats.js';
import type { Queryable } from '../platform/db.js';
import { selectStoreExists } from '../platform/queries.js';
import { STAGES, type Stage } from '../platform/stages.js';
import { writeCsv } from '../reports/csv.js';
import type { RunContext } from './context.js';
import { describeCause } from './copy/describe.js';
import { uploadedFiles, type ScanState } from './copy/state.js';
import { DUPLICATE_COLUMNS, findDuplicates, type Duplicate } from './duplicates.js';
import { SEED_THRESHOLDS } from './copy/batch-ledger.js';
import { CheckpointCadence, jobOf, type Job, type RunInstances } from './copy/checkpoint.js';
import type { CopyEvent, StageRates } from './copy/events.js';
import { openJob, type OpenedJob } from './copy/job.js';
import { MemoryBudget } from './copy/limits.js';
import { completeCreatedLines, EventLog, writeOutputs, type CopyFailure } from './copy/outputs.js';
import { COPY_MODES, type CopyMode } from './copy/payload.js';
import { runPipeline } from './copy/pipeline.js';
import { findJobRun, findKnownRun, type RunFiles } from './copy/run-folder.js';
import type { JobCheckpointInfo } from './copy/resume-choice.js';
import { instanceIdentity, urlIdentity } from './copy/identity.js';
import { runsOfJob, type Ledger } from './copy/ledger.js';
import { openThroughLedger, recordRun, type PriorCopy } from './copy/prior-copies.js';
import { TargetDbProof } from './copy/target-proof.js';
import type { CopyOutcome, CopySourceApi, CopyTargetApi, CrashPoint, Runtime, SourceFile } from './copy/runtime.js';

export type { CopyEvent, StageRates } from './copy/events.js';
export { COPY_MODES, type CopyMode } from './copy/payload.js';
export type { CrashPoint, CopySourceApi, CopyTargetApi, SourceFile } from './copy/runtime.js';
export { CRASH_POINTS } from './copy/runtime.js';
export { notOnSource, type CopyFailure } from './copy/outputs.js';
export { planCopy, type CopyPlan, type PlanCopyOptions } from './copy/plan.js';
export { pairsFromCopy } from './copy/pairs.js';
export { probeTargetDb, type TargetDbProbe } from './copy/target-db.js';
export { answerResume, checkResumeRequest, decideResume, progressOf, restartWarning, type JobCheckpointInfo, type ResumeAnswer, type ResumeDecision, type ResumeRequest } from './copy/resume-choice.js';
export { sameInstance } from './copy/same-instance.js';
export { buildCopyOptions, copyEnd, type CopyJobRequest, type CopyRunOverrides, type CopySettings } from './copy/options.js';
export { listCopyRuns, readCopyRun, type CopyRun, type ListRunsOptions, type RunState } from './copy/runs.js';
export type { RunInstance, RunInstances } from './copy/checkpoint.js';
export { ledgerExists, openLedger, type Ledger, type OpenLedgerOptions } from './copy/ledger.js';

export interface CopyInstance<Api> {
  /** The API URL: part of the job's fingerprint. */
  apiUrl: string;
  api: Api;
  /** The instance's name and DB URL (no password): recorded in the checkpoint, so the run can be resumed from its folder alone. */
  name?: string;
  dbUrl?: string;
}

export interface CopyOptions {
  source: CopyInstance<CopySourceApi> & { db: Queryable };
  /** Without `db`, a create whose answer was lost cannot be reconciled and is reported "outcome unknown". */
  target: CopyInstance<CopyTargetApi> & { db?: Queryable };
  scanIds: readonly number[];
  targetStoreId: number;
  /** @default 'auto' */
  mode?: CopyMode;
  /** @default './testResults' */
  resultsDir?: string;
  /** Scans per batch (logging, thresholds, retry, checkpoint). @default 10 */
  batchSize?: number;
  /**
   * The stage limits the clients were opened with (PlatformApi `limits`): the clients bound
   * each stage's concurrent calls (and lower them on 429/503); the copy sizes its pipeline by
   * them: files in transfer, scans in flight. @default { download: 20, upload: 20, create: 10 }
   */
  limits?: Partial<Record<Stage, number>>;
  /** File bytes held in memory between download and upload; larger files and the rest are spooled to `<run folder>/spool/`. @default 64 MiB */
  maxBytesInFlight?: number;
  /** Stop taking work after this long, save, and return `stopped: 'max-duration'`. @default none */
  maxDurationMs?: number;
  /** @default 30 min */
  batchDeadlineMs?: number;
  /** Batch retries when a stage's rate is under its threshold. @default 3 */
  batchRetries?: number;
  /** Wait before batch retry n is n times this. @default 5000 */
  batchRetryDelayMs?: number;
  /** @default { download: 0.8, upload: 0.8, create: 0.5 } */
  thresholds?: Partial<StageRates>;
  /** Wait before looking up a scan whose create answer was lost. @default 1000 */
  reconcileDelayMs?: number;
  /**
   * How long after it was sent a create whose outcome is unknown may still be committed: its
   * scan is looked for in the target DB until then, and only then created again. The create
   * timeout plus a margin for a slow backend and replica lag. @default 90000
   */
  commitHorizonMs?: number;
  /** Creates sent per scan and attempt while their outcome stays unknown and the scan absent. @default 3 */
  createAttempts?: number;
  /** true: continue this job's checkpoint if any; a path: continue that run (refused if another job's). @default false */
  resume?: boolean | string;
  /** Discard this job's checkpoint (the caller has confirmed) and start over. @default false */
  restart?: boolean;
  /** The seed tool's schedule: each batch downloads all, then uploads all, then creates all. @default false */
  barrier?: boolean;
  /**
   * What has been copied where, across run folders and processes (copy/ledger.ts, openLedger):
   * the job's lock is taken in it before any folder is made, its run folders are found through
   * it, and scans it holds a copy of in the target store are skipped. Without it, only the
   * results folder is looked in and the run folder is the only lock.
   */
  ledger?: Ledger;
  /** Copy scans the ledger says are already in the target store again. @default false */
  allowRecopy?: boolean;
  /** Copy although source and target are one instance (the same database identity): copies land beside their sources. @default false */
  allowSameInstance?: boolean;
  /** Called at named points; tests make the process die there. */
  crashPoint?: (name: CrashPoint) => void;
  /**
   * Called with each source file as downloaded, so a caller can reuse the bytes (the
   * analysis's thumbnails) instead of fetching them again; the bytes are kept until it
   * resolves, and its failure is not the copy's.
   */
  onSourceFile?: (file: SourceFile) => Promise<void>;
}

export const COPY_DEFAULTS = {
  mode: 'auto',
  resultsDir: RUN_DEFAULTS.resultsDir,
  batchSize: RUN_DEFAULTS.batchSize,
  limits: RUN_DEFAULTS.limits,
  maxBytesInFlight: 64 * 1024 * 1024,
  batchDeadlineMs: RUN_DEFAULTS.batchDeadlineMs,
  batchRetries: 3,
  batchRetryDelayMs: 5000,
  reconcileDelayMs: 1000,
  commitHorizonMs: RUN_DEFAULTS.callTimeoutsMs.create + RUN_DEFAULTS.commitMarginMs,
  createAttempts: 3,
} as const;

export interface CopyResult {
  runDir: string;
  /** The job's scans, in order (the checkpoint's on a resume). */
  scanIds: number[];
  files: RunFiles;
  resumed: boolean;
  scans: number;
  created: number;
  skipped: number;
  failed: number;
  /** Not attempted to the end because the run stopped. */
  pending: number;
  /** Every created scan, in job order. */
  mapping: Array<{ sourceScanId: number; targetScanId: number }>;
  /** Skipped and failed scans with their reasons. */
  failures: CopyFailure[];
  /** Extra target scans made from this job's uploads, found by the final sweep (also in `files.duplicates`). */
  duplicates: Duplicate[];
  /** Why the final sweep could not look (no target DB, or it failed); absent when it did. */
  sweepSkipped?: string;
  stopped?: 'interrupted' | 'max-duration';
  elapsedMs: number;
  scansPerSecond: number;
  stats: StatsSnapshot<CopyOutcome, Stage>;
  peakBytesInFlight: number;
}

export async function copyScans(options: CopyOptions, ctx: RunContext<CopyEvent> = {}): Promise<CopyResult> {
  const opts = resolveOptions(options);
  if (opts.target.db && !(await selectStoreExists(opts.target.db, opts.targetStoreId))) {
    throw new ScanCopyError('USAGE', `target store ${opts.targetStoreId} does not exist on the target instance`, { hint: 'Pick a store id of the target (scancopy find lists stores by id).' });
  }
  // With explicit scan ids nothing has read the source DB yet: a DB that is down or refuses the
  // login is one error now, not one failed scan per id in a new run folder.
  await opts.source.db.query('SELECT 1');
  await ensureWritableDir(opts.resultsDir, 'results folder', 'Give a folder you can write to with --results (or resultsDir in the config).');
  const asked = await jobFor(opts);
  if (asked.source === asked.target && !opts.allowSameInstance) {
    throw new ScanCopyError('USAGE', `the source and the target are the same instance (${asked.source}): the copies would be made beside their sources`, {
      hint: 'Check --source and --target; to copy into the same instance on purpose, add --allow-same-instance.',
    });
  }
  const { ledger } = opts;
  // Before any folder is made: a second process of the same job stops here.
  const unlockJob = ledger ? await ledger.lockJob(asked.fingerprint) : async () => undefined;
  let opened: OpenedJob;
  let prior = new Map<number, PriorCopy>();
  try {
    const open = (knownRuns?: readonly string[]): Promise<OpenedJob> =>
      openJob({ job: asked, resultsDir: opts.resultsDir, scanIds: opts.scanIds, batchSize: opts.batchSize, resume: opts.resume, restart: opts.restart, now: new Date(), instances: runInstances(opts), knownRuns });
    if (ledger) ({ opened, prior } = await openThroughLedger(ledger, asked, open));
    else opened = await open();
  } catch (err) {
    await unlockJob();
    throw err;
  }
  // On a resume, the job as recorded (it may have been matched by the target's URL: sameJob).
  const { files, state, job } = opened;
  await completeCreatedLines(files.events, opened.scanIds, state.scans);
  const log = new EventLog(files.events);
  const emit = (event: CopyEvent): void => {
    log.write(event);
    ctx.onEvent?.(event);
  };

  let skips: { held: Set<number>; events: CopyEvent[] };
  try {
    skips = await skipPriorCopies(prior, opts, opened);
  } catch (err) {
    await log.close();
    await state.close();
    await opened.unlock();
    await unlockJob();
    throw err;
  }

  const stopper = new AbortController();
  setMaxListeners(0, stopper.signal);
  let stopped: CopyResult['stopped'];
  const stop = (reason: 'interrupted' | 'max-duration'): void => {
    if (stopper.signal.aborted) return;
    stopped = reason;
    emit({ type: 'stopping', reason });
    stopper.abort(new ScanCopyError(reason === 'interrupted' ? 'ABORTED' : 'DEADLINE', `copy ${reason === 'interrupted' ? 'interrupted' : 'stopped by its maximum duration'}`));
  };
  const onAbort = (): void => stop('interrupted');
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  if (ctx.signal?.aborted) onAbort();
  const maxTimer = opts.maxDurationMs === undefined ? undefined : setTimeout(() => stop('max-duration'), opts.maxDurationMs);

  const stats = new RunStats<CopyOutcome, Stage>(['created', 'skipped', 'failed'], STAGES);
  for (const [id, s] of state.scans) if (s.status !== 'pending') stats.settle(id, s.status);
  // Scans the ledger skipped just now are this run's to report (their skipped events follow copy-start).
  const skippedNow = skips.events.length - skips.held.size;
  const alreadyDone = opened.scanIds.filter((id) => ['created', 'skipped'].includes(state.scan(id).status)).length - skippedNow;
  const settledBefore = opened.scanIds.filter((id) => state.scan(id).status !== 'pending').length;
  const proof = new TargetDbProof(opts.target.db, opts.commitHorizonMs, stopper.signal, () => stopper.abort(new ScanCopyError('USAGE', 'the target database is not the target API\'s')));
  const rt = buildRuntime(opts, opened, stats, stopper.signal, emit, skips.held, proof);
  const checkpoints = new CheckpointCadence();
  const saveCheckpoint = (crash: boolean): Promise<void> => checkpoints.write(() => state.compact(crash ? () => opts.crashPoint?.('mid-checkpoint') : undefined));

  const totalBatches = Math.ceil(opened.scanIds.length / opened.batchSize);
  // Spool files a killed run left behind are of no use: every file not yet uploaded is downloaded again.
  await rm(spoolDirOf(files.dir), { recursive: true, force: true });
  await mkdir(spoolDirOf(files.dir), { recursive: true });
  try {
    if (opened.resumed) await saveCheckpoint(false);
    emit({
      type: 'copy-start', runDir: files.dir, checkpoint: files.checkpoint, resumed: opened.resumed, scans: opened.scanIds.length, batches: totalBatches,
      batchSize: opened.batchSize, mode: opts.mode, barrier: opts.barrier, limits: opts.limits, alreadyDone, repaired: opened.repaired,
    });
    for (const event of skips.events) emit(event);
    await runPipeline(rt, {
      totalBatches, totalScans: opened.scanIds.length, barrier: opts.barrier,
      window: Math.max(2 * opened.batchSize, 2 * (opts.limits.download + opts.limits.upload + opts.limits.create)),
      batchRetries: opts.batchRetries, batchRetryDelayMs: opts.batchRetryDelayMs, thresholds: opts.thresholds, batchDeadlineMs: opts.batchDeadlineMs,
      onBatchDone: async () => {
        if (checkpoints.due()) await saveCheckpoint(true);
      },
    });
    await saveCheckpoint(false);
    const unproven = await proof.outcome();
    if (unproven) throw unproven;
  } catch (err) {
    await log.close();
    await completeCreatedLines(files.events, opened.scanIds, state.scans).catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(maxTimer);
    ctx.signal?.removeEventListener('abort', onAbort);
    await rm(spoolDirOf(files.dir), { recursive: true, force: true }).catch(() => undefined);
    await state.close();
    await opened.unlock();
    // Not fatal: the run stays registered as unfinished, and the next run reads its journal instead.
    if (ledger) await recordRun(ledger, job, files.dir, state.scans).catch(() => undefined);
    await unlockJob();
  }
  const failures = await writeOutputs(files, opened.scanIds, state.scans);
  const sweep = await sweepDuplicates(opts.target.db, opened.scanIds, state.scans);
  for (const d of sweep.duplicates) emit({ type: 'duplicate', ...d });
  await writeCsv(files.duplicates, DUPLICATE_COLUMNS, sweep.duplicates.map((d) => [d.sourceScanId, d.keptTargetScanId, d.extraTargetScanIds.join(' ')]));
  const snapshot = stats.snapshot();
  const count = (status: string): number => opened.scanIds.filter((id) => state.scan(id).status === status).length;
  const result: CopyResult = {
    runDir: files.dir, scanIds: opened.scanIds, files, resumed: opened.resumed, scans: opened.scanIds.length,
    created: count('created'), skipped: count('skipped'), failed: count('failed'), pending: count('pending'),
    mapping: opened.scanIds.filter((id) => state.scan(id).status === 'created').map((id) => ({ sourceScanId: id, targetScanId: state.scan(id).target_scan_id as number })),
    failures, duplicates: sweep.duplicates, sweepSkipped: sweep.skipped, stopped, elapsedMs: snapshot.elapsedMs, scansPerSecond: ratePerSecond(opened.scanIds.filter((id) => state.scan(id).status !== 'pending').length - settledBefore, snapshot.elapsedMs), stats: snapshot, peakBytesInFlight: rt.memory.peak,
  };
  emit({ type: 'copy-done', created: result.created, skipped: result.skipped, failed: result.failed, pending: result.pending, elapsedMs: result.elapsedMs, stopped });
  await log.close();
  await completeCreatedLines(files.events, opened.scanIds, state.scans);
  return result;
}

/** The job's identity from the instances themselves (copy/identity.ts), the target store, the mode and the scan set. */
async function jobFor(o: Pick<CopyOptions, 'scanIds' | 'targetStoreId' | 'mode'> & { source: { apiUrl: string; db: Queryable }; target: { apiUrl: string; db?: Queryable } }): Promise<Job> {
  const [source, target] = await Promise.all([instanceIdentity(o.source.apiUrl, o.source.db), instanceIdentity(o.target.apiUrl, o.target.db)]);
  return jobOf({ source, target, target_store: o.targetStoreId, mode: o.mode ?? COPY_DEFAULTS.mode }, o.scanIds, urlIdentity(o.target.apiUrl));
}

/**
 * Scans not begun by this job (no create in doubt) that the ledger holds a copy of in the
 * target store are skipped, unless `allowRecopy`; those another unfinished run has a create
 * in doubt for fail, and are held out of this run, until that run is resumed. Returns those
 * held and the events to say so, emitted after copy-start.
 */
async function skipPriorCopies(prior: ReadonlyMap<number, PriorCopy>, opts: ResolvedCopyOptions, opened: OpenedJob): Promise<{ held: Set<number>; events: CopyEvent[] }> {
  const held = new Set<number>();
  const events: CopyEvent[] = [];
  const { state } = opened;
  for (const [id, p] of prior) {
    const s = state.scan(id);
    if (p.kind === 'copied') {
      if (opts.allowRecopy) continue;
      const reason = `already copied in run ${p.runDir} (target scan ${p.targetScanId})`;
      await state.record({ t: 'skipped', scan: id, kind: 'already-copied', reason });
      events.push({ type: 'skipped', batch: s.batch, scanId: id, kind: 'already-copied', reason, attempt: s.attempts });
    } else {
      const reason = `run ${p.runDir} sent a create of this scan whose outcome is not known yet: resume that run first (--resume ${p.runDir})`;
      await state.record({ t: 'failed', scan: id, stage: 'create', code: 'OUTCOME_UNKNOWN', reason });
      events.push({ type: 'failed', batch: s.batch, scanId: id, stage: 'create', code: 'OUTCOME_UNKNOWN', reason, attempt: s.attempts, latencyMs: 0 });
      held.add(id);
    }
  }
  return { held, events };
}

/** The final sweep over every created scan of the job; never fails the copy, says why it did not look. */
async function sweepDuplicates(db: Queryable | undefined, scanIds: readonly number[], scans: ReadonlyMap<number, ScanState>): Promise<{ duplicates: Duplicate[]; skipped?: string }> {
  if (!db) return { duplicates: [], skipped: 'no target database: duplicates cannot be looked for' };
  const copies = scanIds.flatMap((id) => {
    const s = scans.get(id);
    return s?.status === 'created' && s.target_scan_id !== undefined ? [{ sourceScanId: id, targetScanId: s.target_scan_id, fileIds: uploadedFiles(s) }] : [];
  });
  try {
    return { duplicates: await findDuplicates(db, copies) };
  } catch (err) {
    return { duplicates: [], skipped: `the target database could not be read for the duplicate sweep (${describeCause(err)})` };
  }
}

/** Scans settled by this run (a resume's earlier ones excluded) per second; 0 when nothing was left to do. */
/** Both instances' addresses, when the caller gave them. */
function runInstances(o: Pick<CopyOptions, 'source' | 'target'>): RunInstances | undefined {
  const { source, target } = o;
  if (source.dbUrl === undefined || target.dbUrl === undefined) return undefined;
  return {
    source: { name: source.name ?? 'source', api: source.apiUrl, db: redactText(source.dbUrl) },
    target: { name: target.name ?? 'target', api: target.apiUrl, db: redactText(target.dbUrl) },
  };
}

function ratePerSecond(settled: number, elapsedMs: number): number {
  return settled > 0 && elapsedMs > 0 ? settled / (elapsedMs / 1000) : 0;
}

export type JobSelector = Pick<CopyOptions, 'scanIds' | 'targetStoreId' | 'mode' | 'resultsDir' | 'ledger'> & {
  source: { apiUrl: string; db: Queryable };
  target: { apiUrl: string; db?: Queryable };
};

/** This job's checkpoint under the results folder, if any: what a resume would continue (the wizard asks with it). */
export async function findCopyCheckpoint(o: JobSelector): Promise<JobCheckpointInfo | undefined> {
  const job = await jobFor(o);
  const known = o.ledger ? await o.ledger.use((tx) => runsOfJob(tx, job.fingerprint)) : [];
  const found = (await findJobRun(resolve(o.resultsDir ?? COPY_DEFAULTS.resultsDir), job)) ?? (await findKnownRun(known, job));
  if (!found) return undefined;
  const states = Object.values(found.checkpoint.scans);
  return {
    runDir: found.files.dir,
    checkpoint: found.files.checkpoint,
    done: states.filter((s) => s.status === 'created' || s.status === 'skipped').length,
    created: states.filter((s) => s.status === 'created').length,
    total: found.checkpoint.scan_ids.length,
  };
}

type ResolvedCopyOptions = Required<Omit<CopyOptions, 'maxDurationMs' | 'crashPoint' | 'onSourceFile' | 'limits' | 'thresholds' | 'ledger'>> &
  Pick<CopyOptions, 'maxDurationMs' | 'crashPoint' | 'onSourceFile' | 'ledger'> & { limits: Record<Stage, number>; thresholds: StageRates };

function resolveOptions(o: CopyOptions): ResolvedCopyOptions {
  const whole = (name: string, value: number, min: number): number => {
    if (!(Number.isSafeInteger(value) && value >= min)) throw new ScanCopyError('USAGE', `${name} = ${String(value)}: expected a whole number >= ${min}`);
    return value;
  };
  if (o.scanIds.length === 0) throw new ScanCopyError('USAGE', 'no scans to copy', { hint: 'Select scans with --scans, --scans-file or --store with --date.' });
  for (const id of o.scanIds) whole('scan id', id, 1);
  const mode = o.mode ?? COPY_DEFAULTS.mode;
  if (!COPY_MODES.includes(mode)) throw new ScanCopyError('USAGE', `mode = ${String(mode)}: expected auto or mapped`);
  if (o.resume && o.restart) throw new ScanCopyError('USAGE', 'resume and restart exclude each other', { hint: 'Pass one of --resume and --restart.' });
  const limits = { ...COPY_DEFAULTS.limits, ...o.limits };
  for (const [stage, n] of Object.entries(limits)) whole(`${stage} workers`, n, 1);
  return {
    ...o,
    mode,
    targetStoreId: whole('target store', o.targetStoreId, 1),
    resultsDir: resolve(o.resultsDir ?? COPY_DEFAULTS.resultsDir),
    batchSize: whole('batch size', o.batchSize ?? COPY_DEFAULTS.batchSize, 1),
    limits,
    maxBytesInFlight: o.maxBytesInFlight ?? COPY_DEFAULTS.maxBytesInFlight,
    batchDeadlineMs: o.batchDeadlineMs ?? COPY_DEFAULTS.batchDeadlineMs,
    batchRetries: whole('batch retries', o.batchRetries ?? COPY_DEFAULTS.batchRetries, 0),
    batchRetryDelayMs: o.batchRetryDelayMs ?? COPY_DEFAULTS.batchRetryDelayMs,
    thresholds: { ...SEED_THRESHOLDS, ...o.thresholds },
    reconcileDelayMs: o.reconcileDelayMs ?? COPY_DEFAULTS.reconcileDelayMs,
    commitHorizonMs: whole('commit horizon (ms)', o.commitHorizonMs ?? COPY_DEFAULTS.commitHorizonMs, 0),
    createAttempts: whole('create attempts', o.createAttempts ?? COPY_DEFAULTS.createAttempts, 1),
    resume: o.resume ?? false,
    restart: o.restart ?? false,
    barrier: o.barrier ?? false,
    allowRecopy: o.allowRecopy ?? false,
    allowSameInstance: o.allowSameInstance ?? false,
  };
}

function spoolDirOf(runDir: string): string {
  return join(runDir, 'spool');
}

function buildRuntime(opts: ResolvedCopyOptions, opened: OpenedJob, stats: RunStats<CopyOutcome, Stage>, stop: AbortSignal, emit: (e: CopyEvent) => void, held: ReadonlySet<number>, targetProof: TargetDbProof): Runtime {
  const spoolDir = spoolDirOf(opened.files.dir);
  return {
    state: opened.state,
    held,
    source: opts.source,
    target: opts.target,
    targetProof,
    mode: opts.mode,
    targetStoreId: opts.targetStoreId,
    capturedAt: opened.capturedAt,
    // Enough files in transfer to keep every upload slot busy with one more waiting each.
    transfer: opts.barrier ? undefined : new Semaphore(opts.limits.download + 2 * opts.limits.upload, 'transfer workers'),
    memory: new MemoryBudget(opts.maxBytesInFlight),
    spoolPath: (task) => join(spoolDir, `${task.scanId}_${task.index}_${randomBytes(4).toString('hex')}.part`),
    stop,
    emit,
    crashPoint: (name) => opts.crashPoint?.(name),
    onSourceFile: opts.onSourceFile,
    reconcileDelayMs: opts.reconcileDelayMs,
    commitHorizonMs: opts.commitHorizonMs,
    createAttempts: opts.createAttempts,
    stats,
  };
}
