/**
 * Download scan images into one folder (platform.md section 7), resumable and byte-exact.
 *
 * Files download concurrently across the whole run (`workers`); batches of scans are the unit
 * of logging only, so a batch never waits for the previous one's slowest file. Each file goes
 * to a temporary name and is renamed once complete; `manifest.csv` records size and sha256 so
 * a re-run skips what is complete and fetches the rest.
 */
import { setMaxListeners } from 'node:events';
import { resolve } from 'node:path';
import { RUN_DEFAULTS } from '../core/defaults.js';
import { ScanCopyError } from '../core/errors.js';
import { Semaphore } from '../core/semaphore.js';
import { ensureWritableDir } from '../core/writable-dir.js';
import type { Instance } from '../platform/instance.js';
import type { RunContext } from './context.js';
import { BatchRun, type BatchDeps } from './download/batch.js';
import type { DownloadedFile, DownloadEvent, DownloadFailure } from './download/events.js';
import { entryKey, fetchFile, removeLeftovers, type FileOutcome } from './download/fetch-file.js';
import { ManifestWriter, readManifest } from './download/manifest.js';
import { MetaAhead } from './download/meta-ahead.js';
import { planBatch, type BatchPlan, type ScanProblem } from './download/plan.js';

export type { BatchCounts, DownloadedFile, DownloadEvent, DownloadFailure } from './download/events.js';
export type { ScanProblem } from './download/plan.js';
export { planDownload, type DownloadPlan } from './download/plan.js';

export interface DownloadOptions {
  /** The source instance: scans and section names from its read-only database, bytes through its API (retries, timeouts, expired-URL refresh). */
  source: Pick<Instance, 'api' | 'db'>;
  /** Scans whose images to download, in this order; repeats are ignored. */
  scanIds: readonly number[];
  /** @default './downloaded_images' */
  outDir?: string;
  /** Scans per batch: the unit of the `[BATCH]` log, not a barrier. @default 10 */
  batchSize?: number;
  /** Files downloading at once, across batches. @default 20 */
  workers?: number;
  /** Further rounds for a batch's failed files, after the client's own retries gave up. @default 3 */
  retryRounds?: number;
  /** Wait before retry round n: `retryDelayMs * n` (the seed's 5 s x attempt). @default 5000 */
  retryDelayMs?: number;
}

export const DOWNLOAD_DEFAULTS = {
  outDir: './downloaded_images',
  batchSize: RUN_DEFAULTS.batchSize,
  workers: RUN_DEFAULTS.limits.download,
  retryRounds: 3,
  retryDelayMs: 5000,
} as const;

export interface DownloadResult {
  /** Absolute path of the folder. */
  outDir: string;
  manifestPath: string;
  scans: number;
  batches: number;
  files: DownloadedFile[];
  downloaded: number;
  skipped: number;
  /** Files and scans that failed; any of them fails the run. */
  failures: DownloadFailure[];
  /** Scans with nothing to download (no files), with the reason. */
  skippedScans: ScanProblem[];
  /** Bytes downloaded in this run (skipped files not counted). */
  bytes: number;
  elapsedMs: number;
  /** Temporary files of an earlier, killed run that were removed. */
  leftoversRemoved: number;
  /** Set when the run was stopped (the caller's signal) before its end: the complete files are kept, and the same download again fetches the rest. */
  stopped?: 'interrupted';
}

export async function downloadScanImages(options: DownloadOptions, ctx: RunContext<DownloadEvent> = {}): Promise<DownloadResult> {
  const started = Date.now();
  const opts = resolveOptions(options);
  const { outDir, scanIds, batchSize, workers } = opts;
  const emit = (event: DownloadEvent): void => ctx.onEvent?.(event);

  // With explicit scan ids nothing has read the source DB yet: down or refusing is one error, now.
  await opts.source.db.query('SELECT 1');
  await ensureWritableDir(outDir, 'download folder', 'Give a folder you can write to with --out.');
  const leftoversRemoved = await removeLeftovers(outDir);
  const existing = await readManifest(outDir);
  const manifest = new ManifestWriter(outDir, existing);
  const batches = chunk(scanIds, batchSize);
  const result: DownloadResult = {
    outDir, manifestPath: manifest.path, scans: scanIds.length, batches: batches.length, files: [], downloaded: 0, skipped: 0,
    failures: [], skippedScans: [], bytes: 0, elapsedMs: 0, leftoversRemoved,
  };
  emit({ type: 'download-start', outDir, scans: scanIds.length, batches: batches.length, batchSize, workers, leftoversRemoved });

  // Our own controller, so that a failure to plan a batch can stop the files already in flight.
  const stop = new AbortController();
  // Every file in flight listens on it: as many listeners as workers is expected, not a leak.
  setMaxListeners(0, stop.signal);
  const forward = (): void => stop.abort(ctx.signal?.reason);
  if (ctx.signal?.aborted) forward();
  ctx.signal?.addEventListener('abort', forward, { once: true });
  const previous = new Map(existing.map((e) => [entryKey(e), e]));
  const metaAhead = new MetaAhead(opts.source.api, stop.signal);
  const planned = (ids: readonly number[]): Promise<BatchPlan> =>
    planBatch(opts.source.db, ids).then((plan) => {
      metaAhead.start(plan.tasks, previous);
      return plan;
    });
  const deps: BatchDeps = {
    slots: new Semaphore(workers, 'download workers'),
    fetch: (task) => fetchFile(task, { dir: outDir, api: opts.source.api, manifest, previous, metaAhead, signal: stop.signal }),
    emit,
    settled: (_task, outcome) => record(result, outcome),
    retryRounds: opts.retryRounds,
    retryDelayMs: opts.retryDelayMs,
    signal: stop.signal,
  };
  try {
    await runBatches(batches, planned, opts, deps, result, stop);
  } finally {
    ctx.signal?.removeEventListener('abort', forward);
  }
  await manifest.compact();
  result.elapsedMs = Date.now() - started;
  if (stop.signal.aborted) result.stopped = 'interrupted';
  result.files.sort((a, b) => a.scanId - b.scanId || (a.fileName < b.fileName ? -1 : 1));
  return result;
}

/**
 * Plans and queues batch after batch (a batch waits only for free slots), then waits for all
 * to settle. The next batch is planned while this one queues, so its files' metadata is
 * resolving by the time slots free up for them.
 */
async function runBatches(
  batches: readonly number[][],
  planOf: (ids: readonly number[]) => Promise<BatchPlan>,
  opts: Required<DownloadOptions>,
  deps: BatchDeps,
  result: DownloadResult,
  stop: AbortController,
): Promise<void> {
  const [firstBatch] = batches;
  if (!firstBatch) return;
  const finished: Array<Promise<void>> = [];
  const planAhead = (ids: readonly number[]): Promise<BatchPlan> => {
    const planning = planOf(ids);
    // A failure is thrown when the loop reaches this batch, not as an unhandled rejection before.
    planning.catch(() => undefined);
    return planning;
  };
  let next = planAhead(firstBatch);
  try {
    for (const [index, ids] of batches.entries()) {
      if (stop.signal.aborted) break;
      const batch = index + 1;
      const first = index * opts.batchSize + 1;
      deps.emit({ type: 'batch-start', batch, batches: batches.length, first, last: first + ids.length - 1, scans: opts.scanIds.length, scanIds: [...ids] });
      const plan = await next;
      const following = batches[index + 1];
      if (following) next = planAhead(following);
      for (const problem of plan.problems) {
        deps.emit({ type: 'scan-problem', batch, scanId: problem.scanId, kind: problem.kind, reason: problem.reason });
        if (problem.kind === 'no-files') result.skippedScans.push(problem);
        else result.failures.push({ scanId: problem.scanId, code: 'NOT_FOUND', reason: problem.reason });
      }
      deps.emit({ type: 'batch-files', batch, files: plan.tasks.length });
      const run = await new BatchRun({ batch, batches: batches.length }, ids, plan, deps).queue();
      finished.push(run.finished);
    }
  } catch (err) {
    stop.abort(err);
    await Promise.allSettled(finished);
    throw err;
  }
  await Promise.all(finished);
}

function record(result: DownloadResult, outcome: FileOutcome | DownloadFailure): void {
  if ('code' in outcome) {
    result.failures.push(outcome);
    return;
  }
  const { entry, kind } = outcome;
  result.files.push({ scanId: entry.scanId, fileId: entry.fileId, fileName: entry.fileName, bytes: entry.bytes, sha256: entry.sha256, outcome: kind });
  if (kind === 'downloaded') {
    result.downloaded += 1;
    result.bytes += entry.bytes;
  } else {
    result.skipped += 1;
  }
}

function resolveOptions(options: DownloadOptions): Required<DownloadOptions> {
  const resolved = {
    source: options.source,
    scanIds: [...new Set(options.scanIds)],
    outDir: resolve(options.outDir ?? DOWNLOAD_DEFAULTS.outDir),
    batchSize: options.batchSize ?? DOWNLOAD_DEFAULTS.batchSize,
    workers: options.workers ?? DOWNLOAD_DEFAULTS.workers,
    retryRounds: options.retryRounds ?? DOWNLOAD_DEFAULTS.retryRounds,
    retryDelayMs: options.retryDelayMs ?? DOWNLOAD_DEFAULTS.retryDelayMs,
  };
  const checks: Array<[string, number, number]> = [
    ['batchSize', resolved.batchSize, 1],
    ['workers', resolved.workers, 1],
    ['retryRounds', resolved.retryRounds, 0],
    ['retryDelayMs', resolved.retryDelayMs, 0],
  ];
  for (const [name, value, min] of checks) {
    if (!Number.isSafeInteger(value) || value < min) throw new ScanCopyError('USAGE', `Expected ${name} to be a whole number >= ${min}, got ${String(value)}`);
  }
  for (const id of resolved.scanIds) {
    if (!Number.isSafeInteger(id) || id < 1) throw new ScanCopyError('USAGE', `Expected scan ids to be whole numbers >= 1, got ${String(id)}`);
  }
  return resolved;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
