/**
 * One retry policy object: which failures are worth another attempt, how long to wait
 * (exponential backoff with full jitter, or the server's Retry-After, capped), when to stop
 * (attempts, an overall deadline, a retry budget shared by every call through the policy).
 *
 * It knows HTTP statuses and socket error codes, nothing of the platform. The budget keeps
 * retries under a share of recent requests, so that an outage does not become a retry storm.
 */
import { ScanCopyError, type ErrorCode } from './errors.js';

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
  /** @default [429, 502, 503, 504] */
  retryableStatuses?: readonly number[];
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

/** Socket-level failures: the request may not have reached the server, or its answer was lost. */
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED']);
/** Codes that settle the question: retrying the same request cannot help (or must not happen). */
const FINAL_CODES = new Set<ErrorCode>(['OUTCOME_UNKNOWN', 'BAD_REQUEST', 'AUTH_FAILED', 'NOT_FOUND', 'UNREACHABLE', 'CONFIG_INVALID', 'USAGE', 'ABORTED', 'DEADLINE']);
/** Codes of transient conditions when no status says otherwise. */
const TRANSIENT_CODES = new Set<ErrorCode>(['TIMEOUT', 'INTEGRITY', 'URL_EXPIRED']);

export const RETRY_DEFAULTS = {
  retries: 3,
  baseMs: 1000,
  capMs: 60_000,
  retryAfterCapMs: 60_000,
  budgetRatio: 0.2,
  budgetWindowMs: 60_000,
  budgetMinRetries: 10,
  retryableStatuses: [429, 502, 503, 504],
} as const;

export class RetryPolicy {
  readonly retries: number;
  readonly baseMs: number;
  readonly capMs: number;
  readonly retryAfterCapMs: number;
  readonly deadlineMs?: number;
  readonly #statuses: ReadonlySet<number>;
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
    this.#statuses = new Set(options.retryableStatuses ?? RETRY_DEFAULTS.retryableStatuses);
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
        const decision = this.classify(error, options.alsoRetry);
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

  /**
   * Walks the error and its causes: a ScanCopyError with a final code stops, an HTTP status
   * decides by the retryable list, a timeout or a truncated transfer retries, and so do
   * socket resets found anywhere in the chain.
   */
  classify(error: unknown, alsoRetry?: ReadonlySet<ErrorCode>): RetryDecision {
    let current: unknown = error;
    for (let depth = 0; current && depth < 10; depth++) {
      if (current instanceof ScanCopyError) {
        if (alsoRetry?.has(current.code)) return { retry: true };
        if (FINAL_CODES.has(current.code)) return { retry: false };
        if (TRANSIENT_CODES.has(current.code)) return { retry: true };
        const status = current.context.status;
        if (typeof status === 'number') {
          const retryAfter = current.context.retryAfterMs;
          return { retry: this.#statuses.has(status), retryAfterMs: typeof retryAfter === 'number' ? retryAfter : undefined };
        }
      } else if (current instanceof Error || typeof current === 'object') {
        const { name, code } = current as { name?: string; code?: string };
        if (name === 'AbortError') return { retry: false };
        if (name === 'TimeoutError') return { retry: true };
        if (code && NETWORK_CODES.has(code)) return { retry: true };
      }
      current = (current as { cause?: unknown }).cause;
    }
    return { retry: false };
  }

  /** Whether `status` is one this policy retries. */
  retriesStatus(status: number): boolean {
    return this.#statuses.has(status);
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

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new ScanCopyError('CONFIG_INVALID', `retry.${name} = ${String(value)}: expected a number >= 0`);
  }
  return value;
}
