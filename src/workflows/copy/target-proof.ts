/**
 * The guarantee's one assumption made a check: the target DB is the target API's own. The
 * first scan the API creates in a run must show in that DB, with the files it was created
 * from, within the commit horizon; otherwise the run stops (its state saved) and fails with
 * exit 2. Against another instance's database, lost answers would be settled by scans that
 * are not ours: adopted wrongly, or created twice.
 */
import { ScanCopyError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import type { Queryable } from '../../platform/db.js';
import { selectScansByFileIds } from '../../platform/queries.js';

export class TargetDbProof {
  readonly #db: Queryable;
  readonly #horizonMs: number;
  readonly #signal: AbortSignal;
  #started = false;
  #failure: ScanCopyError | undefined;
  #done: Promise<void> = Promise.resolve();

  constructor(db: Queryable, horizonMs: number, signal: AbortSignal) {
    this.#db = db;
    this.#horizonMs = horizonMs;
    this.#signal = signal;
  }

  /** The first scan created through the API starts the look; `onFail` stops the run. */
  created(targetScanId: number, fileIds: readonly number[], onFail: () => void): void {
    if (this.#started) return;
    this.#started = true;
    this.#done = this.#look(targetScanId, fileIds).then((failure) => {
      if (!failure) return;
      this.#failure = failure;
      onFail();
    });
  }

  /** Resolves once the look is over; the failure, if the DB never showed the scan. */
  async outcome(): Promise<ScanCopyError | undefined> {
    await this.#done;
    return this.#failure;
  }

  async #look(targetScanId: number, fileIds: readonly number[]): Promise<ScanCopyError | undefined> {
    const deadline = Date.now() + this.#horizonMs;
    for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
      // A DB that errors says nothing about whose it is: the copy's own steps report that.
      const found = await selectScansByFileIds(this.#db, fileIds).catch(() => undefined);
      if (found?.some((s) => s.scanId === targetScanId)) return undefined;
      if (Date.now() >= deadline || this.#signal.aborted) break;
      await sleep(pause, this.#signal).catch(() => undefined);
    }
    if (this.#signal.aborted && Date.now() < deadline) return undefined;
    return new ScanCopyError('USAGE', `the target database does not show scan ${targetScanId}, which the target API created ${Math.round(this.#horizonMs / 1000)} s ago with files ${fileIds.join(', ')}: it is not that API's database`, {
      hint: 'Give the target instance\'s own database with --target-db (or raise --commit-horizon if its replica lags that much). The run is saved; resume it then.',
    });
  }
}
