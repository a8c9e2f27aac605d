/**
 * The pipeline's budget of file bytes held in memory between download and upload (the
 * stages' slots are core/semaphore's).
 */
import { ScanCopyError } from '../../core/errors.js';

/** The smallest buffer made: files of a few KB share a size, and so reuse one another's. */
const MIN_BUFFER = 64 * 1024;

/**
 * The size of buffer made for a file: rounded up to an eighth of the power of two above it
 * (a 4.2 MB file gets 5 MiB, a 100 KB one 128 KiB), so files of about one size reuse each
 * other's buffers and at most an eighth is wasted; never above `max`.
 */
function bufferSize(bytes: number, max: number): number {
  const step = Math.max(MIN_BUFFER, 2 ** Math.ceil(Math.log2(bytes)) / 8);
  return Math.min(max, Math.max(bytes, Math.ceil(bytes / step) * step));
}

/**
 * File bytes held in memory between download and upload, in buffers the budget owns and
 * hands out again. A download whose size is known and fits gets a buffer here; any other
 * (too large for memory, of unknown size, or arriving while the budget is full) goes to a
 * spool file on disk instead of waiting, so a copy neither waits for memory nor holds more
 * than the budget whatever its files' sizes.
 *
 * Why reuse: a fresh buffer per file left the collector tens of MB of dead file buffers to
 * find, which it does only once they pass V8's external-memory step (64 MB), and the
 * allocator's arenas, fragmented by thousands of 3-8 MB buffers, kept more of it: a copy's
 * peak RSS climbed with its length (bench/README.md, cloud.rss_growth). A buffer goes back
 * to the pool only when nothing can read it any more (its upload answered); otherwise it is
 * dropped to the collector.
 */
export class MemoryBudget {
  readonly limit: number;
  /** One file at most this share of the budget is held in memory; a larger one is spooled. */
  readonly fileLimit: number;
  /** Buffers free for the next file, smallest first. */
  readonly #free: Buffer[] = [];
  /** Capacity of the buffers handed out and not yet given back. */
  readonly #out = new Set<ArrayBufferLike>();
  #held = 0;
  #pooled = 0;
  #peak = 0;

  constructor(limit: number) {
    if (!(limit > 0)) throw new ScanCopyError('CONFIG_INVALID', `bytes in flight = ${String(limit)}: expected a positive number`);
    this.limit = limit;
    // A few files at the limit still fit at once: large files go to disk, the budget stays for many small ones.
    this.fileLimit = Math.floor(limit / 4);
  }

  /** The most memory held for file bytes at once (whole buffers, handed out). */
  get peak(): number {
    return this.#peak;
  }

  /**
   * A buffer of exactly `bytes` (a view of one the budget owns) when the file fits, else
   * undefined: spool it. The caller gives it back with `give` whatever happens.
   */
  take(bytes: number): Buffer | undefined {
    if (bytes > this.fileLimit) return undefined;
    if (bytes === 0) return Buffer.alloc(0);
    const size = bufferSize(bytes, this.fileLimit);
    // The smallest free buffer that fits, unless it is twice what a new one would be: a small file does not take a large one.
    const index = this.#free.findIndex((b) => b.length >= bytes);
    let whole = index >= 0 && (this.#free[index] as Buffer).length <= 2 * size ? this.#free.splice(index, 1)[0] : undefined;
    if (whole) this.#pooled -= whole.length;
    else {
      // Free buffers that do not suit this file make room for it, largest first.
      while (this.#held + this.#pooled + size > this.limit && this.#free.length > 0) this.#pooled -= (this.#free.pop() as Buffer).length;
      if (this.#held + this.#pooled + size > this.limit) return undefined;
      whole = Buffer.allocUnsafeSlow(size);
    }
    this.#held += whole.length;
    this.#peak = Math.max(this.#peak, this.#held);
    this.#out.add(whole.buffer);
    return whole.subarray(0, bytes);
  }

  /**
   * Gives a buffer from `take` back. `reuse`: nothing reads it any more (its upload was
   * answered, or its download failed), so the next file may be written into it; otherwise
   * (an upload that failed may leave a write of it behind) it is left to the collector.
   */
  give(buffer: Buffer, reuse: boolean): void {
    if (!this.#out.delete(buffer.buffer)) return;
    const whole = Buffer.from(buffer.buffer, 0, buffer.buffer.byteLength);
    this.#held -= whole.length;
    if (!reuse) return;
    const at = this.#free.findIndex((b) => b.length > whole.length);
    this.#free.splice(at < 0 ? this.#free.length : at, 0, whole);
    this.#pooled += whole.length;
  }
}
