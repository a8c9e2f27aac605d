/**
 * One batch of a download run: its files go into the run's shared worker slots as soon as
 * slots are free (no barrier between batches), its failed files get further rounds (the
 * seed's batch retry, for the failed items only), and it is reported once all are settled.
 */
import { classify } from '../../core/failure.js';
import type { Semaphore } from '../../core/semaphore.js';
import { sleep } from '../../core/sleep.js';
import { redactText } from '../../core/redact.js';
import type { BatchCounts, DownloadEvent, DownloadFailure } from './events.js';
import type { FileOutcome, FileTask } from './fetch-file.js';
import type { BatchPlan } from './plan.js';

export interface BatchDeps {
  slots: Semaphore;
  fetch: (task: FileTask) => Promise<FileOutcome>;
  emit: (event: DownloadEvent) => void;
  /** A file's final outcome, once. */
  settled: (task: FileTask, outcome: FileOutcome | DownloadFailure) => void;
  /** Further rounds for a batch's failed files. */
  retryRounds: number;
  /** Wait before round n: `retryDelayMs * n`. */
  retryDelayMs: number;
  signal?: AbortSignal;
}

interface Attempt {
  task: FileTask;
  again: boolean;
}

export class BatchRun {
  readonly #counts: BatchCounts;
  readonly #failedScans = new Set<number>();
  readonly #emptyScans: number;

  constructor(
    info: { batch: number; batches: number },
    private readonly scanIds: readonly number[],
    private readonly plan: BatchPlan,
    private readonly deps: BatchDeps,
  ) {
    this.#counts = { ...info, files: plan.tasks.length, done: 0, downloaded: 0, skipped: 0, failedFiles: 0 };
    for (const p of plan.problems) if (p.kind === 'not-found') this.#failedScans.add(p.scanId);
    this.#emptyScans = plan.problems.filter((p) => p.kind === 'no-files').length;
  }

  /** Queues the batch's files, waiting for free slots; `finished` settles when the batch is over, retries included. */
  async queue(): Promise<{ finished: Promise<void> }> {
    const jobs = await this.#schedule(this.plan.tasks, 1);
    return { finished: this.#finish(jobs) };
  }

  async #schedule(tasks: readonly FileTask[], round: number): Promise<Array<Promise<Attempt>>> {
    const { slots, signal } = this.deps;
    const jobs: Array<Promise<Attempt>> = [];
    for (const task of tasks) {
      const release = await slots.acquire();
      if (signal?.aborted) {
        release();
        break;
      }
      jobs.push(this.#attempt(task, round).finally(release));
    }
    return jobs;
  }

  async #attempt(task: FileTask, round: number): Promise<Attempt> {
    const { deps } = this;
    try {
      const outcome = await deps.fetch(task);
      deps.settled(task, outcome);
      this.#counts.done += 1;
      this.#counts[outcome.kind] += 1;
      const { entry } = outcome;
      deps.emit({ type: 'file-done', scanId: task.scanId, fileId: task.fileId, fileName: entry.fileName, bytes: entry.bytes, outcome: outcome.kind, ...this.#counts });
      return { task, again: false };
    } catch (err) {
      if (deps.signal?.aborted) return { task, again: false };
      const { code, retryItem } = classify(err);
      if (round <= deps.retryRounds && retryItem) return { task, again: true };
      const reason = redactText(err instanceof Error ? err.message : String(err));
      deps.settled(task, { scanId: task.scanId, fileId: task.fileId, code, reason });
      this.#counts.done += 1;
      this.#counts.failedFiles += 1;
      this.#failedScans.add(task.scanId);
      deps.emit({ type: 'file-failed', scanId: task.scanId, fileId: task.fileId, code, reason, ...this.#counts });
      return { task, again: false };
    }
  }

  async #finish(jobs: Array<Promise<Attempt>>): Promise<void> {
    const { deps } = this;
    let attempts = await Promise.all(jobs);
    for (let round = 1; !deps.signal?.aborted; round++) {
      const again = attempts.filter((a) => a.again).map((a) => a.task);
      if (again.length === 0) break;
      const delayMs = deps.retryDelayMs * round;
      deps.emit({ type: 'batch-retry', batch: this.#counts.batch, batches: this.#counts.batches, round, rounds: deps.retryRounds, files: again.length, delayMs });
      await sleep(delayMs, deps.signal).catch(() => undefined);
      attempts = await Promise.all(await this.#schedule(again, round + 1));
    }
    if (deps.signal?.aborted) return;
    const c = this.#counts;
    const failed = this.#failedScans.size;
    deps.emit({
      type: 'batch-done', batch: c.batch, batches: c.batches, succeeded: this.scanIds.length - failed - this.#emptyScans, failed,
      skippedScans: this.#emptyScans, downloaded: c.downloaded, skipped: c.skipped, failedFiles: c.failedFiles,
    });
  }
}
