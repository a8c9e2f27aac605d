/**
 * One answer to "retry the call? retry the item? could it have been applied? which exit
 * code?" for every error code, and for the raw failures underneath them (socket resets,
 * timeouts, aborts, refused database logins), read through the whole cause chain.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, HttpError, ScanCopyError, type ErrorCode } from '../src/core/errors.js';
import { classify, exitCodeFor } from '../src/core/failure.js';

type Expected = { retryCall: boolean; retryItem: boolean; mayHaveApplied: boolean; exit: number };

/** Written out by hand, so that a changed row in core/failure.ts fails here. */
const EXPECTED: Record<ErrorCode, Expected> = {
  AUTH_FAILED: { retryCall: false, retryItem: false, mayHaveApplied: false, exit: 3 },
  UNREACHABLE: { retryCall: false, retryItem: true, mayHaveApplied: false, exit: 4 },
  BAD_REQUEST: { retryCall: false, retryItem: false, mayHaveApplied: false, exit: 1 },
  NOT_FOUND: { retryCall: false, retryItem: false, mayHaveApplied: false, exit: 1 },
  TIMEOUT: { retryCall: true, retryItem: true, mayHaveApplied: true, exit: 1 },
  // Without a status or a socket error underneath, nothing says another attempt would help.
  SERVER_ERROR: { retryCall: false, retryItem: true, mayHaveApplied: true, exit: 1 },
  RATE_LIMITED: { retryCall: false, retryItem: true, mayHaveApplied: false, exit: 1 },
  OUTCOME_UNKNOWN: { retryCall: false, retryItem: true, mayHaveApplied: true, exit: 1 },
  CONFIG_INVALID: { retryCall: false, retryItem: false, mayHaveApplied: false, exit: 2 },
  USAGE: { retryCall: false, retryItem: false, mayHaveApplied: false, exit: 2 },
  DB_ERROR: { retryCall: false, retryItem: true, mayHaveApplied: true, exit: 4 },
  CHECKPOINT_CORRUPT: { retryCall: false, retryItem: false, mayHaveApplied: true, exit: 2 },
  JOB_MISMATCH: { retryCall: false, retryItem: false, mayHaveApplied: true, exit: 2 },
  CHECKPOINT_EXISTS: { retryCall: false, retryItem: false, mayHaveApplied: true, exit: 2 },
  JOB_LOCKED: { retryCall: false, retryItem: false, mayHaveApplied: true, exit: 2 },
  INTEGRITY: { retryCall: true, retryItem: true, mayHaveApplied: true, exit: 1 },
  URL_EXPIRED: { retryCall: true, retryItem: true, mayHaveApplied: false, exit: 1 },
  ABORTED: { retryCall: false, retryItem: false, mayHaveApplied: true, exit: 130 },
  DEADLINE: { retryCall: false, retryItem: false, mayHaveApplied: true, exit: 5 },
  IO_ERROR: { retryCall: false, retryItem: false, mayHaveApplied: true, exit: 1 },
  INTERNAL: { retryCall: false, retryItem: true, mayHaveApplied: true, exit: 1 },
};

const http = (code: ErrorCode, status: number, retryAfterMs?: number): HttpError =>
  new HttpError(code, `answered ${status}`, { call: 't', method: 'POST', path: '/x', status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
const socket = (code: string): Error => Object.assign(new Error(code), { code });

describe('classify', () => {
  it.each(ERROR_CODES.map((code) => [code]))('%s: retry the call, retry the item, may have applied, exit code', (code) => {
    const err = new ScanCopyError(code, 'x');
    const f = classify(err);
    expect({ code: f.code, retryCall: f.retryCall, retryItem: f.retryItem, mayHaveApplied: f.mayHaveApplied, exit: exitCodeFor(err) }).toEqual({ code, ...EXPECTED[code] });
    // The same answer when the error is wrapped by something that is not a ScanCopyError.
    const wrapped = new Error('outer', { cause: err });
    expect({ ...classify(wrapped), exit: exitCodeFor(wrapped) }).toEqual({ ...f, exit: exitCodeFor(err) });
  });

  it('covers every error code in the table', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each([
    [429, 'RATE_LIMITED', true, true],
    [502, 'SERVER_ERROR', true, false],
    [503, 'SERVER_ERROR', true, true],
    [504, 'SERVER_ERROR', true, false],
    [500, 'SERVER_ERROR', false, false],
    [400, 'BAD_REQUEST', false, false],
    [401, 'AUTH_FAILED', false, false],
    [403, 'AUTH_FAILED', false, false],
    [404, 'NOT_FOUND', false, false],
  ] as const)('status %i (%s): retry the call %s, throttled %s', (status, code, retryCall, throttled) => {
    const f = classify(http(code, status));
    expect({ status: f.status, retryCall: f.retryCall, throttled: f.throttled }).toEqual({ status, retryCall, throttled });
  });

  it("carries the server's Retry-After", () => {
    expect(classify(http('RATE_LIMITED', 429, 2000))).toMatchObject({ retryCall: true, retryAfterMs: 2000 });
    expect(classify(http('RATE_LIMITED', 429)).retryAfterMs).toBeUndefined();
  });

  it('retries a connection reset or a timeout found under the error, and not an abort or a plain error', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT']) {
      expect(classify(new ScanCopyError('SERVER_ERROR', 'reset', { cause: socket(code) })).retryCall).toBe(true);
      expect(classify(socket(code)).retryCall).toBe(true);
    }
    expect(classify(new DOMException('t', 'TimeoutError')).retryCall).toBe(true);
    expect(classify(new DOMException('a', 'AbortError')).retryCall).toBe(false);
    expect(classify(new Error('bug'))).toMatchObject({ code: 'INTERNAL', retryCall: false, mayHaveApplied: true });
    expect(classify(socket('ENOSPC')).retryCall).toBe(false);
  });

  it('lets a decided code win over what it wraps', () => {
    expect(classify(new ScanCopyError('OUTCOME_UNKNOWN', 'x', { cause: http('SERVER_ERROR', 502) })).retryCall).toBe(false);
    expect(classify(new ScanCopyError('IO_ERROR', 'x', { cause: socket('ECONNRESET') })).retryCall).toBe(false);
    expect(classify(new ScanCopyError('TIMEOUT', 'x', { cause: new DOMException('a', 'AbortError') })).retryCall).toBe(true);
  });

  it('marks an answer lost on the way only for timeouts, broken answers and truncated bodies', () => {
    const lost = ERROR_CODES.filter((code) => classify(new ScanCopyError(code, 'x')).answerLost);
    expect(lost.sort()).toEqual(['INTEGRITY', 'SERVER_ERROR', 'TIMEOUT']);
  });

  it('tells refused credentials (API or database SQLSTATE 28xxx) from a host not reached', () => {
    expect(classify(http('AUTH_FAILED', 401)).credentialsRefused).toBe(true);
    const pgRefused = Object.assign(new Error('password authentication failed for user "x"'), { code: '28P01' });
    expect(classify(new ScanCopyError('DB_ERROR', 'cannot connect', { cause: pgRefused })).credentialsRefused).toBe(true);
    expect(classify(new ScanCopyError('DB_ERROR', 'cannot connect', { cause: socket('ECONNREFUSED') })).credentialsRefused).toBe(false);
    expect(classify(new ScanCopyError('UNREACHABLE', 'cannot reach')).credentialsRefused).toBe(false);
  });

  it('maps anything unknown to exit code 1', () => {
    expect(exitCodeFor(new Error('bug'))).toBe(1);
    expect(exitCodeFor('a string')).toBe(1);
    expect(exitCodeFor(undefined)).toBe(1);
  });
});
