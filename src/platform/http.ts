/**
 * One HTTP exchange with a per-call timeout, and the translation of what can go wrong into
 * typed errors: the call, method and URL path (never a pre-signed query), status and a
 * redacted body. Whether to retry is the retry policy's question, not this file's.
 */
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from './undici.js';
import { HttpError, ScanCopyError, type ErrorCode } from '../core/errors.js';
import { socketFailure } from '../core/failure.js';
import { redactText, redactValue } from '../core/redact.js';
import { parseRetryAfter } from '../core/retry.js';

export interface Exchange {
  call: string;
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string | Readable;
  timeoutMs: number;
  signal?: AbortSignal;
  dispatcher: Dispatcher;
}

export interface Answered {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** Maps an error thrown while reading the body (timeout, abort, reset). */
  bodyError(err: unknown): ScanCopyError;
  /** Stops the timeout; call once the body is read or abandoned. */
  done(): void;
}

const BODY_PREVIEW_BYTES = 4096;

export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(invalid URL)';
  }
}

export async function exchange(ex: Exchange): Promise<Answered> {
  // One controller per exchange, fed by the timer and the caller's signal; the listener on a
  // run-long caller signal is removed when the exchange ends, so nothing piles up on it.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${ex.timeoutMs} ms`, 'TimeoutError'));
  }, ex.timeoutMs);
  const onAbort = (): void => controller.abort(ex.signal?.reason);
  ex.signal?.addEventListener('abort', onAbort, { once: true });
  if (ex.signal?.aborted) onAbort();
  const done = (): void => {
    clearTimeout(timer);
    ex.signal?.removeEventListener('abort', onAbort);
  };
  const mapError = (err: unknown, phase: 'request' | 'body'): ScanCopyError => {
    if (ex.signal?.aborted) return new ScanCopyError('ABORTED', `${ex.call} ${ex.method} ${pathOf(ex.url)} was stopped`, { cause: err });
    if (timedOut) return httpError('TIMEOUT', ex, `no answer within ${seconds(ex.timeoutMs)}`, {}, err);
    // The request's own body refused to go on (a spooled file that changed on disk): its error, not the network's.
    if (err instanceof ScanCopyError) return err;
    return networkError(ex, err, phase);
  };
  try {
    const res = await request(ex.url, { method: ex.method, headers: ex.headers, body: ex.body, signal: controller.signal, dispatcher: ex.dispatcher });
    return { status: res.statusCode, headers: res.headers, body: res.body, bodyError: (err) => mapError(err, 'body'), done };
  } catch (err) {
    done();
    throw mapError(err, 'request');
  }
}

function networkError(ex: Exchange, err: unknown, phase: 'request' | 'body'): ScanCopyError {
  const socket = socketFailure(err);
  const code = socket?.code;
  if (phase === 'request' && socket && !socket.connected) {
    const origin = safeOrigin(ex.url);
    return new HttpError('UNREACHABLE', `cannot reach ${origin} (${code})`, context(ex), {
      cause: err,
      hint: 'Check the API URL (--source-api / --target-api or the config file) and that the instance is up.',
    });
  }
  const what = phase === 'body' ? 'the connection broke while reading the answer' : 'the connection was reset';
  return httpError('SERVER_ERROR', ex, `${what} (${code ?? (err as Error)?.message ?? 'unknown'})`, {}, err);
}

/** A non-2xx answer as a typed error; the body is read (bounded) and redacted. */
export async function failure(ex: Exchange, answered: Answered, extra: { payload?: unknown; message?: string } = {}): Promise<HttpError> {
  const body = await readPreview(answered);
  const status = answered.status;
  const retryAfterMs = parseRetryAfter(answered.headers['retry-after']);
  const code = codeForStatus(status);
  const detail = extra.message ?? summary(body);
  return httpError(code, ex, `answered ${status}${detail ? `: ${detail}` : ''}`, {
    status,
    body,
    ...(extra.payload !== undefined ? { payload: redactValue(extra.payload) } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

export function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'AUTH_FAILED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'SERVER_ERROR';
  return 'BAD_REQUEST';
}

export function httpError(code: ErrorCode, ex: Pick<Exchange, 'call' | 'method' | 'url'>, what: string, http: { status?: number; body?: unknown; payload?: unknown; retryAfterMs?: number }, cause?: unknown): HttpError {
  return new HttpError(code, redactText(`${ex.call}: ${ex.method} ${pathOf(ex.url)} ${what}`), { ...context(ex), ...http }, cause === undefined ? {} : { cause });
}

/** Reads the JSON body of a 2xx answer. */
export async function readJson<T>(ex: Exchange, answered: Answered): Promise<T> {
  let text: string;
  try {
    text = await answered.body.text();
  } catch (err) {
    throw answered.bodyError(err);
  } finally {
    answered.done();
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw httpError('SERVER_ERROR', ex, `answered ${answered.status} with a page that is not JSON (a maintenance page or a proxy in the way?)`, { status: answered.status, body: redactText(text.slice(0, 500)) });
  }
}

/** Throws away the rest of a body so the connection can be reused. */
export async function discard(answered: Answered): Promise<void> {
  try {
    await answered.body.dump({ limit: 64 * 1024 });
  } catch {
    // The connection is dropped instead; nothing to report.
  } finally {
    answered.done();
  }
}

async function readPreview(answered: Answered): Promise<unknown> {
  const text = await readPreviewText(answered);
  try {
    return redactValue(JSON.parse(text) as unknown);
  } catch {
    return redactText(text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 500));
  }
}

/** The first few KiB of a body as text, unredacted: for the caller to pick from and redact. */
export async function readPreviewText(answered: Answered): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of answered.body) {
      const buf = chunk as Buffer;
      chunks.push(buf);
      size += buf.length;
      if (size >= BODY_PREVIEW_BYTES) break;
    }
  } catch {
    // A body cut off while failing anyway: show what arrived.
  } finally {
    answered.done();
    if (!answered.body.destroyed) answered.body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, BODY_PREVIEW_BYTES);
}

function summary(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text && text.length > 200 ? `${text.slice(0, 197)}...` : (text ?? '');
}

function context(ex: Pick<Exchange, 'call' | 'method' | 'url'>): { call: string; method: string; path: string } {
  return { call: ex.call, method: ex.method, path: pathOf(ex.url) };
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
