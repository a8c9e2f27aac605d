/**
 * The pipeline's budget of file bytes held in memory between download and upload (the
 * stages' slots are core/semaphore's).
 */
import { ScanCopyError } from '../../core/errors.js';

/**
 * File bytes held in memory between download and upload. A download whose size is known and
 * fits is held here; any other (too large for memory, of unknown size, or arriving while the
 * budget is full) goes to a spool file on disk instead of waiting, so a copy neither waits
 * for memory nor holds more than the budget whatever its files' sizes.
 */
export class MemoryBudget {
  readonly limit: number;
  /** One file at most this share of the budget is held in memory; a larger one is spooled. */
  readonly fileLimit: number;
  #held = 0;
  #peak = 0;

  constructor(limit: number) {
    if (!(limit > 0)) throw new ScanCopyError('CONFIG_INVALID', `bytes in flight = ${String(limit)}: expected a positive number`);
    this.limit = limit;
    // A few files at the limit still fit at once: large files go to disk, the budget stays for many small ones.
    this.fileLimit = Math.floor(limit / 4);
  }

  /** The most file bytes held in memory at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Holds `bytes` when they fit; false means "spool it". */
  tryHold(bytes: number): boolean {
    if (bytes > this.fileLimit || this.#held + bytes > this.limit) return false;
    this.#held += bytes;
    this.#peak = Math.max(this.#peak, this.#held);
    return true;
  }

  release(bytes: number): void {
    this.#held -= bytes;
  }
}
