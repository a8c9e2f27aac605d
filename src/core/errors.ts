/**
 * Typed errors with stable codes. Every error scancopy raises is a ScanCopyError (or wraps
 * one in `cause`), so core/failure.ts maps it to an exit code in one place and a user always gets
 * the context needed to act: what failed, where, and a hint.
 */

export const ERROR_CODES = [
  'AUTH_FAILED',
  'UNREACHABLE',
  'BAD_REQUEST',
  'NOT_FOUND',
  'TIMEOUT',
  'SERVER_ERROR',
  'RATE_LIMITED',
  'OUTCOME_UNKNOWN',
  'CONFIG_INVALID',
  'USAGE',
  'DB_ERROR',
  'CHECKPOINT_CORRUPT',
  'JOB_MISMATCH',
  'CHECKPOINT_EXISTS',
  /** Another live process holds the job's (or the run folder's) lock. */
  'JOB_LOCKED',
  'INTEGRITY',
  'URL_EXPIRED',
  'ABORTED',
  'DEADLINE',
  'IO_ERROR',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  /** What the user can do about it, one sentence. */
  hint?: string;
  cause?: unknown;
  /** Ids, URL path, status, response body: whatever locates the failure. Secrets redacted. */
  context?: Record<string, unknown>;
}

export class ScanCopyError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ScanCopyError';
    this.code = code;
    this.hint = details.hint;
    this.context = details.context ?? {};
  }
}

export interface HttpErrorContext {
  /** The API call, e.g. `create-scan`. */
  call: string;
  method: string;
  /** URL path only: never the query string of a pre-signed URL. */
  path: string;
  status?: number;
  body?: unknown;
  payload?: unknown;
  retryAfterMs?: number;
}

export class HttpError extends ScanCopyError {
  readonly http: HttpErrorContext;

  constructor(code: ErrorCode, message: string, http: HttpErrorContext, details: ErrorDetails = {}) {
    super(code, message, { ...details, context: { ...http, ...details.context } });
    this.name = 'HttpError';
    this.http = http;
  }
}

/** Exit codes of design.md, in one table. */
export const EXIT = {
  ok: 0,
  failedItems: 1,
  usage: 2,
  auth: 3,
  unreachable: 4,
  maxDuration: 5,
  interrupted: 130,
} as const;

/** The error and what it wraps, outermost first: the one walk of the `cause` chain. */
export function* causes(err: unknown): Generator<unknown> {
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/** The first ScanCopyError in the `cause` chain. */
export function findScanCopyError(err: unknown): ScanCopyError | undefined {
  for (const c of causes(err)) if (c instanceof ScanCopyError) return c;
  return undefined;
}

export function errorCodeOf(err: unknown): ErrorCode {
  return findScanCopyError(err)?.code ?? 'INTERNAL';
}
