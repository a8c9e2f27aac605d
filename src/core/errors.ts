/**
 * Typed errors with stable codes. Every error scancopy raises is a ScanCopyError (or wraps
 * one in `cause`), so the CLI maps it to an exit code in one place and a user always gets
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

const EXIT_BY_CODE: Partial<Record<ErrorCode, number>> = {
  AUTH_FAILED: EXIT.auth,
  UNREACHABLE: EXIT.unreachable,
  DB_ERROR: EXIT.unreachable,
  CONFIG_INVALID: EXIT.usage,
  USAGE: EXIT.usage,
  CHECKPOINT_CORRUPT: EXIT.usage,
  JOB_MISMATCH: EXIT.usage,
  CHECKPOINT_EXISTS: EXIT.usage,
  ABORTED: EXIT.interrupted,
  DEADLINE: EXIT.maxDuration,
};

export function exitCodeFor(err: unknown): number {
  const found = findScanCopyError(err);
  return (found && EXIT_BY_CODE[found.code]) ?? EXIT.failedItems;
}

/** Walks the `cause` chain for the first ScanCopyError. */
export function findScanCopyError(err: unknown): ScanCopyError | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 10; depth++) {
    if (current instanceof ScanCopyError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function errorCodeOf(err: unknown): ErrorCode {
  return findScanCopyError(err)?.code ?? 'INTERNAL';
}
