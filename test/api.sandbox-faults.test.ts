/**
 * PlatformApi against the sandbox's injected faults (seeded, calls in sequence so a run
 * replays): every retryable fault is retried and the call passes with the right bytes; an
 * expired URL is refreshed; a truncated body never passes; a lost create is OUTCOME_UNKNOWN
 * and the scan really exists; expired tokens mean one re-login.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../src/core/errors.js';
import { PlatformApi, type ApiEvent } from '../src/platform/api.js';
import { selectScansByFileIds } from '../src/platform/queries.js';
import { drawShelfPng } from '../src/sandbox/png.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { rawApi, startTestSandbox } from './helpers/sandbox.js';

const files = [0, 1, 2].map((variant) => drawShelfPng({ planogramId: 1, sectionId: 2, planogramName: 'P', sectionName: 'S', variant, width: 64, height: 48 }));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let sandbox: RunningSandbox;
let fileIds: number[];
let storeId: number;
let dir: string;
let events: ApiEvent[];
let api: PlatformApi;
/** Every event and error of the suite, scanned for the password and the token at the end. */
const seen: string[] = [];
const tokens: string[] = [];

function client(): PlatformApi {
  return new PlatformApi({
    baseUrl: sandbox.apiUrl,
    username: sandbox.username,
    password: sandbox.password,
    timeouts: { meta: 300, content: 300, upload: 1000, create: 300, login: 1000 },
    retry: { retries: 10, baseMs: 1, capMs: 5, retryAfterCapMs: 5, budgetMinRetries: 1000 },
    onEvent: (e) => {
      events.push(e);
      seen.push(JSON.stringify(e, (_k, v: unknown) => (v instanceof Error ? { message: v.message, context: (v as { context?: unknown }).context } : v)));
    },
  });
}

function caught(err: unknown): unknown {
  if (err instanceof Error) seen.push(`${err.message} ${JSON.stringify((err as { context?: unknown }).context)} ${err.stack ?? ''}`);
  return err;
}

beforeAll(async () => {
  sandbox = await startTestSandbox({ processingDelayMs: 60_000, faultSeed: 7 });
  const raw = await rawApi(sandbox);
  tokens.push(raw.token);
  fileIds = [];
  for (const [i, bytes] of files.entries()) fileIds.push(await raw.uploadId(bytes, `shelf_${i}.png`));
  const [store] = await sandbox.db.query<{ id: number }>("INSERT INTO master_data_implementation_store (name) VALUES ('Fault Store') RETURNING id");
  storeId = store?.id as number;
  dir = await mkdtemp(join(tmpdir(), 'scancopy-faults-'));
});
afterAll(async () => {
  for (const file of await readdir(dir)) seen.push(await readFile(join(dir, file), 'latin1'));
  await api?.close();
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
  for (const text of seen) {
    expect(text).not.toContain(sandbox.password);
    for (const token of tokens) expect(text).not.toContain(token);
  }
});
beforeEach(async () => {
  await api?.close();
  sandbox.setFaults('');
  events = [];
  api = client();
});

const retryCodes = () => events.filter((e) => e.type === 'retry').map((e) => `${(e as { code: string }).code}${(e as { status?: number }).status ? `:${(e as { status?: number }).status}` : ''}`);

describe('each retryable fault is retried, then the call passes', () => {
  it.each([
    ['meta:502=0.5', 'SERVER_ERROR:502'],
    ['meta:503=0.5', 'SERVER_ERROR:503'],
    ['meta:504=0.5', 'SERVER_ERROR:504'],
    ['meta:429=0.5', 'RATE_LIMITED:429'],
    ['meta:reset=0.5', 'SERVER_ERROR'],
    ['meta:hang=0.3', 'TIMEOUT'],
    ['content:503=0.5', 'SERVER_ERROR:503'],
    ['content:reset=0.5', 'SERVER_ERROR'],
    ['content:truncate=0.5', 'INTEGRITY'],
    ['content:hang=0.3', 'TIMEOUT'],
  ])('%s (retried as %s)', async (spec, code) => {
    sandbox.setFaults(spec);
    for (let round = 0; round < 2; round++) {
      for (const [i, id] of fileIds.entries()) {
        const out = join(dir, `${id}.png`);
        const got = await api.downloadFileTo(id, out);
        expect(got.sha256).toBe(sha(files[i] as Buffer));
        expect(await readFile(out)).toEqual(files[i]);
        expect(got.originalFilename).toBe(`shelf_${i}.png`);
      }
    }
    expect(retryCodes()).toContain(code);
    expect(events.some((e) => e.type === 'give-up')).toBe(false);
  });

  it.each([['upload:503=0.5'], ['upload:reset=0.5'], ['upload:lost=0.5']])('%s: uploads pass with new ids', async (spec) => {
    sandbox.setFaults(spec);
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await api.uploadFile({ bytes: files[0] as Buffer, filename: 'up.png', contentType: 'image/png', inputType: 'image' })).id);
    expect(new Set(ids).size).toBe(6);
    expect(retryCodes().length).toBeGreaterThan(0);
    const [row] = await sandbox.db.query<{ sha256: string }>('SELECT sha256 FROM sandbox_fileupload WHERE id = $1', [ids[5]]);
    expect(row?.sha256).toBe(sha(files[0] as Buffer));
  });

  it('login:503=0.5: logs in all the same', async () => {
    sandbox.setFaults('login:503=0.5');
    for (let i = 0; i < 4; i++) {
      await api.close();
      api = client();
      await api.login();
    }
    expect(retryCodes()).toContain('SERVER_ERROR:503');
  });
});

describe('download URLs, truncation and tokens', () => {
  it('an expired URL is refreshed through the metadata call', async () => {
    sandbox.setFaults('meta:expire=1');
    const first = api.downloadFile(fileIds[0] as number);
    // Every URL the metadata call hands out has expired: each attempt refreshes once, the
    // retry policy tries again from fresh metadata, then gives up with a clear failure.
    await expect(first).rejects.toMatchObject({ code: 'URL_EXPIRED', http: { status: 403, call: 'file-content' } });
    expect(events.filter((e) => e.type === 'url-refresh')).toHaveLength(11);
    expect(retryCodes().filter((c) => c === 'URL_EXPIRED:403')).toHaveLength(10);
    sandbox.setFaults('content:expire=0.3');
    events = [];
    for (const [i, id] of fileIds.entries()) expect((await api.downloadFile(id)).bytes).toEqual(files[i]);
    expect(events.some((e) => e.type === 'url-refresh')).toBe(true);
  });

  it('a truncated body never passes: with every answer cut short, the download fails as INTEGRITY', async () => {
    sandbox.setFaults('content:truncate=1');
    const out = join(dir, 'never.png');
    const err = (await api.downloadFileTo(fileIds[0] as number, out).catch(caught)) as HttpError;
    expect(err.code).toBe('INTEGRITY');
    expect(err.message).toMatch(/body ended after \d+ of \d+ bytes/);
    await expect(readFile(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('expired tokens: one re-login, and the calls go on', async () => {
    await api.getFileMeta(fileIds[0] as number);
    sandbox.expireTokens();
    await Promise.all(fileIds.map((id) => api.getFileMeta(id)));
    tokens.push((await rawApi(sandbox)).token);
    expect(events.filter((e) => e.type === 'login')).toHaveLength(2);
  });
});

describe('create scan against the sandbox', () => {
  it('a lost answer is OUTCOME_UNKNOWN after one attempt, and the scan exists', async () => {
    const uploaded = (await api.uploadFile({ bytes: files[1] as Buffer, filename: 'c.png', contentType: 'image/png', inputType: 'image' })).id;
    sandbox.setFaults('create:lost=1');
    const err = (await api.createScan({ store: storeId, files: [uploaded], captured_at: 1_764_000_000 }).catch(caught)) as HttpError;
    expect(err.code).toBe('OUTCOME_UNKNOWN');
    expect(err.http.status).toBe(502);
    const found = await selectScansByFileIds(sandbox.db, [uploaded]);
    expect(found).toHaveLength(1);
  });

  it('a 400 names the field, with the payload', async () => {
    const payload = { store: 999_999, files: [fileIds[0] as number], captured_at: 1_764_000_000 };
    const err = (await api.createScan(payload).catch(caught)) as HttpError;
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.http.payload).toEqual(payload);
    expect(JSON.stringify(err.http.body)).toContain('store');
  });

  it('creates a scan and returns its id', async () => {
    const uploaded = (await api.uploadFile({ bytes: files[2] as Buffer, filename: 'd.png', contentType: 'image/png', inputType: 'image' })).id;
    const { id } = await api.createScan({ store: storeId, files: [uploaded], captured_at: 1_764_000_000 });
    expect(await selectScansByFileIds(sandbox.db, [uploaded])).toEqual([{ scanId: id, fileIds: [uploaded] }]);
  });
});
