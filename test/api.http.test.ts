/**
 * PlatformApi against a scripted node:http server: which failures are retried, how long it
 * waits, how login and 401 work, what create-scan does with an unknown outcome, and what
 * its errors carry (never a secret, never a pre-signed query).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../src/core/errors.js';
import { exitCodeFor } from '../src/core/failure.js';
import { PlatformApi, type ApiEvent, type PlatformApiOptions } from '../src/platform/api.js';
import type { ScanPayload } from '../src/platform/types.js';
import { CREATE_PATH, LOGIN_PATH, metaPath, startScriptedServer, UPLOAD_PATH, type ScriptedServer, type Step } from './helpers/scripted-server.js';

const PASSWORD = 'pw-http-suite-5b1d';
const TOKEN = 'tok-http-suite-8c2e4f';
const login: Step = { status: 200, json: { id: 1, token: TOKEN } };
const fast = { retries: 3, baseMs: 5, capMs: 20, retryAfterCapMs: 5000 };

let server: ScriptedServer;
let api: PlatformApi;
let events: ApiEvent[];
let dir: string;

function client(options: Partial<PlatformApiOptions> = {}): PlatformApi {
  return new PlatformApi({ baseUrl: server.url, username: 'u', password: PASSWORD, retry: fast, onEvent: (e) => events.push(e), ...options });
}

function contentScript(path: string, bytes: Buffer, steps: Step[] = []): void {
  server.script(path, [...steps, { status: 200, text: bytes.toString('latin1'), headers: { 'content-type': 'image/png' } }]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scancopy-api-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  server = await startScriptedServer();
  server.script(LOGIN_PATH, [login]);
  events = [];
  api = client();
});
afterEach(async () => {
  await api.close();
  await server.close();
});

describe('retryable failures', () => {
  it.each([502, 503, 504, 429])('retries %i and then passes', async (status) => {
    server.script(metaPath(1), [{ status, text: '<html>busy</html>', headers: { 'retry-after': '0' } }, { status: 200, json: { id: 1, file: `${server.url}/m/1`, original_filename: 'a.png' } }]);
    const meta = await api.getFileMeta(1);
    expect(meta.original_filename).toBe('a.png');
    expect(server.count(metaPath(1))).toBe(2);
    expect(events).toContainEqual(expect.objectContaining({ type: 'retry', call: 'file-meta', status }));
  });

  it('retries a connection reset and a call that hangs past its timeout', async () => {
    api = client({ timeouts: { meta: 150 } });
    server.script(metaPath(2), [{ reset: true }, { hang: true }, { status: 200, json: { id: 2, file: `${server.url}/m/2`, original_filename: 'b.png' } }]);
    await expect(api.getFileMeta(2)).resolves.toMatchObject({ id: 2 });
    expect(server.count(metaPath(2))).toBe(3);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { code: string }).code)).toEqual(['SERVER_ERROR', 'TIMEOUT']);
  });

  it('retries a 200 whose body is an HTML maintenance page, as a 503, and then passes', async () => {
    server.script(metaPath(15), [{ status: 200, text: '<html>Down for maintenance</html>' }, { status: 200, json: { id: 15, file: `${server.url}/m/15`, original_filename: 'o.png' } }]);
    await expect(api.getFileMeta(15)).resolves.toMatchObject({ id: 15 });
    expect(server.count(metaPath(15))).toBe(2);
    expect(events).toContainEqual(expect.objectContaining({ type: 'retry', call: 'file-meta', code: 'SERVER_ERROR', status: 200 }));
  });

  it('says plainly when every answer is a maintenance page', async () => {
    server.script(metaPath(16), [{ status: 200, text: '<html>Down for maintenance</html>' }]);
    const err = (await api.getFileMeta(16).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('SERVER_ERROR');
    expect(err.message).toMatch(/answered 200 with a page that is not JSON \(a maintenance page/);
    expect(server.count(metaPath(16))).toBe(4);
  });

  it('the caller\'s signal stops a call at once, without retries', async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    server.script(metaPath(14), [() => {
      abortedAt = Date.now();
      controller.abort();
      return { hang: true };
    }]);
    await expect(api.getFileMeta(14, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(server.count(metaPath(14))).toBe(1);
  });

  it('gives up after the retries with the last error', async () => {
    server.script(metaPath(3), [{ status: 503, text: 'down' }]);
    const err = await api.getFileMeta(3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ code: 'SERVER_ERROR', http: { call: 'file-meta', method: 'GET', path: metaPath(3), status: 503, body: 'down' } });
    expect(server.count(metaPath(3))).toBe(4);
  });
});

describe('Retry-After', () => {
  it('waits the seconds form', async () => {
    server.script(metaPath(4), [{ status: 429, json: { detail: 'throttled' }, headers: { 'retry-after': '1' } }, { status: 200, json: { id: 4, file: `${server.url}/m/4`, original_filename: 'x' } }]);
    const started = Date.now();
    await api.getFileMeta(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(events).toContainEqual(expect.objectContaining({ type: 'retry', delayMs: 1000 }));
  });

  it('waits the HTTP-date form', async () => {
    const at = new Date(Math.ceil((Date.now() + 500) / 1000) * 1000);
    server.script(metaPath(5), [{ status: 503, text: 'deploying', headers: { 'retry-after': at.toUTCString() } }, { status: 200, json: { id: 5, file: `${server.url}/m/5`, original_filename: 'x' } }]);
    await api.getFileMeta(5);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime() - 50);
    const retry = events.find((e) => e.type === 'retry') as { delayMs: number };
    expect(retry.delayMs).toBeGreaterThan(300);
    expect(retry.delayMs).toBeLessThanOrEqual(1600);
  });

  it('caps a long Retry-After', async () => {
    api = client({ retry: { ...fast, retryAfterCapMs: 30 } });
    server.script(metaPath(6), [{ status: 429, text: '', headers: { 'retry-after': '3600' } }, { status: 200, json: { id: 6, file: `${server.url}/m/6`, original_filename: 'x' } }]);
    const started = Date.now();
    await api.getFileMeta(6);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(events).toContainEqual(expect.objectContaining({ type: 'retry', delayMs: 30 }));
  });
});

describe('answers that are not retried blindly', () => {
  it.each([
    [400, 'BAD_REQUEST'],
    [403, 'AUTH_FAILED'],
    [404, 'NOT_FOUND'],
    [500, 'SERVER_ERROR'],
  ])('%i is one attempt, %s', async (status, code) => {
    server.script(metaPath(7), [{ status, json: { detail: `status ${status}` } }]);
    await expect(api.getFileMeta(7)).rejects.toMatchObject({ code, http: { status, body: { detail: `status ${status}` } } });
    expect(server.count(metaPath(7))).toBe(1);
  });

  it('401 logs in again once and repeats the call with the new token', async () => {
    server.script(LOGIN_PATH, [login, { status: 200, json: { id: 1, token: `${TOKEN}-2` } }]);
    server.script(metaPath(8), [{ status: 401, json: { detail: 'Invalid token.' } }, { status: 200, json: { id: 8, file: `${server.url}/m/8`, original_filename: 'x' } }]);
    await api.getFileMeta(8);
    expect(server.count(LOGIN_PATH)).toBe(2);
    const auths = server.requests.filter((r) => r.path === metaPath(8)).map((r) => r.headers.authorization);
    expect(auths).toEqual([`Token ${TOKEN}`, `Token ${TOKEN}-2`]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'relogin', call: 'file-meta' }));
  });

  it('a second 401 after the re-login is AUTH_FAILED, with no more attempts', async () => {
    server.script(metaPath(9), [{ status: 401, json: { detail: 'Invalid token.' } }]);
    await expect(api.getFileMeta(9)).rejects.toMatchObject({ code: 'AUTH_FAILED', http: { status: 401 } });
    expect(server.count(metaPath(9))).toBe(2);
    expect(server.count(LOGIN_PATH)).toBe(2);
  });

  it('logs in once for many concurrent calls', async () => {
    server.script(LOGIN_PATH, [{ ...login, delayMs: 30 }]);
    server.script(metaPath(10), [{ status: 200, json: { id: 10, file: `${server.url}/m/10`, original_filename: 'x' } }]);
    await Promise.all(Array.from({ length: 8 }, () => api.getFileMeta(10)));
    expect(server.count(LOGIN_PATH)).toBe(1);
  });

  it('bad credentials are AUTH_FAILED with the platform message and no retry', async () => {
    server.script(LOGIN_PATH, [{ status: 400, json: { non_field_errors: ['Unable to log in with provided credentials.'] } }]);
    const err = (await api.login().catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain('Unable to log in with provided credentials.');
    expect(server.count(LOGIN_PATH)).toBe(1);
    expect(JSON.stringify(server.requests[0]?.body.toString())).toContain(PASSWORD);
    expect(`${err.message} ${JSON.stringify(err.context)}`).not.toContain(PASSWORD);
  });

  it('a login answered 503 is retried', async () => {
    server.script(LOGIN_PATH, [{ status: 503, text: 'x' }, login]);
    await api.login();
    expect(server.count(LOGIN_PATH)).toBe(2);
  });

  it.each<[string, { status: number; text: string }]>([
    ['a web UI page (200)', { status: 200, text: '<!doctype html><html><head><title>Shelf Platform</title></head><body>Welcome</body></html>' }],
    ["a proxy's sign-in page (401)", { status: 401, text: '<html><head><title>Sign in</title></head></html>' }],
    ['a 405 page of a web server', { status: 405, text: '<html><body>Method Not Allowed</body></html>' }],
  ])('a log-in answered by %s is UNREACHABLE "not a platform API" at once, naming the instance', async (_name, step) => {
    server.script(LOGIN_PATH, [step]);
    api = client({ name: 'stgalbt' });
    const err = (await api.login().catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('UNREACHABLE');
    expect(err.message).toMatch(new RegExp(`^stgalbt \\(${server.url.replace(/[.]/g, '\\.')}\\) is not a platform API \\(answered HTML with ${step.status}`));
    expect(err.message).not.toContain('\n');
    expect(server.count(LOGIN_PATH)).toBe(1);
    expect(exitCodeFor(err)).toBe(4);
  });

  it('the page title names what answered', async () => {
    server.script(LOGIN_PATH, [{ status: 200, text: '<html><head><title>Shelf Platform</title></head></html>' }]);
    await expect(api.login()).rejects.toThrow(/answered HTML with 200: "Shelf Platform"\) at POST \/api\/v4\/token-auth\//);
  });

  it('a log-in redirected (a sign-in proxy) is UNREACHABLE, with the target but not its query', async () => {
    server.script(LOGIN_PATH, [{ status: 302, text: '', headers: { location: 'https://sso.example.com/login?state=s3cr3t-state' } }]);
    const err = (await api.login().catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('UNREACHABLE');
    expect(err.message).toContain('is not a platform API (answered 302, a redirect to https://sso.example.com/login)');
    expect(JSON.stringify(err.message)).not.toContain('s3cr3t-state');
  });

  it('a log-in answered a 503 maintenance page is retried as before, not "not a platform API"', async () => {
    server.script(LOGIN_PATH, [{ status: 503, text: '<html>Down for maintenance</html>' }, login]);
    await api.login();
    expect(server.count(LOGIN_PATH)).toBe(2);
  });

  it('a base URL that is not http(s) is CONFIG_INVALID', () => {
    expect(() => client({ baseUrl: 'ftp://x' })).toThrow(/API URL = "ftp:\/\/x"/);
  });

  it('connection refused is UNREACHABLE at once', async () => {
    const closed = await startScriptedServer();
    await closed.close();
    const offline = client({ baseUrl: closed.url });
    await expect(offline.login()).rejects.toMatchObject({ code: 'UNREACHABLE' });
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    await offline.close();
  });
});

describe('an instance that answered, then refuses connections (a restart)', () => {
  const patient = { retries: 8, baseMs: 40, capMs: 80, budgetMinRetries: 100 };

  it('retries a call until the instance is back, and the call passes', async () => {
    api = client({ retry: patient });
    await api.login();
    const port = Number(new URL(server.url).port);
    await server.close();
    const back = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const restarted = await startScriptedServer(port);
      restarted.script(metaPath(31), [{ status: 200, json: { id: 31, file: `${restarted.url}/media/31`, original_filename: 'a.png' } }]);
      return restarted;
    })();
    await expect(api.getFileMeta(31)).resolves.toMatchObject({ id: 31 });
    server = await back;
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { code: string }).code)).toContain('UNREACHABLE');
  });

  it('never re-sends a create: it fails UNREACHABLE after one attempt (the scan was not created)', async () => {
    api = client({ retry: patient });
    await api.login();
    const port = Number(new URL(server.url).port);
    await server.close();
    await expect(api.createScan({ files: [1] } as unknown as ScanPayload)).rejects.toMatchObject({ code: 'UNREACHABLE' });
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    server = await startScriptedServer(port);
  });
});

describe('deadline and budget over HTTP', () => {
  it('the deadline stops retries of a call', async () => {
    api = client({ retry: { retries: 50, baseMs: 40, capMs: 40, deadlineMs: 200, budgetMinRetries: 100 } });
    server.script(metaPath(11), [{ status: 503, text: 'down' }]);
    const started = Date.now();
    await expect(api.getFileMeta(11)).rejects.toMatchObject({ code: 'SERVER_ERROR' });
    expect(Date.now() - started).toBeLessThan(1000);
    // 51 attempts without the deadline; waits of 0-40 ms leave room for a few dozen at most.
    expect(server.count(metaPath(11))).toBeLessThan(40);
    expect(events).toContainEqual(expect.objectContaining({ type: 'give-up', reason: 'deadline' }));
  });

  it("a call's own deadline (the batch deadline) stops its retries", async () => {
    api = client({ retry: { retries: 50, baseMs: 30, capMs: 30, budgetMinRetries: 100 } });
    server.script(metaPath(13), [{ status: 502, text: 'down' }]);
    await expect(api.getFileMeta(13, { deadline: Date.now() + 100 })).rejects.toMatchObject({ code: 'SERVER_ERROR' });
    expect(server.count(metaPath(13))).toBeLessThan(30);
    expect(events).toContainEqual(expect.objectContaining({ type: 'give-up', reason: 'deadline', message: expect.stringContaining('answered 502') }));
  });

  it('the budget caps retries during a long outage', async () => {
    api = client({ retry: { retries: 3, baseMs: 1, capMs: 2, budgetRatio: 0.1, budgetMinRetries: 3 } });
    server.script(metaPath(12), [{ status: 503, text: 'outage' }]);
    for (let i = 0; i < 40; i++) await api.getFileMeta(12).catch(() => undefined);
    // 40 calls; without the budget 160 requests.
    expect(server.count(metaPath(12))).toBeLessThanOrEqual(40 + 3 + 4);
    expect(events.filter((e) => e.type === 'give-up' && e.reason === 'budget').length).toBeGreaterThan(30);
  });
});

describe('create scan', () => {
  const payload = { store: 1, files: [5, 6], captured_at: 1_700_000_000 };

  it('returns the new id', async () => {
    server.script(CREATE_PATH, [{ status: 201, json: { id: 77 } }]);
    await expect(api.createScan(payload)).resolves.toEqual({ id: 77 });
    expect(JSON.parse(server.requests.find((r) => r.path === CREATE_PATH)?.body.toString() ?? '')).toEqual(payload);
  });

  it.each<[string, Step]>([
    ['502', { status: 502, text: '<html>Bad Gateway</html>' }],
    ['503', { status: 503, text: 'x' }],
    ['a reset', { reset: true }],
    ['a timeout', { hang: true }],
    ['a 201 without an id', { status: 201, json: { ok: true } }],
    ['a 201 with an HTML page', { status: 201, text: '<html>Created?</html>' }],
  ])('%s is OUTCOME_UNKNOWN after one attempt', async (_name, step) => {
    api = client({ timeouts: { create: 150 } });
    server.script(CREATE_PATH, [step]);
    const err = (await api.createScan(payload).catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.code).toBe('OUTCOME_UNKNOWN');
    expect(err.http).toMatchObject({ call: 'create-scan', method: 'POST', path: CREATE_PATH });
    expect(server.count(CREATE_PATH)).toBe(1);
  });

  it('400 is BAD_REQUEST with the payload and the body', async () => {
    server.script(CREATE_PATH, [{ status: 400, json: { store: ['Invalid pk "1" - object does not exist.'] } }]);
    const err = (await api.createScan(payload).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.http.payload).toEqual(payload);
    expect(err.http.body).toEqual({ store: ['Invalid pk "1" - object does not exist.'] });
    expect(err.message).toContain('Invalid pk');
    expect(server.count(CREATE_PATH)).toBe(1);
  });

  it('429 is RATE_LIMITED (not created, known) and not retried here', async () => {
    server.script(CREATE_PATH, [{ status: 429, text: '', headers: { 'retry-after': '2' } }]);
    await expect(api.createScan(payload)).rejects.toMatchObject({ code: 'RATE_LIMITED', http: { retryAfterMs: 2000 } });
    expect(server.count(CREATE_PATH)).toBe(1);
  });

  it('401 re-logs in and sends once more: the platform refused it before creating anything', async () => {
    server.script(CREATE_PATH, [{ status: 401, json: { detail: 'Invalid token.' } }, { status: 201, json: { id: 78 } }]);
    await expect(api.createScan(payload)).resolves.toEqual({ id: 78 });
    expect(server.count(CREATE_PATH)).toBe(2);
  });
});

describe('files', () => {
  const bytes = Buffer.from('PNG-bytes-0123456789-'.repeat(40), 'latin1');
  const sha = createHash('sha256').update(bytes).digest('hex');
  const signed = (id: number) => `${server.url}/media/${id}?expires=1&signature=s3cr3t-sig-value`;

  it('fetches the pre-signed URL without the Authorization header and hashes while streaming', async () => {
    server.script(metaPath(20), [{ status: 200, json: { id: 20, file: signed(20), original_filename: 'shelf_01.png' } }]);
    contentScript('/media/20', bytes);
    const out = join(dir, 'f20.png');
    const got = await api.downloadFileTo(20, out);
    expect(got).toEqual({ bytes: bytes.length, sha256: sha, contentType: 'image/png', originalFilename: 'shelf_01.png' });
    expect(await readFile(out)).toEqual(bytes);
    const media = server.requests.find((r) => r.path === '/media/20');
    expect(media?.headers.authorization).toBeUndefined();
    expect(server.requests.find((r) => r.path === metaPath(20))?.headers.authorization).toBe(`Token ${TOKEN}`);
  });

  it('a truncated body is detected and retried', async () => {
    server.script(metaPath(21), [{ status: 200, json: { id: 21, file: signed(21), original_filename: 'a.png' } }]);
    contentScript('/media/21', bytes, [{ truncate: bytes.subarray(0, 100) }]);
    const got = await api.downloadFile(21);
    expect(got.bytes).toEqual(bytes);
    expect(server.count('/media/21')).toBe(2);
    expect(server.count(metaPath(21))).toBe(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'retry', call: 'file-content', code: 'INTEGRITY' }));
  });

  it('a body shorter than its Content-Length never passes as a file, and the partial file is removed', async () => {
    server.script(metaPath(22), [{ status: 200, json: { id: 22, file: signed(22), original_filename: 'a.png' } }]);
    server.script('/media/22', [{ truncate: bytes.subarray(0, 64) }]);
    const out = join(dir, 'f22.png');
    const err = (await api.downloadFileTo(22, out).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('INTEGRITY');
    expect(err.message).toMatch(/64 of 128 bytes/);
    await expect(readFile(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an expired URL (403) is refreshed through the metadata call', async () => {
    server.script(metaPath(23), [{ status: 200, json: { id: 23, file: signed(23), original_filename: 'a.png' } }]);
    contentScript('/media/23', bytes, [{ status: 403, text: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' }]);
    const got = await api.downloadFile(23);
    expect(got.bytes).toEqual(bytes);
    expect(server.count(metaPath(23))).toBe(2);
    expect(events).toContainEqual(expect.objectContaining({ type: 'url-refresh', fileId: 23 }));
  });

  it('errors name the URL path, never the signed query', async () => {
    server.script(metaPath(24), [{ status: 200, json: { id: 24, file: signed(24), original_filename: 'a.png' } }]);
    server.script('/media/24', [{ status: 404, text: '<Error><Code>NoSuchKey</Code></Error>' }]);
    const err = (await api.downloadFile(24).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('NOT_FOUND');
    expect(err.http.path).toBe('/media/24');
    expect(`${err.message} ${JSON.stringify(err.context)}`).not.toMatch(/s3cr3t|signature=/);
  });

  it('uploads multipart with the filename and input_type=image', async () => {
    server.script(UPLOAD_PATH, [{ status: 503, text: 'busy' }, { status: 201, json: { id: 900 } }]);
    await expect(api.uploadFile({ bytes, filename: 'shelf_01.png', contentType: 'image/png', inputType: 'image' })).resolves.toEqual({ id: 900 });
    const sent = server.requests.filter((r) => r.path === UPLOAD_PATH).at(-1);
    expect(sent?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const text = sent?.body.toString('latin1') ?? '';
    expect(text).toContain('filename="shelf_01.png"');
    expect(text).toContain('name="input_type"');
    expect(text).toContain(bytes.toString('latin1'));
  });
});
