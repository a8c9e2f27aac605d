/**
 * Asynchronous processing of created scans, as the platform does it: a scan is picked up
 * `delayMs` after its creation (`created` -> `progress`), recognised (scan-recognition.ts)
 * and its result written (recognition.ts, `done`), a few at a time so that processing never
 * starves the API. A share of scans (`errorRate`) ends in `error` or `interrupted` with no
 * realogram and no report, as processing on a real instance sometimes does; the draw is keyed
 * by the scan's images, like recognition's, so the same copy fails the same way whatever id
 * the target gave it (a pipelined copy creates scans in no fixed order).
 */
import type { Db } from '../platform/db.js';
import { Semaphore } from '../core/semaphore.js';
import { createRandom, hashSeed } from './random.js';
import { writeProcessingResult } from './recognition.js';
import { recogniseScan, type RecognitionOptions } from './scan-recognition.js';

export interface ProcessorOptions extends RecognitionOptions {
  db: Db;
  /** Time from creation to processing. */
  delayMs: number;
  /** Scans processed at once. @default 2 */
  concurrency?: number;
  /** Share of scans whose processing fails (`error`, or about one in three `interrupted`), 0 to 1. @default 0 */
  errorRate?: number;
  log(line: string): void;
}

export class Processor {
  readonly #pending = new Set<number>();
  readonly #timers = new Map<number, NodeJS.Timeout>();
  readonly #ready: number[] = [];
  readonly #idleWaiters: Array<() => void> = [];
  readonly #inFlight = new Set<Promise<void>>();
  /**
   * Results are written one scan at a time: a majority-v2 log row carries the previous row's
   * scans forward, and two concurrent writers on PostgreSQL would each miss the other's.
   */
  readonly #writeLock = new Semaphore(1, 'database lock');
  #closed = false;

  constructor(private readonly options: ProcessorOptions) {}

  /** Queues a scan for processing after the delay. */
  schedule(scanId: number): void {
    if (this.#closed || this.#pending.has(scanId)) return;
    this.#pending.add(scanId);
    const timer = setTimeout(() => {
      this.#timers.delete(scanId);
      this.#ready.push(scanId);
      this.#pump();
    }, this.options.delayMs);
    this.#timers.set(scanId, timer);
  }

  /** Scans left unprocessed by an earlier run (a restart on the same database). */
  async resumePending(): Promise<number> {
    const rows = await this.options.db.query<{ id: number }>(
      "SELECT id FROM realograms_implementation_scan WHERE status IN ('created', 'progress') ORDER BY id",
    );
    for (const row of rows) this.schedule(row.id);
    return rows.length;
  }

  /** Resolves once no scan is waiting or being processed. */
  idle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops picking up scans and waits for those in progress; unprocessed ones stay 'created' or 'progress'. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [scanId, timer] of this.#timers) {
      clearTimeout(timer);
      this.#pending.delete(scanId);
    }
    this.#timers.clear();
    for (const scanId of this.#ready.splice(0)) this.#pending.delete(scanId);
    await Promise.all(this.#inFlight);
    this.#notifyIdle();
  }

  #pump(): void {
    const limit = this.options.concurrency ?? 2;
    while (!this.#closed && this.#inFlight.size < limit && this.#ready.length > 0) {
      const scanId = this.#ready.shift() as number;
      const work: Promise<void> = this.#process(scanId).finally(() => {
        this.#inFlight.delete(work);
        this.#pending.delete(scanId);
        this.#notifyIdle();
        this.#pump();
      });
      this.#inFlight.add(work);
    }
  }

  async #process(scanId: number): Promise<void> {
    const { db, misMapRate, seed, log } = this.options;
    try {
      await db.query("UPDATE realograms_implementation_scan SET status = 'progress' WHERE id = $1 AND status = 'created'", [scanId]);
      const failure = processingFailure(seed, await imagesKey(db, scanId), this.options.errorRate ?? 0);
      if (failure) {
        await db.query('UPDATE realograms_implementation_scan SET status = $2 WHERE id = $1', [scanId, failure]);
        return;
      }
      const result = await recogniseScan(db, scanId, { misMapRate, seed });
      if (result) await this.#writeLock.run(() => writeProcessingResult(db, result));
    } catch (err) {
      log(`sandbox: processing scan ${scanId} failed: ${(err as Error).stack ?? String(err)}`);
      // Off the pending list for good: a scan that cannot be processed must not hang waiters.
      await db.query("UPDATE realograms_implementation_scan SET status = 'error' WHERE id = $1", [scanId]).catch(() => undefined);
    }
  }

  #notifyIdle(): void {
    if (this.#pending.size > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}

/** Whether a scan's processing fails, and how: the same answer for the same seed and images. */
export function processingFailure(seed: number, images: string, rate: number): 'error' | 'interrupted' | undefined {
  if (rate <= 0) return undefined;
  const random = createRandom(hashSeed(seed, 'processing-failure', images));
  if (!random.chance(rate)) return undefined;
  return random.chance(1 / 3) ? 'interrupted' : 'error';
}

/** The scan's files' sha256s in scan order (its id when it has none): what the failure draw is keyed by. */
async function imagesKey(db: Db, scanId: number): Promise<string> {
  const [row] = await db.query<{ key: string | null }>(
    `SELECT string_agg(f.sha256, ',' ORDER BY sf.id) AS key
       FROM realograms_implementation_scanfile sf JOIN sandbox_fileupload f ON f.id = sf.file_id
      WHERE sf.scan_id = $1`,
    [scanId],
  );
  return row?.key ?? `scan-${scanId}`;
}
