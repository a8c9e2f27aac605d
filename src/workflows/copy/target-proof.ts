/**
 * The guarantee's one assumption made a check, and a gate: the target DB is the target API's
 * own. The first scan the API creates in a run must show in that DB, with the files it was
 * created from, within the commit horizon. Until it does, that create (or the settling of an
 * earlier intent) is the only one in flight: every other scan waits at the gate before it
 * sends a create or settles a lost answer against the DB. If the scan never shows, the run
 * stops (its state saved) and fails with exit 2 having made that one scan. Against another
 * instance's database, lost answers would be settled by scans that are not ours: adopted
 * wrongly, or created twice.
 */
import { ScanCopyError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import type { Queryable } from '../../platform/db.js';
import { selectScansByFileIds } from '../../platform/queries.js';

/** `probe`: this scan's create may be the run's first; `open`: the DB is proven (or there is none). */
export type GateTurn = 'probe' | 'open';

export class TargetDbProof {
  readonly #db: Queryable | undefined;
  readonly #horizonMs: number;
  readonly #signal: AbortSignal;
  readonly #onFail: () => void;
  #state: 'unproven' | 'proving' | 'proven' | 'failed';
  #probeHeld = false;
  #failure: ScanCopyError | undefined;
  #done: Promise<void> = Promise.resolve();
  #changed = changeSignal();

  /** Without a DB there is nothing to prove and the gate is open; `onFail` stops the run. */
  constructor(db: Queryable | undefined, horizonMs: number, signal: AbortSignal, onFail: () => void) {
    this.#db = db;
    this.#horizonMs = horizonMs;
    this.#signal = signal;
    this.#onFail = onFail;
    this.#state = db ? 'unproven' : 'proven';
  }

  /**
   * Waits for a scan's turn to create or settle: open once the DB is proven; the probe's turn
   * for one scan at a time before that. Undefined when the run stops, the proof fails or
   * `signal` aborts first. A `probe` turn is given back with `leave`.
   */
  async enter(signal: AbortSignal): Promise<GateTurn | undefined> {
    for (;;) {
      if (this.#state === 'proven') return 'open';
      if (this.#state === 'failed' || this.#signal.aborted || signal.aborted) return undefined;
      if (!this.#probeHeld) {
        this.#probeHeld = true;
        return 'probe';
      }
      await this.#changed.wait(signal, this.#signal);
    }
  }

  /** The probe's scan was created through the API: the look for it in the DB holds the gate. */
  created(targetScanId: number, fileIds: readonly number[]): void {
    if (this.#state !== 'unproven' || !this.#db) return;
    this.#state = 'proving';
    this.#done = this.#look(this.#db, targetScanId, fileIds).then((found) => {
      if (found === true) this.#state = 'proven';
      else if (found) {
        this.#state = 'failed';
        this.#failure = found;
        this.#onFail();
      } else this.#state = 'unproven';
      this.#probeHeld = false;
      this.#changed.fire();
    });
  }

  /** The probe's scan is done; unless its create started the look, the next scan probes. */
  leave(turn: GateTurn): void {
    if (turn !== 'probe' || this.#state !== 'unproven') return;
    this.#probeHeld = false;
    this.#changed.fire();
  }

  /** Resolves once the look is over; the failure, if the DB never showed the scan. */
  async outcome(): Promise<ScanCopyError | undefined> {
    await this.#done;
    return this.#failure;
  }

  /** True when found; undefined when the run stopped before the horizon had passed. */
  async #look(db: Queryable, targetScanId: number, fileIds: readonly number[]): Promise<true | ScanCopyError | undefined> {
    const deadline = Date.now() + this.#horizonMs;
    for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
      // A DB that errors says nothing about whose it is: the copy's own steps report that.
      const found = await selectScansByFileIds(db, fileIds).catch(() => undefined);
      if (found?.some((s) => s.scanId === targetScanId)) return true;
      if (Date.now() >= deadline || this.#signal.aborted) break;
      await sleep(pause, this.#signal).catch(() => undefined);
    }
    if (this.#signal.aborted && Date.now() < deadline) return undefined;
    return new ScanCopyError('USAGE', `the target database does not show scan ${targetScanId}, which the target API created ${Math.round(this.#horizonMs / 1000)} s ago with files ${fileIds.join(', ')}: it is not that API's database`, {
      hint: 'Give the target instance\'s own database with --target-db (or raise --commit-horizon if its replica lags that much). The run is saved; resume it then.',
    });
  }
}

/** Wakes every waiter at each change of the gate, or when one of its signals aborts. */
function changeSignal(): { wait(...signals: AbortSignal[]): Promise<void>; fire(): void } {
  let wake = (): void => undefined;
  let next = new Promise<void>((resolve) => (wake = resolve));
  return {
    async wait(...signals) {
      let stop = (): void => undefined;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      for (const s of signals) s.addEventListener('abort', stop, { once: true });
      try {
        await Promise.race([next, stopped]);
      } finally {
        for (const s of signals) s.removeEventListener('abort', stop);
      }
    },
    fire() {
      wake();
      next = new Promise<void>((resolve) => (wake = resolve));
    },
  };
}
