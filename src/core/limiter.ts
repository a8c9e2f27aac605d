/**
 * Concurrency for one class of calls, adapted to what the server tolerates (AIMD): a
 * throttling answer (429/503, as core/failure.ts classifies it) halves the limit, and every
 * `limit` successes in a row raise it by one, never past the configured maximum. Only calls started under the current limit
 * can lower it again, so one burst of 429s counts as one signal, not as many.
 */
import { classify } from './failure.js';
import { Semaphore } from './semaphore.js';

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

export class AdaptiveLimiter {
  readonly max: number;
  readonly min: number;
  readonly #slots: Semaphore;
  #epoch = 0;
  #successes = 0;
  readonly #decrease: number;
  readonly #adaptive: boolean;
  readonly #onChange?: AdaptiveLimiterOptions['onLimitChange'];

  constructor(options: AdaptiveLimiterOptions) {
    this.#slots = new Semaphore(options.max, 'limit');
    this.max = options.max;
    this.min = Math.min(Math.max(1, options.min ?? 1), this.max);
    this.#slots.resize(Math.min(this.max, Math.max(this.min, options.initial ?? this.max)));
    this.#decrease = options.decrease ?? 0.5;
    this.#adaptive = options.adaptive ?? true;
    this.#onChange = options.onLimitChange;
  }

  get limit(): number {
    return this.#slots.size;
  }

  get active(): number {
    return this.#slots.active;
  }

  get waiting(): number {
    return this.#slots.waiting;
  }

  /** Runs `fn` when a slot is free; its outcome adjusts the limit. */
  async run<T>(fn: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    const release = await this.#slots.acquire(options.signal);
    const epoch = this.#epoch;
    try {
      const result = await fn();
      this.#onSuccess();
      return result;
    } catch (err) {
      if (classify(err).throttled) this.#onThrottle(epoch);
      throw err;
    } finally {
      release();
    }
  }

  #onSuccess(): void {
    if (!this.#adaptive || this.limit >= this.max) return;
    this.#successes += 1;
    if (this.#successes >= this.limit) {
      this.#successes = 0;
      this.#slots.resize(this.limit + 1);
      this.#onChange?.(this.limit, 'recovered');
    }
  }

  #onThrottle(epoch: number): void {
    if (!this.#adaptive || epoch !== this.#epoch) return;
    this.#epoch += 1;
    this.#successes = 0;
    const next = Math.max(this.min, Math.floor(this.limit * this.#decrease));
    if (next !== this.limit) {
      this.#slots.resize(next);
      this.#onChange?.(this.limit, 'throttled');
    }
  }
}
