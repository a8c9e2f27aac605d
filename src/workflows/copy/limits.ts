/**
 * The pipeline's budget of bytes held between download and upload (the stages' slots are
 * core/semaphore's). Waiters are served in arrival order, so work admitted first (earlier
 * batches) moves first.
 */
import { ScanCopyError } from '../../core/errors.js';

interface Waiter {
  amount: number;
  resolve: () => void;
}

/** A place in the byte budget: first the expected size, then the size actually held. */
export interface ByteHold {
  /** The file is here: hold its real size instead of the guess. */
  settle(actual: number): void;
  release(): void;
}

/**
 * Bytes downloaded and not yet uploaded. A download starts only while the bytes held plus its
 * expected size fit (or nothing is held, so one file larger than the budget still moves); the
 * actual size replaces the guess once known. Memory stays near the budget whatever the scan count.
 */
export class ByteBudget {
  readonly limit: number;
  #held = 0;
  #loaded = 0;
  #peak = 0;
  readonly #waiters: Waiter[] = [];

  constructor(limit: number) {
    if (!(limit > 0)) throw new ScanCopyError('CONFIG_INVALID', `bytes in flight = ${String(limit)}: expected a positive number`);
    this.limit = limit;
  }

  /** The most file bytes held in memory at once (guesses not counted). */
  get peak(): number {
    return this.#peak;
  }

  /** Waits until `expected` bytes fit, then holds them. */
  async reserve(expected: number): Promise<ByteHold> {
    if (this.#waiters.length === 0 && this.#fits(expected)) this.#held += expected;
    else await new Promise<void>((resolve) => this.#waiters.push({ amount: expected, resolve }));
    let reserved = expected;
    let loaded = 0;
    return {
      settle: (actual) => {
        this.#held += actual - reserved;
        this.#loaded += actual - loaded;
        this.#peak = Math.max(this.#peak, this.#loaded);
        reserved = loaded = actual;
        this.#wake();
      },
      release: () => {
        this.#held -= reserved;
        this.#loaded -= loaded;
        reserved = loaded = 0;
        this.#wake();
      },
    };
  }

  #fits(amount: number): boolean {
    return this.#held === 0 || this.#held + amount <= this.limit;
  }

  #wake(): void {
    while (this.#waiters.length > 0 && this.#fits((this.#waiters[0] as Waiter).amount)) {
      const next = this.#waiters.shift() as Waiter;
      this.#held += next.amount;
      next.resolve();
    }
  }
}
