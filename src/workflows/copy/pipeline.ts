/**
 * The copy pipeline. Each scan flows download -> upload -> create as soon as its own files
 * are ready, through one bounded queue per stage; batches are admitted while the scans in
 * flight stay under a window, so a batch never waits for the previous one's slowest file.
 * A batch is the unit of logging, thresholds, retry and checkpoint: once its attempt is
 * over it is retried (failed items only) if a stage's rate is under the seed's threshold, or
 * if a scan was refused for now (429), which is owed a round whatever the rates.
 *
 * Barrier mode runs the seed tool's schedule instead, for comparison: one batch at a time,
 * all its downloads, then all its uploads, then all its creates.
 */
import { setMaxListeners } from 'node:events';
import { ScanCopyError } from '../../core/errors.js';
import { refusedForNow } from '../../core/failure.js';
import { sleep } from '../../core/sleep.js';
import { selectScansWithFiles } from '../../platform/queries.js';
import { byStage, type Stage } from '../../platform/stages.js';
import type { ScanWithFiles } from '../../platform/types.js';
import { BatchLedger, stagesBelow } from './batch-ledger.js';
import type { StageRates } from './events.js';
import type { Batch } from './job-store.js';
import type { Attempt, Runtime } from './runtime.js';
import { isSettled } from './state.js';
import { targetStorePlanograms } from './store-planograms.js';
import { createStep, downloadStep, failScan, isFailure, prepareScan, transferStep, uploadStep, type FileTask, type StepFailure, type StepOutcome } from './steps.js';

export interface PipelineOptions {
  totalBatches: number;
  totalScans: number;
  barrier: boolean;
  /** Scans in flight at most (pipeline mode): bounds the metadata held. */
  window: number;
  batchRetries: number;
  batchRetryDelayMs: number;
  thresholds: StageRates;
  batchDeadlineMs: number;
  /** Called once per batch when its last attempt is over and its lease ended (writes the checkpoint when due). */
  onBatchDone(batch: Batch): Promise<void>;
}

export async function runPipeline(rt: Runtime, opts: PipelineOptions): Promise<void> {
  const window = new Window(opts.window);
  const running = new Set<Promise<void>>();
  let failure: unknown;
  // The store says which batch comes next: for this one worker, the next one not completed, in order.
  while (!rt.stop.aborted && failure === undefined) {
    const batch = await rt.state.lease();
    if (!batch) break;
    if (opts.barrier) {
      await runBatch(rt, opts, batch, window);
      continue;
    }
    await window.admit(batch.scanIds.length, rt.stop);
    if (rt.stop.aborted) {
      await rt.state.release(batch.number);
      break;
    }
    const job = runBatch(rt, opts, batch, window)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => running.delete(job));
    running.add(job);
  }
  await Promise.all(running);
  if (failure !== undefined) throw failure;
}

async function runBatch(rt: Runtime, opts: PipelineOptions, batch: Batch, window: Window): Promise<void> {
  const ledger = new BatchLedger();
  const started = Date.now();
  let attempt = 0;
  for (;;) {
    attempt += 1;
    const items = batch.scanIds.filter((id) => !isSettled(rt.state.scan(id)) && !rt.held.has(id));
    if (items.length === 0 || rt.stop.aborted) break;
    window.enter(items.length);
    try {
      await runAttempt(rt, opts, batch, attempt, items, ledger, window);
    } finally {
      window.leave(items.length);
    }
    if (rt.stop.aborted) break;
    const failed = batch.scanIds.filter((id) => rt.state.scan(id).status === 'failed' && !rt.held.has(id));
    const rates = ledger.rates();
    const owed = failed.some((id) => refusedForNow(rt.state.scan(id).code));
    if (failed.length === 0 || attempt > opts.batchRetries || (!owed && stagesBelow(rates, opts.thresholds).length === 0)) break;
    const delayMs = opts.batchRetryDelayMs * attempt;
    rt.emit({ type: 'batch-retry', batch: batch.number, batches: opts.totalBatches, attempt: attempt + 1, delayMs, rates, items: failed.length });
    await sleep(delayMs, rt.stop).catch(() => undefined);
  }
  const scans = batch.scanIds.map((id) => rt.state.scan(id));
  const complete = scans.every(isSettled);
  // A complete batch is recorded so and never leased again; one with failures is left for a resume.
  if (complete) await rt.state.record({ t: 'batch-complete', batch: batch.number });
  else await rt.state.release(batch.number);
  await opts.onBatchDone(batch);
  rt.emit({
    type: 'batch-complete',
    batch: batch.number,
    batches: opts.totalBatches,
    attempt,
    created: scans.filter((s) => s.status === 'created').length,
    skipped: scans.filter((s) => s.status === 'skipped').length,
    failed: scans.filter((s) => s.status === 'failed').length,
    rates: ledger.rates(),
    complete,
    elapsedMs: Date.now() - started,
  });
}

async function runAttempt(rt: Runtime, opts: PipelineOptions, batch: Batch, attempt: number, items: number[], ledger: BatchLedger, window: Window): Promise<void> {
  // Own controllers rather than AbortSignal.any/timeout: no listener or timer outlives the attempt.
  const deadline = new AbortController();
  const calls = new AbortController();
  setMaxListeners(0, deadline.signal, calls.signal);
  const onStop = (): void => calls.abort(rt.stop.reason);
  rt.stop.addEventListener('abort', onStop, { once: true });
  if (rt.stop.aborted) onStop();
  const timer = setTimeout(() => {
    const reason = new ScanCopyError('DEADLINE', `batch ${batch.number} passed its deadline`);
    deadline.abort(reason);
    calls.abort(reason);
  }, opts.batchDeadlineMs);
  const at = newAttempt(rt, batch, attempt, { calls: calls.signal, deadline: deadline.signal }, ledger, window);
  try {
    let rows: Map<number, ScanWithFiles>;
    try {
      rows = new Map((await selectScansWithFiles(rt.source.db, items)).map((r) => [r.id, r]));
      if (rt.mode === 'mapped' && rt.target.db) {
        for (const [id, choice] of await targetStorePlanograms(rt.source.db, rt.target.db, rt.targetStoreId, [...rows.values()])) at.storePlanograms.set(id, choice);
      }
    } catch (error) {
      await Promise.all(items.map((id) => failScan(rt, at, id, { stage: 'read', error }, Date.now())));
      return;
    }
    const prepared = await Promise.all(items.map(async (id) => ({ id, row: rows.get(id), tasks: await prepareScan(rt, id, rows.get(id), at.storePlanograms.get(id)) })));
    const scans = prepared.flatMap((p) => (Array.isArray(p.tasks) && p.row ? [{ id: p.id, row: p.row, tasks: p.tasks }] : []));
    const files = scans.reduce((n, s) => n + s.tasks.length, 0);
    at.progress.download.total = files;
    at.progress.upload.total = files;
    at.progress.create.total = scans.length;
    rt.emit({
      type: 'batch-start', batch: batch.number, batches: opts.totalBatches, attempt, first: batch.first, last: batch.first + batch.scanIds.length - 1,
      total: opts.totalScans, scanIds: items, files, creates: scans.length,
    });
    for (const p of prepared) {
      if (Array.isArray(p.tasks)) rt.emit({ type: 'queued', batch: batch.number, scanId: p.id, files: p.tasks.length, attempt });
      else if ('skipped' in p.tasks) rt.emit({ type: 'skipped', batch: batch.number, scanId: p.id, kind: p.tasks.skipped, reason: p.tasks.reason, attempt });
      else rt.emit({ type: 'failed', batch: batch.number, scanId: p.id, stage: 'read', code: p.tasks.code, reason: p.tasks.reason, attempt, latencyMs: 0 });
    }
    if (opts.barrier) await barrierAttempt(rt, at, scans);
    else await Promise.all(scans.map((s) => pipelinedScan(rt, at, s.id, s.row, s.tasks)));
  } finally {
    clearTimeout(timer);
    rt.stop.removeEventListener('abort', onStop);
  }
}

/** Rounds of upload-and-create per scan and attempt when the target keeps purging its uploads. */
const UPLOAD_ROUNDS = 2;

async function pipelinedScan(rt: Runtime, at: Attempt, scanId: number, row: ScanWithFiles, tasks: FileTask[]): Promise<StepOutcome> {
  const started = Date.now();
  let todo = tasks;
  for (let round = 1; ; round++) {
    const results = await Promise.all(todo.map((task) => transferStep(rt, at, task)));
    const failed = results.find(isFailure);
    if (failed) return failScan(rt, at, scanId, failed, started);
    const outcome = await createStep(rt, at, scanId, row);
    if (outcome !== 'reupload') return outcome;
    if (round >= UPLOAD_ROUNDS) return failScan(rt, at, scanId, { stage: 'create', error: purgedAgain(scanId) }, started);
    todo = allFiles(scanId, row);
  }
}

function allFiles(scanId: number, row: ScanWithFiles): FileTask[] {
  return row.files.map((f, index) => ({ scanId, index, fileId: f.fileId, fileType: f.fileType }));
}

function purgedAgain(scanId: number): ScanCopyError {
  return new ScanCopyError('BAD_REQUEST', `scan ${scanId}: the target purged its uploaded files again before the create`, { hint: 'The target deletes unused uploads quickly; resume to upload them once more.' });
}

async function barrierAttempt(rt: Runtime, at: Attempt, scans: Array<{ id: number; row: ScanWithFiles; tasks: FileTask[] }>): Promise<void> {
  const started = Date.now();
  const failures = new Map<number, StepFailure>();
  const tasks = scans.flatMap((s) => s.tasks);
  const downloads = await Promise.all(tasks.map(async (task) => ({ task, file: await downloadStep(rt, at, task) })));
  const uploads = await Promise.all(
    downloads.map(async ({ task, file }) => {
      if (isFailure(file)) return { task, result: file };
      let result: number | StepFailure | undefined;
      try {
        result = await uploadStep(rt, at, task, file);
        return { task, result };
      } finally {
        await file.release(typeof result === 'number');
      }
    }),
  );
  for (const { task, result } of uploads) if (isFailure(result) && !failures.has(task.scanId)) failures.set(task.scanId, result);
  await Promise.all(
    scans.map((s) => {
      const failure = failures.get(s.id);
      if (failure) return failScan(rt, at, s.id, failure, started);
      // Uploads purged before their create: this scan goes through upload and create again on its own.
      return createStep(rt, at, s.id, s.row).then((outcome) => (outcome === 'reupload' ? pipelinedScan(rt, at, s.id, s.row, allFiles(s.id, s.row)) : outcome));
    }),
  );
}

function newAttempt(rt: Runtime, batch: Batch, attempt: number, signals: { calls: AbortSignal; deadline: AbortSignal }, ledger: BatchLedger, window: Window): Attempt {
  const started = new Set<Stage>();
  return {
    batch: batch.number,
    attempt,
    signal: signals.calls,
    createSignal: signals.deadline,
    deadlineHit: () => signals.deadline.aborted,
    progress: byStage(() => ({ ok: 0, failed: 0, total: 0 })),
    startStage(stage) {
      if (started.has(stage)) return;
      started.add(stage);
      rt.emit({ type: 'stage-start', batch: batch.number, stage, items: this.progress[stage].total, attempt });
    },
    mark: (stage, key, ok) => ledger.mark(stage, key, ok),
    settling: (on) => (on ? window.leave(1) : window.enter(1)),
    storePlanograms: new Map(),
  };
}

/** Scans in flight, and the admission of the next batch while they stay under the limit. */
class Window {
  #inFlight = 0;
  #waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  async admit(size: number, stop: AbortSignal): Promise<void> {
    while (this.#inFlight > 0 && this.#inFlight + size > this.limit && !stop.aborted) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          stop.removeEventListener('abort', wake);
          resolve();
        };
        this.#waiters.push(wake);
        stop.addEventListener('abort', wake, { once: true });
      });
    }
  }

  enter(size: number): void {
    this.#inFlight += size;
  }

  leave(size: number): void {
    this.#inFlight -= size;
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
