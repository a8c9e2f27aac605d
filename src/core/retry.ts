/**
 * One retry policy object: which failures are worth another attempt, how long to wait
 * (exponential backoff with full jitter, or the server's Retry-After, capped), when to stop
 * (attempts, an overall deadline, a retry budget shared by every call through the policy).
 *
 * Which failures retry is core/failure.ts's answer; this file decides when and how often. The
 * budget keeps retries under a share of recent requests, so that an outage does not become a
 * retry storm.
 */
import { RUN_DEFAULTS } from './defaults.js';
import { ScanCopyError, type ErrorCode } from './errors.js';
import { classify } from './failure.js';
import { sleep } from './sleep.js';

export interface RetryOptions {
  /** Retries after the first attempt. @default 3 */
  retries?: number;
  /** Backoff base: attempt n waits a random time in [0, min(cap, base * 2^n)). @default 1000 */
  baseMs?: number;
  /** @default 60000 */
  capMs?: number;
  /** Longest Retry-After honoured; a longer one is cut to this. @default 60000 */
  retryAfterCapMs?: number;
  /** Each `run` gives up once its next wait would end past this many ms from its start. @default none */
  deadlineMs?: number;
  /** Retries in the window stay under `minRetries + ratio * requests`. @default 0.2 */
  budgetRatio?: number;
  /** @default 60000 */
  budgetWindowMs?: number;
  /** Retries always allowed in a window, so a quiet client still retries. @default 10 */
  budgetMinRetries?: number;
  /** For tests. @default timers */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** For tests. @default Math.random */
  random?: () => number;
  /** For tests. @default Date.now */
  now?: () => number;
}

export interface RetryDecision {
  retry: boolean;
  /** The server asked to wait this long (Retry-After). */
  retryAfterMs?: number;
}

export type StopReason = 'not-retryable' | 'attempts' | 'deadline' | 'budget';

export interface RetryEvent {
  /** The attempt that failed, 1-based. */
  attempt: number;
  error: unknown;
  /** Wait before the next attempt; absent when giving up. */
  delayMs?: number;
  /** Why no further attempt is made; absent when retrying. */
  stop?: StopReason;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Codes otherwise final that this run retries (e.g. UNREACHABLE once a host has answered before). */
  alsoRetry?: ReadonlySet<ErrorCode>;
  /** Absolute time (ms since epoch) past which no retry starts; the earlier of this and `deadlineMs` wins. */
  deadline?: number;
  onRetry?: (event: RetryEvent) => void;
  onGiveUp?: (event: RetryEvent) => void;
}

export const RETRY_DEFAULTS = RUN_DEFAULTS.retry;

export class RetryPolicy {
  readonly retries: number;
  readonly baseMs: number;
  readonly capMs: number;
  readonly retryAfterCapMs: number;
  readonly deadlineMs?: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #budget: RetryBudget;

  constructor(options: RetryOptions = {}) {
    this.retries = nonNegative('retries', options.retries ?? RETRY_DEFAULTS.retries);
    this.baseMs = nonNegative('baseMs', options.baseMs ?? RETRY_DEFAULTS.baseMs);
    this.capMs = nonNegative('capMs', options.capMs ?? RETRY_DEFAULTS.capMs);
    this.retryAfterCapMs = nonNegative('retryAfterCapMs', options.retryAfterCapMs ?? RETRY_DEFAULTS.retryAfterCapMs);
    this.deadlineMs = options.deadlineMs === undefined ? undefined : nonNegative('deadlineMs', options.deadlineMs);
    this.#sleep = options.sleep ?? sleep;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#budget = new RetryBudget(
      options.budgetRatio ?? RETRY_DEFAULTS.budgetRatio,
      nonNegative('budgetWindowMs', options.budgetWindowMs ?? RETRY_DEFAULTS.budgetWindowMs),
      options.budgetMinRetries ?? RETRY_DEFAULTS.budgetMinRetries,
      this.#now,
    );
  }

  /** Runs `fn` until it succeeds or the policy stops; rejects with the last error. */
  async run<T>(fn: (attempt: number) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const start = this.#now();
    const deadlines = [options.deadline, this.deadlineMs === undefined ? undefined : start + this.deadlineMs].filter((d): d is number => d !== undefined);
    const deadline = deadlines.length > 0 ? Math.min(...deadlines) : Number.POSITIVE_INFINITY;
    this.#budget.request();
    for (let attempt = 1; ; attempt++) {
      options.signal?.throwIfAborted();
      try {
        return await fn(attempt);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const decision = this.decide(error, options.alsoRetry);
        const stop = this.#stopReason(decision, attempt);
        const delayMs = stop ? 0 : this.delayFor(attempt, decision.retryAfterMs);
        const finalStop = stop ?? (this.#now() + delayMs > deadline ? 'deadline' : this.#budget.tryRetry() ? undefined : 'budget');
        if (finalStop) {
          options.onGiveUp?.({ attempt, error, stop: finalStop });
          throw error;
        }
        options.onRetry?.({ attempt, error, delayMs });
        await this.#sleep(delayMs, options.signal);
      }
    }
  }

  /** The wait after failed attempt `attempt` (1-based): Retry-After when given (capped), else full jitter. */
  delayFor(attempt: number, retryAfterMs?: number): number {
    if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), this.retryAfterCapMs);
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** (attempt - 1));
    return Math.floor(this.#random() * ceiling);
  }

  /** Whether `error` is worth another attempt of the same call, and the server's requested wait. */
  decide(error: unknown, alsoRetry?: ReadonlySet<ErrorCode>): RetryDecision {
    const failure = classify(error);
    return { retry: failure.retryCall || (alsoRetry?.has(failure.code) ?? false), retryAfterMs: failure.retryAfterMs };
  }

  /**
   * The wait before sending an item again that its caller decided to retry (a create the
   * server refused for now, which is never repeated inside a call): the server's Retry-After
   * or full jitter, within the shared retry budget. Undefined when the budget is spent.
   */
  backoff(attempt: number, error: unknown): number | undefined {
    if (!this.#budget.tryRetry()) return undefined;
    return this.delayFor(attempt, classify(error).retryAfterMs);
  }

  /** The policy's sleep, interrupted by `signal`. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return this.#sleep(ms, signal);
  }

  #stopReason(decision: RetryDecision, attempt: number): StopReason | undefined {
    if (!decision.retry) return 'not-retryable';
    if (attempt > this.retries) return 'attempts';
    return undefined;
  }
}

/** Requests and retries in a sliding window; a retry is allowed while under the share. */
class RetryBudget {
  readonly #requests: number[] = [];
  readonly #retries: number[] = [];

  constructor(
    private readonly ratio: number,
    private readonly windowMs: number,
    private readonly minRetries: number,
    private readonly now: () => number,
  ) {}

  request(): void {
    this.#requests.push(this.now());
  }

  tryRetry(): boolean {
    const now = this.now();
    prune(this.#requests, now - this.windowMs);
    prune(this.#retries, now - this.windowMs);
    if (this.#retries.length + 1 > this.minRetries + this.ratio * this.#requests.length) return false;
    this.#retries.push(now);
    return true;
  }
}

function prune(times: number[], before: number): void {
  let drop = 0;
  while (drop < times.length && (times[drop] as number) <= before) drop++;
  if (drop > 0) times.splice(0, drop);
}

/**
 * `Retry-After` in either form: delay-seconds, or an HTTP date (a date in the past means now).
 * Returns undefined for a missing or malformed value.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new ScanCopyError('CONFIG_INVALID', `retry.${name} = ${String(value)}: expected a number >= 0`);
  }
  return value;
}
