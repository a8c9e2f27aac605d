/**
 * The platform's REST API (platform.md section 2) for one instance: one login shared by all
 * calls (and one re-login on 401), per-call timeouts, keep-alive connections sized to the
 * stage limits, adaptive concurrency per stage, and the retry policy around every call but
 * create-scan, whose failure with unknown outcome is left to the copy workflow to reconcile.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, FormData } from 'undici';
import { HttpError, ScanCopyError, type ErrorCode } from '../core/errors.js';
import { AdaptiveLimiter } from '../core/limiter.js';
import { redactValue, registerSecret } from '../core/redact.js';
import { RetryPolicy, type RetryEvent, type RetryOptions, type StopReason } from '../core/retry.js';
import { discard, exchange, failure, httpError, readJson, type Answered, type Exchange } from './http.js';
import type { FileMeta, ScanPayload } from './types.js';

export type Stage = 'download' | 'upload' | 'create';

/** Milliseconds. Defaults: platform.md section 2. */
export interface ApiTimeouts {
  login: number;
  meta: number;
  content: number;
  upload: number;
  create: number;
}

export const API_TIMEOUT_DEFAULTS: ApiTimeouts = { login: 30_000, meta: 60_000, content: 120_000, upload: 120_000, create: 60_000 };
export const STAGE_LIMIT_DEFAULTS: Record<Stage, number> = { download: 20, upload: 20, create: 10 };

export type ApiEvent =
  | { type: 'login'; instance: string }
  | { type: 'relogin'; instance: string; call: string }
  | { type: 'retry'; instance: string; call: string; attempt: number; delayMs: number; code: ErrorCode; status?: number }
  | { type: 'give-up'; instance: string; call: string; attempt: number; reason: StopReason; code: ErrorCode }
  | { type: 'url-refresh'; instance: string; fileId: number }
  | { type: 'limit'; instance: string; stage: Stage; limit: number; reason: 'throttled' | 'recovered' };

export interface PlatformApiOptions {
  baseUrl: string;
  username: string;
  password: string;
  /** For messages and events. @default the base URL's host */
  name?: string;
  timeouts?: Partial<ApiTimeouts>;
  /** A shared policy (one retry budget for several clients) or options for a new one. */
  retry?: RetryPolicy | RetryOptions;
  /** Maximum concurrency per stage; also sizes the connection pool. */
  limits?: Partial<Record<Stage, number>>;
  /** Lower a stage's limit on 429/503 and raise it back on success. @default true */
  adaptive?: boolean;
  onEvent?: (event: ApiEvent) => void;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface DownloadedFile {
  bytes: Buffer;
  contentType: string;
  originalFilename: string;
}

export interface DownloadedFileInfo {
  bytes: number;
  sha256: string;
  contentType: string;
  originalFilename: string;
}

export interface UploadInput {
  bytes: Uint8Array;
  filename: string;
  contentType: string;
}

const PATHS = {
  login: '/api/v4/token-auth/',
  meta: (fileId: number) => `/api/v1/master-data/file-upload/${fileId}/`,
  upload: '/api/v4/processing/upload/',
  create: '/api/v4/processing/actions/',
};

export class PlatformApi {
  readonly baseUrl: string;
  readonly name: string;
  readonly retry: RetryPolicy;
  readonly timeouts: ApiTimeouts;
  readonly #username: string;
  readonly #password: string;
  readonly #agent: Agent;
  readonly #limiters: Record<Stage, AdaptiveLimiter>;
  readonly #onEvent: (event: ApiEvent) => void;
  #token?: string;
  #loggingIn?: Promise<string>;

  constructor(options: PlatformApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.name = options.name ?? new URL(this.baseUrl).host;
    this.#username = options.username;
    this.#password = options.password;
    registerSecret(options.password);
    this.timeouts = { ...API_TIMEOUT_DEFAULTS, ...options.timeouts };
    this.retry = options.retry instanceof RetryPolicy ? options.retry : new RetryPolicy(options.retry);
    this.#onEvent = options.onEvent ?? (() => undefined);
    const limits = { ...STAGE_LIMIT_DEFAULTS, ...options.limits };
    const limiter = (stage: Stage): AdaptiveLimiter =>
      new AdaptiveLimiter({
        max: limits[stage],
        adaptive: options.adaptive ?? true,
        onLimitChange: (limit, reason) => this.#onEvent({ type: 'limit', instance: this.name, stage, limit, reason }),
      });
    this.#limiters = { download: limiter('download'), upload: limiter('upload'), create: limiter('create') };
    // One pool per origin: every stage's calls in flight at once, plus the login.
    this.#agent = new Agent({ connections: limits.download + limits.upload + limits.create + 1, keepAliveTimeout: 10_000, pipelining: 1 });
  }

  /** The current concurrency limit of a stage (it moves with 429/503 answers). */
  limitOf(stage: Stage): number {
    return this.#limiters[stage].limit;
  }

  /** Logs in (once; concurrent callers share it) and checks the credentials. */
  async login(options: CallOptions = {}): Promise<void> {
    await this.#currentToken(options.signal);
  }

  async getFileMeta(fileId: number, options: CallOptions = {}): Promise<FileMeta> {
    return this.#retrying('file-meta', options.signal, () => this.#limiters.download.run(() => this.#fetchMeta(fileId, options.signal), options));
  }

  async downloadFile(fileId: number, options: CallOptions = {}): Promise<DownloadedFile> {
    return this.#download(fileId, options.signal, async (answered, ex) => {
      const chunks: Buffer[] = [];
      await consume(answered, ex, (chunk) => {
        chunks.push(chunk);
      });
      return Buffer.concat(chunks);
    }).then(({ result, meta, contentType }) => ({ bytes: result, contentType, originalFilename: meta.original_filename }));
  }

  /** Streams the file to `path` (overwritten), hashing on the way; a short body is retried. */
  async downloadFileTo(fileId: number, path: string, options: CallOptions = {}): Promise<DownloadedFileInfo> {
    try {
      const { result, meta, contentType } = await this.#download(fileId, options.signal, async (answered, ex) => {
        const hash = createHash('sha256');
        let bytes = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, callback) {
            hash.update(chunk);
            bytes += chunk.length;
            callback(null, chunk);
          },
        });
        try {
          await pipeline(answered.body, counter, createWriteStream(path));
        } catch (err) {
          answered.done();
          if (isFsError(err)) throw new ScanCopyError('IO_ERROR', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
          throw brokenBody(answered, ex, err, bytes);
        }
        answered.done();
        checkLength(answered, ex, bytes);
        return { bytes, sha256: hash.digest('hex') };
      });
      return { ...result, contentType, originalFilename: meta.original_filename };
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
  }

  async uploadFile(file: UploadInput, options: CallOptions = {}): Promise<{ id: number }> {
    const body = await this.#retrying('upload', options.signal, () =>
      this.#limiters.upload.run(() =>
        this.#authed<{ id?: unknown }>('upload', 'POST', PATHS.upload, this.timeouts.upload, options.signal, () => {
          const form = new FormData();
          form.append('file', new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.contentType }), file.filename);
          form.append('input_type', 'image');
          return form;
        }), options),
    );
    return { id: idOf(body, 'upload', PATHS.upload) };
  }

  /**
   * Never retried here: a timeout, a 5xx or a reset does not tell whether the scan exists,
   * so those become OUTCOME_UNKNOWN for the caller to reconcile against the target DB.
   */
  async createScan(payload: ScanPayload, options: CallOptions = {}): Promise<{ id: number }> {
    const ex = { call: 'create-scan', method: 'POST' as const, url: this.baseUrl + PATHS.create };
    let body: { id?: unknown };
    try {
      body = await this.#limiters.create.run(
        () => this.#authed<{ id?: unknown }>('create-scan', 'POST', PATHS.create, this.timeouts.create, options.signal, () => JSON.stringify(payload), payload),
        options,
      );
    } catch (err) {
      throw unknownOutcome(err, ex, payload) ?? err;
    }
    try {
      return { id: idOf(body, 'create-scan', PATHS.create) };
    } catch (err) {
      throw unknownOutcome(err, ex, payload) ?? err;
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #download<T>(fileId: number, signal: AbortSignal | undefined, read: (answered: Answered, ex: Exchange) => Promise<T>): Promise<{ result: T; meta: FileMeta; contentType: string }> {
    let meta: FileMeta | undefined;
    return this.#retrying('file-content', signal, () =>
      this.#limiters.download.run(async () => {
        meta ??= await this.#fetchMeta(fileId, signal);
        let ex = this.#contentExchange(meta, signal);
        let answered = await exchange(ex);
        if (answered.status === 403) {
          // An expired pre-signed URL: the metadata call hands out a fresh one.
          await discard(answered);
          this.#onEvent({ type: 'url-refresh', instance: this.name, fileId });
          meta = await this.#fetchMeta(fileId, signal);
          ex = this.#contentExchange(meta, signal);
          answered = await exchange(ex);
        }
        if (answered.status !== 200) throw await failure(ex, answered);
        const contentType = headerText(answered.headers['content-type']) ?? 'application/octet-stream';
        const current = meta;
        return { result: await read(answered, ex), meta: current, contentType };
      }, { signal }),
    );
  }

  #contentExchange(meta: FileMeta, signal?: AbortSignal): Exchange {
    // Pre-signed: the Authorization header must not go to the storage.
    return { call: 'file-content', method: 'GET', url: meta.file, timeoutMs: this.timeouts.content, signal, dispatcher: this.#agent };
  }

  async #fetchMeta(fileId: number, signal?: AbortSignal): Promise<FileMeta> {
    const meta = await this.#authed<Partial<FileMeta>>('file-meta', 'GET', PATHS.meta(fileId), this.timeouts.meta, signal);
    if (typeof meta.file !== 'string' || !URL.canParse(meta.file)) {
      throw httpError('SERVER_ERROR', { call: 'file-meta', method: 'GET', url: this.baseUrl + PATHS.meta(fileId) }, 'answered without a download URL', { status: 200 });
    }
    return { id: typeof meta.id === 'number' ? meta.id : fileId, file: meta.file, original_filename: typeof meta.original_filename === 'string' ? meta.original_filename : '' };
  }

  /** One authenticated call; on 401 logs in again (once) and repeats it. */
  async #authed<T>(call: string, method: 'GET' | 'POST', path: string, timeoutMs: number, signal: AbortSignal | undefined, body?: () => string | FormData, payload?: unknown): Promise<T> {
    const send = async (token: string): Promise<{ ex: Exchange; answered: Answered }> => {
      const requestBody = body?.();
      const headers: Record<string, string> = { authorization: `Token ${token}`, accept: 'application/json' };
      if (typeof requestBody === 'string') headers['content-type'] = 'application/json';
      const ex: Exchange = { call, method, url: this.baseUrl + path, headers, body: requestBody, timeoutMs, signal, dispatcher: this.#agent };
      return { ex, answered: await exchange(ex) };
    };
    const token = await this.#currentToken(signal);
    let { ex, answered } = await send(token);
    if (answered.status === 401) {
      await discard(answered);
      this.#onEvent({ type: 'relogin', instance: this.name, call });
      ({ ex, answered } = await send(await this.#relogin(token, signal)));
    }
    if (answered.status < 200 || answered.status >= 300) {
      throw await failure(ex, answered, { payload: answered.status === 400 ? payload : undefined });
    }
    return readJson<T>(ex, answered);
  }

  #currentToken(signal?: AbortSignal): Promise<string> {
    if (this.#token) return Promise.resolve(this.#token);
    return this.#startLogin(signal);
  }

  /** A second caller hitting 401 with the same stale token waits for the same login. */
  #relogin(stale: string, signal?: AbortSignal): Promise<string> {
    if (this.#token && this.#token !== stale) return Promise.resolve(this.#token);
    this.#token = undefined;
    return this.#startLogin(signal);
  }

  #startLogin(signal?: AbortSignal): Promise<string> {
    this.#loggingIn ??= this.#retrying('login', signal, () => this.#loginOnce(signal))
      .then((token) => {
        this.#token = token;
        return token;
      })
      .finally(() => {
        this.#loggingIn = undefined;
      });
    return this.#loggingIn;
  }

  async #loginOnce(signal?: AbortSignal): Promise<string> {
    const ex: Exchange = {
      call: 'login',
      method: 'POST',
      url: this.baseUrl + PATHS.login,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username: this.#username, password: this.#password }),
      timeoutMs: this.timeouts.login,
      signal,
      dispatcher: this.#agent,
    };
    const answered = await exchange(ex);
    if (answered.status === 400 || answered.status === 401 || answered.status === 403) {
      const err = await failure(ex, answered);
      throw new HttpError('AUTH_FAILED', `login to ${this.name} (${this.baseUrl}) refused: ${err.message.replace(/^[^:]*: /, '')}`, err.http, {
        cause: err,
        hint: 'Check the API username and password (SCANCOPY_SOURCE_USERNAME / _PASSWORD, or TARGET).',
      });
    }
    if (answered.status !== 200) throw await failure(ex, answered);
    const body = await readJson<{ token?: unknown }>(ex, answered);
    if (typeof body.token !== 'string' || body.token === '') {
      throw httpError('SERVER_ERROR', ex, 'answered 200 without a token', { status: 200 });
    }
    registerSecret(body.token);
    this.#onEvent({ type: 'login', instance: this.name });
    return body.token;
  }

  #retrying<T>(call: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const code = (e: RetryEvent): ErrorCode => (e.error instanceof ScanCopyError ? e.error.code : 'INTERNAL');
    const status = (e: RetryEvent): number | undefined => (e.error instanceof HttpError ? e.error.http.status : undefined);
    return this.retry.run(fn, {
      signal,
      onRetry: (e) => this.#onEvent({ type: 'retry', instance: this.name, call, attempt: e.attempt, delayMs: e.delayMs ?? 0, code: code(e), status: status(e) }),
      onGiveUp: (e) => {
        if (e.stop !== 'not-retryable') this.#onEvent({ type: 'give-up', instance: this.name, call, attempt: e.attempt, reason: e.stop ?? 'attempts', code: code(e) });
      },
    });
  }
}

/** Create-scan failures after which the scan may or may not exist. */
function unknownOutcome(err: unknown, ex: Pick<Exchange, 'call' | 'method' | 'url'>, payload: unknown): HttpError | undefined {
  if (!(err instanceof ScanCopyError)) return undefined;
  const status = err instanceof HttpError ? err.http.status : undefined;
  const unknown = err.code === 'TIMEOUT' || (err.code === 'SERVER_ERROR' && (status === undefined || status >= 500 || status < 300));
  if (!unknown) return undefined;
  const http = err instanceof HttpError ? err.http : { call: ex.call, method: ex.method, path: new URL(ex.url).pathname };
  return new HttpError('OUTCOME_UNKNOWN', `${err.message} (the scan may or may not have been created)`, { ...http, payload: redactValue(payload) }, {
    cause: err,
    hint: 'The copy workflow checks the target database for a scan with these files before creating again.',
  });
}

async function consume(answered: Answered, ex: Exchange, onChunk: (chunk: Buffer) => void): Promise<void> {
  let bytes = 0;
  try {
    for await (const chunk of answered.body) {
      bytes += (chunk as Buffer).length;
      onChunk(chunk as Buffer);
    }
  } catch (err) {
    throw brokenBody(answered, ex, err, bytes);
  } finally {
    answered.done();
  }
  checkLength(answered, ex, bytes);
}

/** A download cut off mid-body is a truncated transfer (retryable), unless it timed out or was stopped. */
function brokenBody(answered: Answered, ex: Exchange, err: unknown, bytes: number): ScanCopyError {
  const mapped = answered.bodyError(err);
  if (mapped.code !== 'SERVER_ERROR') return mapped;
  const declared = headerText(answered.headers['content-length']);
  return httpError('INTEGRITY', ex, `body ended after ${bytes}${declared ? ` of ${declared}` : ''} bytes`, {}, err);
}

/** A body shorter than its Content-Length is a broken transfer (retryable), not a file. */
function checkLength(answered: Answered, ex: Exchange, bytes: number): void {
  const declared = Number(headerText(answered.headers['content-length']));
  if (Number.isFinite(declared) && headerText(answered.headers['content-length']) !== undefined && bytes !== declared) {
    throw httpError('INTEGRITY', ex, `body ended after ${bytes} of ${declared} bytes`, {});
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function idOf(body: { id?: unknown }, call: string, path: string): number {
  if (typeof body.id === 'number' && Number.isSafeInteger(body.id) && body.id > 0) return body.id;
  throw new HttpError('SERVER_ERROR', `${call}: POST ${path} answered without an id`, { call, method: 'POST', path, status: 201, body: body as unknown });
}

function isFsError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^E(ACCES|NOENT|NOSPC|ROFS|ISDIR|PERM|MFILE|EXIST)$/.test(code);
}
