/**
 * Concurrency for one class of calls, adapted to what the server tolerates (AIMD): a
 * throttling answer (429/503, as core/failure.ts classifies it) halves the limit, and every
 * `limit` successes in a row raise it by one, never past the configured maximum. Only calls started under the current limit
 * can lower it again, so one burst of 429s counts as one signal, not as many.
 */
import { ScanCopyError } from './errors.js';
import { classify } from './failure.js';

export interface AdaptiveLimiterOptions {
  /** The configured maximum. */
  max: number;
  /** @default 1 */
  min?: number;
  /** @default max */
  initial?: number;
  /** Factor applied on a throttle. @default 0.5 */
  decrease?: number;
  /** Turn adaptation off: a plain semaphore of `max`. @default true */
  adaptive?: boolean;
  onLimitChange?: (limit: number, reason: 'throttled' | 'recovered') => void;
}

interface Waiter {
  start: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class AdaptiveLimiter {
  readonly max: number;
  readonly min: number;
  #limit: number;
  #active = 0;
  #epoch = 0;
  #successes = 0;
  readonly #queue: Waiter[] = [];
  readonly #decrease: number;
  readonly #adaptive: boolean;
  readonly #onChange?: AdaptiveLimiterOptions['onLimitChange'];

  constructor(options: AdaptiveLimiterOptions) {
    if (!(Number.isInteger(options.max) && options.max >= 1)) {
      throw new ScanCopyError('CONFIG_INVALID', `limit = ${String(options.max)}: expected a whole number >= 1`);
    }
    this.max = options.max;
    this.min = Math.min(Math.max(1, options.min ?? 1), this.max);
    this.#limit = Math.min(this.max, Math.max(this.min, options.initial ?? this.max));
    this.#decrease = options.decrease ?? 0.5;
    this.#adaptive = options.adaptive ?? true;
    this.#onChange = options.onLimitChange;
  }

  get limit(): number {
    return this.#limit;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /** Runs `fn` when a slot is free; its outcome adjusts the limit. */
  async run<T>(fn: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    await this.#acquire(options.signal);
    const epoch = this.#epoch;
    try {
      const result = await fn();
      this.#onSuccess();
      return result;
    } catch (err) {
      if (classify(err).throttled) this.#onThrottle(epoch);
      throw err;
    } finally {
      this.#active -= 1;
      this.#drain();
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#active < this.#limit && this.#queue.length === 0) {
      this.#active += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { start: resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.#queue.indexOf(waiter);
          if (index >= 0) this.#queue.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
    });
  }

  #drain(): void {
    while (this.#active < this.#limit && this.#queue.length > 0) {
      const waiter = this.#queue.shift() as Waiter;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.#active += 1;
      waiter.start();
    }
  }

  #onSuccess(): void {
    if (!this.#adaptive || this.#limit >= this.max) return;
    this.#successes += 1;
    if (this.#successes >= this.#limit) {
      this.#successes = 0;
      this.#limit += 1;
      this.#onChange?.(this.#limit, 'recovered');
    }
  }

  #onThrottle(epoch: number): void {
    if (!this.#adaptive || epoch !== this.#epoch) return;
    this.#epoch += 1;
    this.#successes = 0;
    const next = Math.max(this.min, Math.floor(this.#limit * this.#decrease));
    if (next !== this.#limit) {
      this.#limit = next;
      this.#onChange?.(this.#limit, 'throttled');
    }
  }
}
