/**
 * Download scan images into one folder (platform.md section 7), resumable and byte-exact.
 *
 * Files download concurrently across the whole run (`workers`); batches of scans are the unit
 * of logging only, so a batch never waits for the previous one's slowest file. Each file goes
 * to a temporary name and is renamed once complete; `manifest.csv` records size and sha256 so
 * a re-run skips what is complete and fetches the rest.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errorCodeOf, ScanCopyError, type ErrorCode } from '../core/errors.js';
import { redactText } from '../core/redact.js';
import type { Instance } from '../platform/instance.js';
import type { RunContext } from './context.js';
import { entryKey, fetchFile, removeLeftovers, type FileTask } from './download/fetch-file.js';
import { ManifestWriter, readManifest } from './download/manifest.js';
import { planBatch, type ScanProblem } from './download/plan.js';
import { Slots } from './download/slots.js';

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
}

export const DOWNLOAD_DEFAULTS = {
  outDir: './downloaded_images',
  batchSize: 10,
  workers: 20,
} as const;

export interface DownloadedFile {
  scanId: number;
  fileId: number;
  fileName: string;
  bytes: number;
  sha256: string;
  outcome: 'downloaded' | 'skipped';
}

export interface DownloadFailure {
  scanId: number;
  /** Absent when the whole scan failed (not found). */
  fileId?: number;
  code: ErrorCode;
  reason: string;
}

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
}

interface BatchCounts {
  batch: number;
  batches: number;
  files: number;
  done: number;
  downloaded: number;
  skipped: number;
  failedFiles: number;
}

export type DownloadEvent =
  | { type: 'download-start'; outDir: string; scans: number; batches: number; batchSize: number; workers: number; leftoversRemoved: number }
  | { type: 'batch-start'; batch: number; batches: number; first: number; last: number; scans: number; scanIds: number[] }
  | { type: 'batch-files'; batch: number; files: number }
  | { type: 'scan-problem'; batch: number; scanId: number; kind: ScanProblem['kind']; reason: string }
  | ({ type: 'file-done'; scanId: number; fileId: number; fileName: string; bytes: number; outcome: 'downloaded' | 'skipped' } & BatchCounts)
  | ({ type: 'file-failed'; scanId: number; fileId: number; code: ErrorCode; reason: string } & BatchCounts)
  /** Scans: `succeeded` have every file on disk, `skippedScans` had none, `failed` were not found or lost a file. */
  | { type: 'batch-done'; batch: number; batches: number; succeeded: number; failed: number; skippedScans: number; downloaded: number; skipped: number; failedFiles: number };

export async function downloadScanImages(options: DownloadOptions, ctx: RunContext<DownloadEvent> = {}): Promise<DownloadResult> {
  const started = Date.now();
  const { source, scanIds, outDir, batchSize, workers } = resolveOptions(options);
  const emit = (event: DownloadEvent): void => ctx.onEvent?.(event);
  const signal = ctx.signal;

  await mkdir(outDir, { recursive: true });
  const leftoversRemoved = await removeLeftovers(outDir);
  const existing = await readManifest(outDir);
  const manifest = new ManifestWriter(outDir, existing);
  const fetchCtx = { dir: outDir, api: source.api, manifest, previous: new Map(existing.map((e) => [entryKey(e), e])), signal };

  const batches = chunk(scanIds, batchSize);
  const result: DownloadResult = {
    outDir, manifestPath: manifest.path, scans: scanIds.length, batches: batches.length, files: [], downloaded: 0, skipped: 0,
    failures: [], skippedScans: [], bytes: 0, elapsedMs: 0, leftoversRemoved,
  };
  emit({ type: 'download-start', outDir, scans: scanIds.length, batches: batches.length, batchSize, workers, leftoversRemoved });

  const slots = new Slots(workers);
  const running = new Set<Promise<void>>();
  for (const [index, ids] of batches.entries()) {
    if (signal?.aborted) break;
    const batch = index + 1;
    const first = index * batchSize + 1;
    emit({ type: 'batch-start', batch, batches: batches.length, first, last: first + ids.length - 1, scans: scanIds.length, scanIds: [...ids] });
    const plan = await planBatch(source.db, ids);
    for (const problem of plan.problems) {
      emit({ type: 'scan-problem', batch, scanId: problem.scanId, kind: problem.kind, reason: problem.reason });
      if (problem.kind === 'no-files') result.skippedScans.push(problem);
      else result.failures.push({ scanId: problem.scanId, code: 'NOT_FOUND', reason: problem.reason });
    }
    emit({ type: 'batch-files', batch, files: plan.tasks.length });
    const tracker = new BatchTracker(batch, batches.length, ids, plan, emit);
    for (const task of plan.tasks) {
      await slots.acquire();
      if (signal?.aborted) {
        slots.release();
        break;
      }
      const job = runTask(task, tracker).finally(() => {
        slots.release();
        running.delete(job);
      });
      running.add(job);
    }
    tracker.sealed();
  }

  async function runTask(task: FileTask, tracker: BatchTracker): Promise<void> {
    try {
      const { kind, entry } = await fetchFile(task, fetchCtx);
      result.files.push({ scanId: entry.scanId, fileId: entry.fileId, fileName: entry.fileName, bytes: entry.bytes, sha256: entry.sha256, outcome: kind });
      if (kind === 'downloaded') {
        result.downloaded += 1;
        result.bytes += entry.bytes;
      } else {
        result.skipped += 1;
      }
      tracker.fileDone(task, entry.fileName, entry.bytes, kind);
    } catch (err) {
      if (signal?.aborted) return;
      const code = errorCodeOf(err);
      const reason = describe(err);
      result.failures.push({ scanId: task.scanId, fileId: task.fileId, code, reason });
      tracker.fileFailed(task, code, reason);
    }
  }

  await Promise.all(running);
  await manifest.flush();
  result.elapsedMs = Date.now() - started;
  if (signal?.aborted) {
    throw new ScanCopyError('ABORTED', `download stopped: ${result.downloaded + result.skipped} files complete`, {
      hint: 'Run the same command again: complete files are skipped, the rest are downloaded.',
      context: { outDir },
    });
  }
  result.files.sort((a, b) => a.scanId - b.scanId || (a.fileName < b.fileName ? -1 : 1));
  return result;
}

/** Counts one batch's files as they finish, in any order, and reports the batch once all are in. */
class BatchTracker {
  readonly #counts: BatchCounts;
  readonly #failedScans = new Set<number>();
  readonly #emptyScans: number;
  #sealed = false;
  #reported = false;

  constructor(
    batch: number,
    batches: number,
    private readonly scanIds: readonly number[],
    plan: { tasks: readonly FileTask[]; problems: readonly ScanProblem[] },
    private readonly emit: (event: DownloadEvent) => void,
  ) {
    this.#counts = { batch, batches, files: plan.tasks.length, done: 0, downloaded: 0, skipped: 0, failedFiles: 0 };
    for (const p of plan.problems) if (p.kind === 'not-found') this.#failedScans.add(p.scanId);
    this.#emptyScans = plan.problems.filter((p) => p.kind === 'no-files').length;
  }

  fileDone(task: FileTask, fileName: string, bytes: number, outcome: 'downloaded' | 'skipped'): void {
    this.#counts.done += 1;
    this.#counts[outcome] += 1;
    this.emit({ type: 'file-done', scanId: task.scanId, fileId: task.fileId, fileName, bytes, outcome, ...this.#counts });
    this.#maybeDone();
  }

  fileFailed(task: FileTask, code: ErrorCode, reason: string): void {
    this.#counts.done += 1;
    this.#counts.failedFiles += 1;
    this.#failedScans.add(task.scanId);
    this.emit({ type: 'file-failed', scanId: task.scanId, fileId: task.fileId, code, reason, ...this.#counts });
    this.#maybeDone();
  }

  /** All of the batch's files are queued (or the run was stopped): it may now be reported. */
  sealed(): void {
    this.#sealed = true;
    this.#maybeDone();
  }

  #maybeDone(): void {
    const c = this.#counts;
    if (!this.#sealed || this.#reported || c.done < c.files) return;
    this.#reported = true;
    const failed = this.#failedScans.size;
    this.emit({
      type: 'batch-done', batch: c.batch, batches: c.batches, succeeded: this.scanIds.length - failed - this.#emptyScans, failed, skippedScans: this.#emptyScans,
      downloaded: c.downloaded, skipped: c.skipped, failedFiles: c.failedFiles,
    });
  }
}

function resolveOptions(options: DownloadOptions): Required<DownloadOptions> {
  const batchSize = options.batchSize ?? DOWNLOAD_DEFAULTS.batchSize;
  const workers = options.workers ?? DOWNLOAD_DEFAULTS.workers;
  for (const [name, value] of [['batchSize', batchSize], ['workers', workers]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ScanCopyError('USAGE', `Expected ${name} to be a whole number >= 1, got ${String(value)}`);
    }
  }
  for (const id of options.scanIds) {
    if (!Number.isSafeInteger(id) || id < 1) throw new ScanCopyError('USAGE', `Expected scan ids to be whole numbers >= 1, got ${String(id)}`);
  }
  return {
    source: options.source,
    scanIds: [...new Set(options.scanIds)],
    outDir: resolve(options.outDir ?? DOWNLOAD_DEFAULTS.outDir),
    batchSize,
    workers,
  };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return redactText(message);
}
