/**
 * Concurrency for one class of calls, adapted to what the server tolerates. A throttling
 * answer (429/503, as core/failure.ts classifies it) lowers the limit to below the number of
 * calls that were in flight when the refused one started (the server's own limit shows
 * there), and at least halves it when that says nothing smaller. Only calls started under the
 * current limit can start a new decrease, so one burst of 429s counts as one signal; the
 * burst's other refusals, from calls started with fewer in flight, may still bring it down to
 * below them (no further than that one decrease). A refusal with every slot taken, at a level
 * that has not held, halves: "one fewer than in flight" would say only what this limiter
 * allowed, and stepping down by one per round trip is a 429 storm. Every `limit` successes in
 * a row raise the limit by one, never past the configured maximum; the level that was refused
 * is probed again only after PROBE_ROUNDS times as many, twice that after each refused probe,
 * and by one call while the others stay at the level that held, so a copy settles at the
 * platform's limit instead of knocking on it every few calls.
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

/** Rounds of `limit` successes before the limit is raised to a level that was refused... */
const PROBE_ROUNDS = 16;
/** ...doubled after each probe the server refused, up to this many. */
const MAX_PROBE_ROUNDS = 64;

export class AdaptiveLimiter {
  readonly max: number;
  readonly min: number;
  readonly #slots: Semaphore;
  #epoch = 0;
  #successes = 0;
  /** The lowest concurrency refused since the last successful probe: raising the limit to it is a probe. */
  #refusedAt = Number.POSITIVE_INFINITY;
  #probeRounds = PROBE_ROUNDS;
  /** The lowest limit later refusals of the last counted burst may bring it to. */
  #burstFloor = 1;
  /** Changes of the limit so far: a call started at the current level is evidence about it. */
  #moves = 0;
  /** Successes of calls started at the current level: it has held once `limit` of them came back. */
  #held = 0;
  #lastChange: 'initial' | 'throttled' | 'recovered' = 'initial';
  #limit: number;
  /** Raised to a refused level: the first call to reach it is the probe, and goes alone. */
  #probing = false;
  /** The probe is out: the slots stay at the level that held until it answers. */
  #alone = false;
  readonly #decrease: number;
  readonly #adaptive: boolean;
  readonly #onChange?: AdaptiveLimiterOptions['onLimitChange'];

  constructor(options: AdaptiveLimiterOptions) {
    this.#slots = new Semaphore(options.max, 'limit');
    this.max = options.max;
    this.min = Math.min(Math.max(1, options.min ?? 1), this.max);
    this.#limit = Math.min(this.max, Math.max(this.min, options.initial ?? this.max));
    this.#slots.resize(this.#limit);
    this.#decrease = options.decrease ?? 0.5;
    this.#adaptive = options.adaptive ?? true;
    this.#onChange = options.onLimitChange;
  }

  get limit(): number {
    return this.#limit;
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
    const level = this.#moves;
    const inFlight = release.heldWith;
    // A refused level is tried by one call: the others stay at the level that held until it
    // answers, so a probe the server refuses costs one 429, not a round trip's worth.
    const probe = this.#probing && inFlight >= this.#limit;
    if (probe) {
      this.#probing = false;
      this.#alone = true;
      this.#slots.resize(this.#limit - 1);
    }
    try {
      const result = await fn();
      this.#onSuccess(level);
      return result;
    } catch (err) {
      if (classify(err).throttled) this.#onThrottle(epoch, inFlight);
      throw err;
    } finally {
      if (probe) {
        this.#alone = false;
        this.#slots.resize(this.#limit);
      }
      release();
    }
  }

  #onSuccess(level: number): void {
    if (!this.#adaptive) return;
    if (level === this.#moves) this.#held += 1;
    if (this.limit >= this.max) return;
    this.#successes += 1;
    const needed = this.limit + 1 >= this.#refusedAt ? this.limit * this.#probeRounds : this.limit;
    if (this.#successes >= needed) {
      this.#successes = 0;
      // The refused level has held through a whole probe: the server's limit moved, stop probing slowly.
      if (this.limit >= this.#refusedAt) {
        this.#refusedAt = Number.POSITIVE_INFINITY;
        this.#probeRounds = PROBE_ROUNDS;
      }
      this.#resize(this.limit + 1, 'recovered');
      this.#probing = this.limit >= this.#refusedAt;
    }
  }

  /** `inFlight`: this limiter's calls in flight when the refused one started, itself included. */
  #onThrottle(epoch: number, inFlight: number): void {
    if (!this.#adaptive) return;
    if (epoch === this.#epoch - 1) {
      // Another refusal of the burst already counted, from a call started with fewer in flight:
      // the server's limit is below that too (no lower than the burst's own decrease allows).
      this.#refusedAt = Math.min(this.#refusedAt, inFlight);
      const next = Math.max(this.#burstFloor, inFlight - 1);
      if (next < this.limit) this.#resize(next, 'throttled');
      return;
    }
    if (epoch !== this.#epoch) return;
    this.#epoch += 1;
    this.#successes = 0;
    // A probe of the refused level, refused again: the server's limit is where it was, so knock less often.
    if (this.#lastChange === 'recovered' && this.limit >= this.#refusedAt) this.#probeRounds = Math.min(MAX_PROBE_ROUNDS, 2 * this.#probeRounds);
    // The lowest level refused since the last successful probe: a refusal that came while
    // the server was still draining an earlier burst must not set the bar higher again.
    this.#refusedAt = Math.min(this.#refusedAt, inFlight);
    const half = Math.max(this.min, Math.floor(this.limit * this.#decrease));
    this.#burstFloor = half;
    // Every slot taken, at a level that has not held (the first one, or one a decrease
    // reached): one fewer than in flight is what this limiter allowed, not where the server
    // refuses. A level just raised to is a probe, and one fewer is the level that held.
    const blind = inFlight >= this.limit && this.#lastChange !== 'recovered' && this.#held < this.limit;
    // The server refused at `inFlight`: one fewer is what it took. A level above half the
    // current limit is believed, lower ones come from the halving, and the limit always drops.
    const next = blind ? half : Math.max(this.min, Math.min(this.limit - 1, Math.max(inFlight - 1, half)));
    if (next !== this.limit) this.#resize(next, 'throttled');
  }

  #resize(limit: number, reason: 'throttled' | 'recovered'): void {
    this.#limit = limit;
    this.#probing = false;
    this.#slots.resize(this.#alone ? Math.max(1, limit - 1) : limit);
    this.#lastChange = reason;
    this.#moves += 1;
    this.#held = 0;
    this.#onChange?.(this.limit, reason);
  }
}
