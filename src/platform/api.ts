/**
 * The platform's REST API (platform.md section 2) for one instance: one login shared by all
 * calls (and one re-login on 401), per-call timeouts, keep-alive connections sized to the
 * stage limits, adaptive concurrency per stage, and the retry policy around every call but
 * create-scan, whose failure with unknown outcome is left to the copy workflow to reconcile.
 */
import { rm } from 'node:fs/promises';
import { Agent } from './undici.js';
import { RUN_DEFAULTS } from '../core/defaults.js';
import { findScanCopyError, HttpError, ScanCopyError, type ErrorCode } from '../core/errors.js';
import { classify } from '../core/failure.js';
import { AdaptiveLimiter } from '../core/limiter.js';
import { redactText, redactValue, registerSecret, urlHasCredentials } from '../core/redact.js';
import { RetryPolicy, type RetryEvent, type RetryOptions, type StopReason } from '../core/retry.js';
import { digestBody, headerText, readBody, writeBody } from './body.js';
import { discard, exchange, failure, httpError, readJson, readPreviewText, type Answered, type Exchange } from './http.js';
import { multipartBody, type FileBytes, type MultipartBody } from './multipart.js';
import { TokenSession } from './session.js';
import { byStage, type Stage } from './stages.js';
import type { FileMeta, ScanPayload } from './types.js';

/** What a limiter bounds: a stage, or the metadata calls made ahead of downloads (`getFileMeta`), sized as the download stage. */
export type LimitedCall = Stage | 'meta';

/** Milliseconds. Defaults: platform.md section 2. */
export interface ApiTimeouts {
  login: number;
  meta: number;
  content: number;
  upload: number;
  create: number;
}

export const API_TIMEOUT_DEFAULTS: ApiTimeouts = RUN_DEFAULTS.callTimeoutsMs;
export const STAGE_LIMIT_DEFAULTS: Record<Stage, number> = RUN_DEFAULTS.limits;

export type ApiEvent =
  | { type: 'login'; instance: string }
  | { type: 'relogin'; instance: string; call: string }
  | { type: 'retry'; instance: string; call: string; attempt: number; delayMs: number; code: ErrorCode; status?: number; message: string }
  | { type: 'give-up'; instance: string; call: string; attempt: number; reason: StopReason; code: ErrorCode; message: string }
  | { type: 'url-refresh'; instance: string; fileId: number }
  | { type: 'limit'; instance: string; stage: LimitedCall; limit: number; reason: 'throttled' | 'recovered' };

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
  /** Absolute time (ms since epoch), e.g. the batch deadline: no retry starts after it. */
  deadline?: number;
  /**
   * Called holding the call's slot of its stage, just before each attempt's request goes out:
   * work that must happen at the send (a journaled intent and its time) happens there, not
   * before a wait for the slot. What it throws ends the call unsent.
   */
  beforeSend?: () => void | Promise<void>;
}

export interface FileDownloadOptions extends CallOptions {
  /** Metadata resolved ahead (`getFileMeta`): the download starts with its URL, and an expired one is refreshed as usual. */
  meta?: FileMeta;
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

export interface RemoteFileInfo {
  /** From Content-Length; undefined when the storage did not say. */
  bytes: number | undefined;
  contentType: string;
  originalFilename: string;
}

/** The bytes to upload: in memory, or a file on disk (`size` bytes) that each attempt reads again. */
export type UploadInput = FileBytes & {
  filename: string;
  contentType: string;
  /** `input_type`: the source file's type (`image`, `video`, `keyframe`), never assumed. */
  inputType: string;
};

export interface FetchFileOptions extends FileDownloadOptions {
  /**
   * Asked once the answer's headers are in (each attempt), with its Content-Length when it
   * has one: a path to stream the body to, or a buffer of exactly that length to read it into.
   */
  spoolTo(declaredBytes: number | undefined): string | Buffer;
}

/** A downloaded file, in memory or in the spool file asked for, with the sha256 of a spooled one. */
export type FetchedFile = { contentType: string; originalFilename: string; size: number } & ({ bytes: Buffer } | { path: string; sha256: string });

const PATHS = {
  login: '/api/v4/token-auth/',
  meta: (fileId: number) => `/api/v1/master-data/file-upload/${fileId}/`,
  upload: '/api/v4/processing/upload/',
  create: '/api/v4/processing/actions/',
  action: (scanId: number) => `/api/v4/processing/actions/${scanId}/`,
};

export class PlatformApi {
  readonly baseUrl: string;
  readonly name: string;
  readonly retry: RetryPolicy;
  readonly timeouts: ApiTimeouts;
  readonly #username: string;
  readonly #password: string;
  readonly #agent: Agent;
  readonly #limiters: Record<LimitedCall, AdaptiveLimiter>;
  readonly #onEvent: (event: ApiEvent) => void;
  /** Set by the first log-in: from then on a refused connection is a host restarting, not a wrong URL. */
  #answered = false;
  readonly #session = new TokenSession((signal) => this.#retrying('login', { signal }, () => this.#loginOnce(signal)));

  constructor(options: PlatformApiOptions) {
    if (!/^https?:\/\//i.test(options.baseUrl) || !URL.canParse(options.baseUrl)) {
      throw new ScanCopyError('CONFIG_INVALID', `API URL = ${JSON.stringify(redactText(options.baseUrl))}: expected an http:// or https:// URL`);
    }
    if (urlHasCredentials(options.baseUrl)) {
      // It would reach logs, errors and the checkpoint's job: credentials go in `username`/`password`.
      throw new ScanCopyError('CONFIG_INVALID', `API URL = ${JSON.stringify(redactText(options.baseUrl))}: must not hold a user name or password`, { hint: 'Pass them as username and password instead.' });
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.name = options.name ?? new URL(this.baseUrl).host;
    this.#username = options.username;
    this.#password = options.password;
    registerSecret(options.password);
    this.timeouts = { ...API_TIMEOUT_DEFAULTS, ...options.timeouts };
    this.retry = options.retry instanceof RetryPolicy ? options.retry : new RetryPolicy(options.retry);
    this.#onEvent = options.onEvent ?? (() => undefined);
    const limits = { ...STAGE_LIMIT_DEFAULTS, ...options.limits };
    const limiter = (stage: LimitedCall): AdaptiveLimiter =>
      new AdaptiveLimiter({
        max: limits[stage === 'meta' ? 'download' : stage],
        adaptive: options.adaptive ?? true,
        onLimitChange: (limit, reason) => this.#onEvent({ type: 'limit', instance: this.name, stage, limit, reason }),
      });
    this.#limiters = { meta: limiter('meta'), ...byStage(limiter) };
    // One pool per origin: every limiter's calls in flight at once, plus the login.
    this.#agent = new Agent({ connections: 2 * limits.download + limits.upload + limits.create + 1, keepAliveTimeout: 10_000, pipelining: 1 });
  }

  /** The current concurrency limit of a stage (it moves with 429/503 answers). */
  limitOf(stage: LimitedCall): number {
    return this.#limiters[stage].limit;
  }

  /** Logs in (once; concurrent callers share it) and checks the credentials. */
  async login(options: CallOptions = {}): Promise<void> {
    await this.#session.current(options.signal);
  }

  /** A file's metadata and pre-signed URL, under its own limiter: resolving ahead never takes a download's place. */
  async getFileMeta(fileId: number, options: CallOptions = {}): Promise<FileMeta> {
    return this.#retrying('file-meta', options, () => this.#limiters.meta.run(() => this.#fetchMeta(fileId, options.signal), options));
  }

  async downloadFile(fileId: number, options: FileDownloadOptions = {}): Promise<DownloadedFile> {
    const { result, meta, contentType } = await this.#download(fileId, options, readBody);
    return { bytes: result, contentType, originalFilename: meta.original_filename };
  }

  /** The file's size and sha256, streamed and dropped: a file of any size costs no memory. */
  async digestFile(fileId: number, options: FileDownloadOptions = {}): Promise<DownloadedFileInfo> {
    const { result, meta, contentType } = await this.#download(fileId, options, digestBody);
    return { ...result, contentType, originalFilename: meta.original_filename };
  }

  /** Streams the file to `path` (overwritten), hashing on the way; a short body is retried, a failed download leaves no file. */
  async downloadFileTo(fileId: number, path: string, options: FileDownloadOptions = {}): Promise<DownloadedFileInfo> {
    try {
      const { result, meta, contentType } = await this.#download(fileId, options, (answered, ex) => writeBody(answered, ex, path));
      return { ...result, contentType, originalFilename: meta.original_filename };
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
  }

  /** A file's name, type and size without its bytes (a video's placeholder): the download is dropped once its headers are in. */
  async fileInfo(fileId: number, options: FileDownloadOptions = {}): Promise<RemoteFileInfo> {
    const { result, meta, contentType } = await this.#download(fileId, options, async (answered) => {
      const length = Number(headerText(answered.headers['content-length']));
      await discard(answered);
      return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
    });
    return { bytes: result, contentType, originalFilename: meta.original_filename };
  }

  /**
   * Downloads into memory or into a spool file, as `spoolTo` decides from the answer's size; a
   * failed download leaves no spool file.
   */
  async fetchFile(fileId: number, options: FetchFileOptions): Promise<FetchedFile> {
    let path: string | undefined;
    try {
      const { result, meta, contentType } = await this.#download(fileId, options, async (answered, ex) => {
        if (path !== undefined) await rm(path, { force: true });
        const declared = Number(headerText(answered.headers['content-length']) ?? Number.NaN);
        const into = options.spoolTo(Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined);
        if (typeof into !== 'string') {
          const bytes = await readBody(answered, ex, into);
          return { bytes, size: bytes.length };
        }
        path = into;
        const written = await writeBody(answered, ex, path);
        return { path, size: written.bytes, sha256: written.sha256 };
      });
      return { ...result, contentType, originalFilename: meta.original_filename };
    } catch (err) {
      if (path !== undefined) await rm(path, { force: true });
      throw err;
    }
  }

  async uploadFile(file: UploadInput, options: CallOptions = {}): Promise<{ id: number }> {
    const body = await this.#retrying('upload', options, () =>
      this.#limiters.upload.run(async () => {
        await options.beforeSend?.();
        return this.#authed<{ id?: unknown }>('upload', 'POST', PATHS.upload, this.timeouts.upload, options.signal, () =>
          multipartBody({ input_type: file.inputType }, { ...file, field: 'file' }),
        );
      }, options),
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
    let sent = false;
    try {
      body = await this.#limiters.create.run(async () => {
        await options.beforeSend?.();
        sent = true;
        return this.#authed<{ id?: unknown }>('create-scan', 'POST', PATHS.create, this.timeouts.create, options.signal, () => JSON.stringify(payload), payload);
      }, options);
    } catch (err) {
      // Stopped before the request was made (waiting for a slot, or by `beforeSend`): nothing to settle.
      throw (sent ? unknownOutcome(err, ex, payload) : undefined) ?? err;
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

  async #download<T>(fileId: number, options: FileDownloadOptions, read: (answered: Answered, ex: Exchange) => Promise<T>): Promise<{ result: T; meta: FileMeta; contentType: string }> {
    const signal = options.signal;
    let meta = options.meta;
    return this.#retrying('file-content', options, () =>
      this.#limiters.download.run(async () => {
        await options.beforeSend?.();
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
          if (answered.status === 403) {
            // Refreshed and still refused (a clock skew or a very short expiry): the next
            // attempt of the retry policy starts again from fresh metadata.
            meta = undefined;
            const refused = await failure(ex, answered);
            throw new HttpError('URL_EXPIRED', `${refused.message} (the download URL was refused twice)`, refused.http, { cause: refused });
          }
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
  /**
   * Deletes a scan (platform.md section 8). True when it was deleted now, false when the
   * instance has no such scan (404): gone either way, so a repeated delete is harmless.
   */
  async deleteScan(scanId: number, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.#retrying('delete-scan', options, () => this.#authed<undefined>('delete-scan', 'DELETE', PATHS.action(scanId), this.timeouts.create, options.signal));
      return true;
    } catch (err) {
      if (findScanCopyError(err)?.code === 'NOT_FOUND') return false;
      throw err;
    }
  }

  async #authed<T>(call: string, method: 'GET' | 'POST' | 'DELETE', path: string, timeoutMs: number, signal: AbortSignal | undefined, body?: () => string | MultipartBody, payload?: unknown): Promise<T> {
    const send = async (token: string): Promise<{ ex: Exchange; answered: Answered }> => {
      const made = body?.();
      const headers: Record<string, string> = { authorization: `Token ${token}`, accept: 'application/json' };
      if (typeof made === 'string') headers['content-type'] = 'application/json';
      else if (made) Object.assign(headers, { 'content-type': made.contentType, 'content-length': String(made.contentLength) });
      const requestBody = typeof made === 'object' ? made.stream() : made;
      const ex: Exchange = { call, method, url: this.baseUrl + path, headers, body: requestBody, timeoutMs, signal, dispatcher: this.#agent };
      return { ex, answered: await exchange(ex) };
    };
    const token = await this.#session.current(signal);
    let { ex, answered } = await send(token);
    if (answered.status === 401) {
      await discard(answered);
      this.#onEvent({ type: 'relogin', instance: this.name, call });
      ({ ex, answered } = await send(await this.#session.renew(token, signal)));
    }
    if (answered.status < 200 || answered.status >= 300) {
      throw await failure(ex, answered, { payload: answered.status === 400 ? payload : undefined });
    }
    if (answered.status === 204) {
      await discard(answered);
      return undefined as T;
    }
    return readJson<T>(ex, answered);
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
    const page = webPage(answered, this.#answered);
    if (page) throw await this.#notAnApi(ex, answered, page);
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
    this.#answered = true;
    this.#onEvent({ type: 'login', instance: this.name });
    return body.token;
  }

  /**
   * A web UI, a proxy's sign-in page or a redirect where the log-in API should be: the URL
   * is wrong, and no retry or other password mends it (exit 4, as an unreachable instance).
   */
  async #notAnApi(ex: Exchange, answered: Answered, page: 'html' | 'redirect'): Promise<HttpError> {
    const location = headerText(answered.headers.location);
    const text = await readPreviewText(answered);
    const title = /<title[^>]*>([^<]*)</i.exec(text)?.[1]?.replace(/\s+/g, ' ').trim();
    const what =
      page === 'redirect'
        ? `answered ${answered.status}, a redirect${location ? ` to ${safeLocation(location, ex.url)}` : ''}`
        : `answered HTML with ${answered.status}${title ? `: "${title.slice(0, 80)}"` : ''}`;
    const http = { call: ex.call, method: ex.method, path: PATHS.login, status: answered.status, body: redactText(text.slice(0, 500)) };
    return new HttpError('UNREACHABLE', redactText(`${this.name} (${this.baseUrl}) is not a platform API (${what}) at POST ${PATHS.login}`), http, {
      hint: "Check the API URL (--source-api / --target-api or the config file): it must be the platform's API, not its web UI or a proxy's sign-in page.",
    });
  }

  #retrying<T>(call: string, options: CallOptions, fn: () => Promise<T>): Promise<T> {
    const code = (e: RetryEvent): ErrorCode => classify(e.error).code;
    const status = (e: RetryEvent): number | undefined => classify(e.error).status;
    const message = (e: RetryEvent): string => redactText(e.error instanceof Error ? e.error.message : String(e.error));
    return this.retry.run(fn, {
      signal: options.signal,
      deadline: options.deadline,
      // A wrong URL fails at once; an instance that answered before and now refuses
      // connections is restarting (a deploy), and a refused request never reached it.
      alsoRetry: this.#answered ? RETRIED_ONCE_ANSWERED : undefined,
      onRetry: (e) => this.#onEvent({ type: 'retry', instance: this.name, call, attempt: e.attempt, delayMs: e.delayMs ?? 0, code: code(e), status: status(e), message: message(e) }),
      onGiveUp: (e) => {
        if (e.stop !== 'not-retryable') this.#onEvent({ type: 'give-up', instance: this.name, call, attempt: e.attempt, reason: e.stop ?? 'attempts', code: code(e), message: message(e) });
      },
    });
  }
}

/**
 * A log-in answered by a web page: a redirect, or HTML with a status the platform's log-in
 * never gives with HTML (a 2xx before the instance ever answered as an API, or a 4xx). HTML
 * with a 5xx or 429 is a maintenance or busy page and is retried as such; so is a 2xx once the
 * instance has answered as an API.
 */
function webPage(answered: Answered, answeredBefore: boolean): 'html' | 'redirect' | undefined {
  const { status } = answered;
  if (status >= 300 && status < 400) return 'redirect';
  if (!/html/i.test(headerText(answered.headers['content-type']) ?? '')) return undefined;
  if (status >= 400 && status < 500 && status !== 429) return 'html';
  return status >= 200 && status < 300 && !answeredBefore ? 'html' : undefined;
}

/** A redirect's target as origin and path: a sign-in URL's query may carry a state or a token. */
function safeLocation(location: string, base: string): string {
  try {
    const url = new URL(location, base);
    return url.origin + url.pathname;
  } catch {
    return '(unreadable location)';
  }
}

const RETRIED_ONCE_ANSWERED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['UNREACHABLE']);

/** Create-scan failures after which the scan may or may not exist: the answer was lost on the way. */
function unknownOutcome(err: unknown, ex: Pick<Exchange, 'call' | 'method' | 'url'>, payload: unknown): HttpError | undefined {
  const known = findScanCopyError(err);
  if (!known || !classify(err).answerLost) return undefined;
  const http = known instanceof HttpError ? known.http : { call: ex.call, method: ex.method, path: new URL(ex.url).pathname };
  return new HttpError('OUTCOME_UNKNOWN', `${known.message} (the scan may or may not have been created)`, { ...http, payload: redactValue(payload) }, {
    cause: err,
    hint: 'The copy workflow checks the target database for a scan with these files before creating again.',
  });
}

function idOf(body: { id?: unknown }, call: string, path: string): number {
  if (typeof body.id === 'number' && Number.isSafeInteger(body.id) && body.id > 0) return body.id;
  throw new HttpError('SERVER_ERROR', `${call}: POST ${path} answered without an id`, { call, method: 'POST', path, status: 201, body: body as unknown });
}
