import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScanCopyError } from '../src/core/errors.js';
import { parseFaults } from '../src/sandbox/faults.js';
import { drawShelfPng } from '../src/sandbox/png.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { rawApi, startTestSandbox, type RawApi } from './helpers/sandbox.js';

const png = drawShelfPng({ planogramId: 1, sectionId: 2, planogramName: 'P', sectionName: 'S', variant: 0 });

describe('fault spec parsing', () => {
  it('reads the documented example, with * as the default an endpoint item overrides', () => {
    const plan = parseFaults('*:latency=25ms~5ms,upload:503=0.1,create:lost=0.1, *:503=0.02 ,meta:latency=1.5s,content:concurrency=4');
    expect(plan.upload).toEqual({ latency: { ms: 25, jitterMs: 5 }, rates: { '503': 0.1 }, concurrency: undefined });
    expect(plan.create.rates).toEqual({ '503': 0.02, lost: 0.1 });
    expect(plan.meta.latency).toEqual({ ms: 1500, jitterMs: 0 });
    expect(plan.content.concurrency).toBe(4);
    expect(plan.login).toEqual({ latency: { ms: 25, jitterMs: 5 }, rates: { '503': 0.02 }, concurrency: undefined });
  });

  it('accepts every kind, and an empty spec as no faults', () => {
    const kinds = ['502', '503', '504', '429', 'lost', 'hang', 'reset', 'truncate', 'expire'];
    const plan = parseFaults(kinds.map((k) => `create:${k}=0.1`).join(','));
    expect(Object.keys(plan.create.rates).sort()).toEqual([...kinds].sort());
    expect(parseFaults('').meta).toEqual({ latency: undefined, rates: {}, concurrency: undefined });
  });

  it.each([
    ['upload:503', 'bad fault item 1 "upload:503": expected ENDPOINT:KIND=VALUE'],
    ['*:latency=25ms,download:503=0.1', 'bad fault item 2 "download:503=0.1": unknown endpoint "download"'],
    ['meta:500=0.1', 'bad fault item 1 "meta:500=0.1": unknown kind "500"'],
    ['meta:503=1.5', 'bad fault item 1 "meta:503=1.5": "1.5" is not a rate from 0 to 1'],
    ['meta:503=abc', '"abc" is not a rate from 0 to 1'],
    ['meta:latency=25', 'bad fault item 1 "meta:latency=25": "25" is not a duration'],
    ['meta:latency=25ms~5ms~1ms', 'latency takes one ~'],
    ['meta:concurrency=0', '"0" is not a positive whole number'],
    ['meta:503=0.1,,meta:502=0.1', 'bad fault item 2 "": expected ENDPOINT:KIND=VALUE'],
    ['*:503=0.6,meta:502=0.5', 'the rates for meta add up to 1.1, more than 1'],
  ])('refuses %s with a USAGE error pointing at the bad item', (spec, message) => {
    const err = catchError(() => parseFaults(spec));
    expect(err).toBeInstanceOf(ScanCopyError);
    expect((err as ScanCopyError).code).toBe('USAGE');
    expect((err as ScanCopyError).message).toContain(message);
  });
});

describe('injected faults over HTTP', () => {
  let sb: RunningSandbox;
  let api: RawApi;
  let fileId: number;

  beforeAll(async () => {
    sb = await startTestSandbox({ processingDelayMs: 60_000 });
    await sb.db.query("INSERT INTO master_data_implementation_store (name) VALUES ('Store')");
    api = await rawApi(sb);
    fileId = await api.uploadId(png, 'shelf.png');
  });
  afterAll(() => sb?.close());
  beforeEach(() => sb.setFaults(''));

  const meta = (): Promise<Response> => api.get(`/api/v1/master-data/file-upload/${fileId}/`);
  const fileUrl = async (): Promise<string> => ((await (await meta()).json()) as { file: string }).file;
  const count = async (table: string): Promise<number> =>
    (await sb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]?.n ?? 0;

  it('latency delays each answer by the fixed time, with jitter around it', async () => {
    sb.setFaults('meta:latency=150ms');
    let started = Date.now();
    expect((await meta()).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    sb.setFaults('meta:latency=100ms~80ms');
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      started = Date.now();
      await meta();
      times.push(Date.now() - started);
    }
    expect(Math.min(...times)).toBeGreaterThanOrEqual(15);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(10);
  });

  it.each([502, 503, 504])('%i answers with that status and an HTML body, as a load balancer does', async (status) => {
    sb.setFaults(`meta:${status}=1`);
    const res = await meta();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toContain(`<h1>${status} `);
  });

  it('429 answers Too Many Requests with Retry-After in seconds', async () => {
    sb.setFaults('*:429=1');
    const res = await api.post('/api/v4/token-auth/', { username: sb.username, password: sb.password }, {});
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('lost carries out the create, then answers 502: the scan exists though the client saw an error', async () => {
    sb.setFaults('create:lost=1');
    const before = await count('realograms_implementation_scan');
    const res = await api.create({ store: 1, files: [fileId] });
    expect(res.status).toBe(502);
    expect(await count('realograms_implementation_scan')).toBe(before + 1);
    const users = await sb.db.query('SELECT 1 FROM realograms_implementation_scanfile WHERE file_id = $1', [fileId]);
    expect(users.length).toBeGreaterThan(0);
  });

  it('lost on upload keeps the file the client never heard of', async () => {
    sb.setFaults('upload:lost=1');
    const before = await count('sandbox_fileupload');
    expect((await api.upload(png, 'lost.png')).status).toBe(502);
    expect(await count('sandbox_fileupload')).toBe(before + 1);
  });

  it('hang never answers: the client times out, and the server keeps serving others', async () => {
    sb.setFaults('create:hang=1');
    const before = await count('realograms_implementation_scan');
    const hung = fetch(`${sb.apiUrl}/api/v4/processing/actions/`, {
      method: 'POST',
      headers: { ...api.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ store: 1, files: [fileId] }),
      signal: AbortSignal.timeout(300),
    });
    await expect(hung).rejects.toThrow(/aborted|timeout/i);
    expect((await meta()).status).toBe(200);
    expect(await count('realograms_implementation_scan')).toBe(before);
  });

  it('reset destroys the connection before any answer', async () => {
    sb.setFaults('upload:reset=1');
    await expect(api.upload(png, 'reset.png')).rejects.toThrow(/fetch failed/);
    sb.setFaults('');
    expect((await meta()).status).toBe(200);
  });

  it('truncate promises the whole body and drops the connection halfway (content and JSON)', async () => {
    const url = await fileUrl();
    sb.setFaults('content:truncate=1,meta:truncate=1');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(png.length));
    await expect(res.arrayBuffer()).rejects.toThrow();
    const metaRes = await meta();
    await expect(metaRes.json()).rejects.toThrow();
  });

  it('expire hands out a download URL that has already expired, and refuses fresh ones on content', async () => {
    sb.setFaults('meta:expire=1');
    const stale = await fetch(await fileUrl());
    expect(stale.status).toBe(403);
    expect(await stale.text()).toContain('Request has expired');
    sb.setFaults('');
    const url = await fileUrl();
    sb.setFaults('content:expire=1');
    expect((await fetch(url)).status).toBe(403);
    sb.setFaults('');
    expect((await fetch(url)).status).toBe(200);
  });

  it('concurrency=N answers 429 with Retry-After: 1 beyond N requests in flight', async () => {
    sb.setFaults('meta:latency=300ms,meta:concurrency=2');
    const statuses = await Promise.all(Array.from({ length: 6 }, () => meta().then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    // Once the slow ones are done, there is room again.
    expect((await meta()).status).toBe(200);
  });

  it('draws rates from the fault seed: the same spec replays the same sequence', async () => {
    const run = async (): Promise<number[]> => {
      sb.setFaults('meta:503=0.5');
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await meta()).status);
      return out;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    const failed = first.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(25);
  });

  it('setFaults with a malformed spec throws USAGE and keeps the faults in force', () => {
    sb.setFaults('meta:503=1');
    expect(() => sb.setFaults('meta:503=2')).toThrow(/not a rate/);
    return meta().then((res) => expect(res.status).toBe(503));
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
