/**
 * What a failure means, answered in one place: whether the same call is worth another
 * attempt, whether the item (a file, a scan) is worth another round, whether a request with
 * a side effect may have taken effect, how long the server asked to wait, and the exit code.
 * The retry policy, the API client, the limiter, copy, download and the wizard all read
 * `classify`; none keeps a list of its own. As in rclone's fs/fserrors, retryability is a
 * property of the error, not of the loop that meets it.
 */
import { causes, EXIT, findScanCopyError, ScanCopyError, type ErrorCode } from './errors.js';

export interface Failure {
  /** The first ScanCopyError's code in the cause chain; INTERNAL when there is none. */
  code: ErrorCode;
  /** The first HTTP status in the chain. */
  status?: number;
  /** Repeating the same call may succeed (a retry policy still bounds how often). */
  retryCall: boolean;
  /** Another round for the item may succeed: a later batch round, a create sent again. */
  retryItem: boolean;
  /** Nothing proves the request had no effect: a create must be looked up before it is sent again. */
  mayHaveApplied: boolean;
  /** The request reached the platform and its answer was lost or broken. */
  answerLost: boolean;
  /** The server asked to wait this long (Retry-After). */
  retryAfterMs?: number;
  /** The server says it is overloaded (429, 503): concurrency should come down. */
  throttled: boolean;
  /** Credentials were refused: by the API, or by the database (SQLSTATE class 28). */
  credentialsRefused: boolean;
}

interface Row {
  /** `undefined`: the HTTP status decides, else the causes (a socket reset retries). */
  call: boolean | undefined;
  item: boolean;
  applied: boolean;
  lost: boolean;
  exit: number;
}

const row = (call: boolean | undefined, item: boolean, applied: boolean, exit: number = EXIT.failedItems, lost = false): Row => ({ call, item, applied, lost, exit });

/**
 * One row per code. `applied` is false only where the failure proves nothing happened: the
 * server answered no, the connection was never made, or the request was never built.
 */
export const FAILURE_TABLE: Readonly<Record<ErrorCode, Row>> = {
  // Credentials refused after a fresh login do not mend by themselves.
  AUTH_FAILED: row(false, false, false, EXIT.auth),
  // Not reached: a wrong URL fails at once; a host restarting is up again a round later.
  UNREACHABLE: row(false, true, false, EXIT.unreachable),
  BAD_REQUEST: row(false, false, false),
  NOT_FOUND: row(false, false, false),
  TIMEOUT: row(true, true, true, EXIT.failedItems, true),
  SERVER_ERROR: row(undefined, true, true, EXIT.failedItems, true),
  RATE_LIMITED: row(undefined, true, false),
  // Settled only by looking the result up; repeating the call blindly could double it.
  OUTCOME_UNKNOWN: row(false, true, true),
  CONFIG_INVALID: row(false, false, false, EXIT.usage),
  USAGE: row(false, false, false, EXIT.usage),
  DB_ERROR: row(undefined, true, true, EXIT.unreachable),
  CHECKPOINT_CORRUPT: row(false, false, true, EXIT.usage),
  JOB_MISMATCH: row(false, false, true, EXIT.usage),
  CHECKPOINT_EXISTS: row(false, false, true, EXIT.usage),
  JOB_LOCKED: row(false, false, true, EXIT.usage),
  INTEGRITY: row(true, true, true, EXIT.failedItems, true),
  URL_EXPIRED: row(true, true, false),
  ABORTED: row(false, false, true, EXIT.interrupted),
  DEADLINE: row(false, false, true, EXIT.maxDuration),
  // The disk refuses: repeating the download or the write does not help.
  IO_ERROR: row(false, false, true),
  INTERNAL: row(undefined, true, true),
};

/** Statuses another attempt of the same call can get past. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
/** Statuses that mean "too much at once". */
export const THROTTLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Socket-level failures: the request may not have reached the server, or its answer was lost. */
const NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED']);
/** Socket-level failures before any connection: nothing was sent. */
const NOT_CONNECTED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export function classify(err: unknown): Failure {
  const known = findScanCopyError(err);
  const code = known?.code ?? 'INTERNAL';
  const entry = FAILURE_TABLE[code];
  const status = statusOf(err);
  const retryAfter = known?.context.retryAfterMs;
  return {
    code,
    ...(status === undefined ? {} : { status }),
    retryCall: retriesCall(err),
    retryItem: entry.item,
    mayHaveApplied: entry.applied,
    answerLost: entry.lost,
    ...(typeof retryAfter === 'number' ? { retryAfterMs: retryAfter } : {}),
    throttled: status !== undefined && THROTTLE_STATUSES.has(status),
    credentialsRefused: code === 'AUTH_FAILED' || [...causes(err)].some((c) => String(codeProperty(c) ?? '').startsWith('28')),
  };
}

/**
 * The server refused for now and asked to be called later (429): nothing was made, so the
 * item is owed another round whatever its batch's success rates say. The retry budget bounds
 * calls repeated at once; it must not turn the server's "later" into a lost item.
 */
export function refusedForNow(code: string | undefined): boolean {
  return code === 'RATE_LIMITED';
}

/** The exit code of design.md for a failure. */
export function exitCodeFor(err: unknown): number {
  return FAILURE_TABLE[classify(err).code].exit;
}

/** A socket error's kind, for the client that maps it to a code: never connected, or broken on the way. */
export function socketFailure(err: unknown): { code: string; connected: boolean } | undefined {
  for (const c of causes(err)) {
    const code = codeProperty(c);
    if (typeof code === 'string') return { code, connected: !NOT_CONNECTED_CODES.has(code) };
  }
  return undefined;
}

/**
 * The first ScanCopyError with a decided code settles it; one whose code leaves it to the
 * status is decided by its status, else by what it wraps; below those, a timeout or a socket
 * reset retries and an abort does not.
 */
function retriesCall(err: unknown): boolean {
  for (const c of causes(err)) {
    if (c instanceof ScanCopyError) {
      const decided = FAILURE_TABLE[c.code].call;
      if (decided !== undefined) return decided;
      const status = c.context.status;
      // A 2xx whose body is broken is a maintenance page or a proxy's: transient, like a 503.
      if (typeof status === 'number') return RETRYABLE_STATUSES.has(status) || (status >= 200 && status < 300);
    } else if (typeof c === 'object') {
      const { name, code } = c as { name?: unknown; code?: unknown };
      if (name === 'AbortError') return false;
      if (name === 'TimeoutError') return true;
      if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    }
  }
  return false;
}

function statusOf(err: unknown): number | undefined {
  for (const c of causes(err)) {
    const status = c instanceof ScanCopyError ? c.context.status : (c as { status?: unknown }).status;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

function codeProperty(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined;
}
