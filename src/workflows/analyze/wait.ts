/**
 * Waiting, bounded, until fresh copies are processed: the platform processes a created
 * scan asynchronously, and comparing before that would report every copy as wrong. A scan
 * stops being waited for once it is `done` or in a failed state (it will not change any
 * more), or when it does not exist at all (waiting will not make it appear).
 */
import { sleep } from '../../core/sleep.js';
import type { Queryable } from '../../platform/db.js';
import { selectScanStates } from '../../platform/queries.js';
import { processingOutcome } from '../../platform/scan-status.js';

export interface WaitProgress {
  total: number;
  /** `done` with a report. */
  processed: number;
  /** Settled without a report: processing failed (`error`, `interrupted`), or done with nothing recognised. */
  failed: number;
  /** Not in the database. */
  missing: number;
  /** Still processing. */
  pending: number;
  elapsedMs: number;
}

export interface WaitOptions {
  /** Upper bound; 0 checks once. */
  waitMs: number;
  /** Time between checks. */
  pollMs: number;
  signal?: AbortSignal;
  /** After every check. */
  onProgress?: (progress: WaitProgress) => void;
}

export interface WaitOutcome extends WaitProgress {
  /** Ids still processing when the wait ended. */
  pendingIds: number[];
  timedOut: boolean;
}

export async function waitForProcessing(db: Queryable, ids: readonly number[], options: WaitOptions): Promise<WaitOutcome> {
  const started = Date.now();
  const unique = [...new Set(ids)];
  for (;;) {
    const outcome = await checkOnce(db, unique, started);
    const { pendingIds: _ids, timedOut: _timedOut, ...progress } = outcome;
    options.onProgress?.(progress);
    if (outcome.pending === 0) return outcome;
    const left = options.waitMs - (Date.now() - started);
    if (left <= 0) return { ...outcome, timedOut: true };
    try {
      await sleep(Math.min(options.pollMs, left), options.signal);
    } catch (err) {
      // A stop ends the wait as its end would: the caller reports the copies as they are now.
      if (options.signal?.aborted) return outcome;
      throw err;
    }
  }
}

async function checkOnce(db: Queryable, ids: readonly number[], started: number): Promise<WaitOutcome> {
  const states = await selectScanStates(db, ids);
  let processed = 0;
  let failed = 0;
  const pendingIds: number[] = [];
  for (const state of states) {
    const outcome = processingOutcome(state.status, state.hasReport);
    if (outcome === 'processed') processed++;
    else if (outcome === 'pending') pendingIds.push(state.id);
    else failed++;
  }
  return {
    total: ids.length,
    processed,
    failed,
    missing: ids.length - states.length,
    pending: pendingIds.length,
    pendingIds,
    elapsedMs: Date.now() - started,
    timedOut: false,
  };
}
