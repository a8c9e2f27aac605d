/**
 * Concurrency for one class of calls, adapted to what the server tolerates. A throttling
 * answer (429/503, as core/failure.ts classifies it) lowers the limit to below the number of
 * calls that were in flight when the refused one started (the server's own limit shows
 * there), and at least halves it when that says nothing smaller; only calls started under the
 * current limit can lower it again, so one burst of 429s counts as one signal. Every `limit`
 * successes in a row raise the limit by one, never past the configured maximum; the level
 * that was refused is probed again only after PROBE_ROUNDS times as many, so a copy settles
 * at the platform's limit instead of knocking on it every few calls.
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

/** Rounds of `limit` successes before the limit is raised to a level that was refused. */
const PROBE_ROUNDS = 16;

export class AdaptiveLimiter {
  readonly max: number;
  readonly min: number;
  readonly #slots: Semaphore;
  #epoch = 0;
  #successes = 0;
  /** The lowest concurrency refused since the last successful probe: raising the limit to it is a probe. */
  #refusedAt = Number.POSITIVE_INFINITY;
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
    const inFlight = this.#slots.active;
    try {
      const result = await fn();
      this.#onSuccess();
      return result;
    } catch (err) {
      if (classify(err).throttled) this.#onThrottle(epoch, inFlight);
      throw err;
    } finally {
      release();
    }
  }

  #onSuccess(): void {
    if (!this.#adaptive || this.limit >= this.max) return;
    this.#successes += 1;
    const needed = this.limit + 1 >= this.#refusedAt ? this.limit * PROBE_ROUNDS : this.limit;
    if (this.#successes >= needed) {
      this.#successes = 0;
      // The refused level has held through a whole probe: the server's limit moved, stop probing slowly.
      if (this.limit >= this.#refusedAt) this.#refusedAt = Number.POSITIVE_INFINITY;
      this.#slots.resize(this.limit + 1);
      this.#onChange?.(this.limit, 'recovered');
    }
  }

  /** `inFlight`: this limiter's calls in flight when the refused one started, itself included. */
  #onThrottle(epoch: number, inFlight: number): void {
    if (!this.#adaptive || epoch !== this.#epoch) return;
    this.#epoch += 1;
    this.#successes = 0;
    // The lowest level refused since the last successful probe: a refusal that came while
    // the server was still draining an earlier burst must not set the bar higher again.
    this.#refusedAt = Math.min(this.#refusedAt, inFlight);
    // The server refused at `inFlight`: one fewer is what it took. A level above half the
    // current limit is believed, lower ones come from the halving, and the limit always drops.
    const next = Math.max(this.min, Math.min(this.limit - 1, Math.max(inFlight - 1, Math.floor(this.limit * this.#decrease))));
    if (next !== this.limit) {
      this.#slots.resize(next);
      this.#onChange?.(this.limit, 'throttled');
    }
  }
}
