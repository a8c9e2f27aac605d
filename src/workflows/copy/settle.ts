/**
 * The commit horizon. A create whose outcome is unknown may still be committed: a gateway
 * answers 504 while the backend finishes, a client times out first, a read replica lags. So
 * "not in the target DB yet" means "not known" until the horizon (counted from when the
 * create was sent) has passed; only a look made after it is an answer. Until then the scan
 * is settling: it holds no worker, and the pipeline admits other batches meanwhile.
 */
import { sleep } from '../../core/sleep.js';
import type { Attempt, Runtime } from './runtime.js';
import { findCreatedScan, type Reconciled } from './reconcile.js';

export type Settled = Reconciled | { kind: 'stopped' };

/** Looks for the intent's scan until it is found, or a look after the horizon finds none. */
export async function settleIntent(rt: Runtime, at: Attempt, scanId: number, files: readonly number[], sentAt: number, firstWaitMs: number): Promise<Settled> {
  const horizonAt = sentAt + rt.commitHorizonMs;
  let wait = firstWaitMs;
  let announced = false;
  let leftWindow = false;
  try {
    for (;;) {
      // The first wait is not cut short by a stop: a late commit gets its time to show.
      const signals = announced ? [at.createSignal, rt.stop] : [at.createSignal];
      if (wait > 0 && !(await pause(wait, ...signals))) return { kind: 'stopped' };
      const lookedAt = Date.now();
      const found = await findCreatedScan(rt.target.db, files);
      if (found.kind !== 'absent' || lookedAt >= horizonAt) return found;
      if (rt.stop.aborted || at.createSignal.aborted) return { kind: 'stopped' };
      if (!announced) {
        announced = true;
        rt.emit({ type: 'settling', batch: at.batch, scanId, attempt: at.attempt, horizonInMs: horizonAt - lookedAt });
        at.settling(true);
        leftWindow = true;
      }
      rt.crashPoint('while-settling');
      wait = Math.min(pollInterval(rt.commitHorizonMs), Math.max(0, horizonAt - Date.now()));
    }
  } finally {
    if (leftWindow) at.settling(false);
  }
}

/** Often enough to adopt a late scan soon after it lands, rarely enough to leave the DB alone. */
function pollInterval(horizonMs: number): number {
  return Math.min(2000, Math.max(100, Math.round(horizonMs / 20)));
}

/** Waits `ms`; false when one of the signals aborts first. */
async function pause(ms: number, ...signals: AbortSignal[]): Promise<boolean> {
  if (signals.some((s) => s.aborted)) return false;
  const link = new AbortController();
  const stop = (): void => link.abort();
  for (const s of signals) s.addEventListener('abort', stop, { once: true });
  try {
    await sleep(ms, link.signal);
    return true;
  } catch {
    return false;
  } finally {
    for (const s of signals) s.removeEventListener('abort', stop);
  }
}
