/**
 * The sandbox as a loaded platform fails (platform.md sections 8-9): creates that commit
 * after the gateway answered 504, uploads purged when no scan uses them, and scans deleted
 * through the API. On both engines, over real HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScanCopyError } from '../src/core/errors.js';
import { parseFaults } from '../src/sandbox/faults.js';
import { drawShelfPng } from '../src/sandbox/png.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { testEngines } from './helpers/databases.js';
import { rawApi, startTestSandbox, type RawApi } from './helpers/sandbox.js';

const png = drawShelfPng({ planogramId: 1, sectionId: 2, planogramName: 'P', sectionName: 'S', variant: 0 });
const LATE_MS = 300;
// Longer than LATE_MS: a late commit uses its file before the purge looks.
const PURGE_MS = 800;

describe('late fault parsing', () => {
  it('takes late on create only', () => {
    expect(parseFaults('create:late=0.3').create.rates).toEqual({ late: 0.3 });
    for (const spec of ['upload:late=0.3', '*:late=0.3']) {
      let caught: unknown;
      try {
        parseFaults(spec);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ScanCopyError);
      expect((caught as ScanCopyError).message).toContain('late applies to create only');
    }
  });
});

describe.each(testEngines())('a loaded sandbox on $name', (engine) => {
  let sb: RunningSandbox;
  let api: RawApi;
  let storeId: number;

  beforeAll(async () => {
    sb = await startTestSandbox({ engine, processingDelayMs: 60_000, lateMs: LATE_MS, purgeUnusedUploadsMs: PURGE_MS });
    const [store] = await sb.db.query<{ id: number }>("INSERT INTO master_data_implementation_store (name) VALUES ('Store') RETURNING id");
    storeId = store?.id as number;
    api = await rawApi(sb);
  });
  afterAll(() => sb?.close());
  beforeEach(() => sb.setFaults(''));

  const scansUsing = async (fileId: number): Promise<number[]> =>
    (await sb.db.query<{ scan_id: number }>('SELECT scan_id FROM realograms_implementation_scanfile WHERE file_id = $1 ORDER BY scan_id', [fileId])).map((r) => r.scan_id);
  const fileExists = async (fileId: number): Promise<boolean> =>
    (await sb.db.query('SELECT 1 FROM sandbox_fileupload WHERE id = $1', [fileId])).length > 0;

  it('late answers 504 with an HTML page at once and commits the scan late-ms later', async () => {
    const fileId = await api.uploadId(png, 'late.png');
    sb.setFaults('create:late=1');
    const sent = Date.now();
    const res = await api.create({ store: storeId, files: [fileId] });
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toContain('504 Gateway Time-out');
    expect(Date.now() - sent).toBeLessThan(LATE_MS);
    expect(await scansUsing(fileId)).toEqual([]);
    await sb.waitForDeferredWork();
    expect(Date.now() - sent).toBeGreaterThanOrEqual(LATE_MS - 5);
    expect(await scansUsing(fileId)).toHaveLength(1);
  });

  it('late commits a create even when a retry made another scan in between: a duplicate, as on a real instance', async () => {
    const fileId = await api.uploadId(png, 'retry.png');
    sb.setFaults('create:late=1');
    expect((await api.create({ store: storeId, files: [fileId] })).status).toBe(504);
    sb.setFaults('');
    expect((await api.create({ store: storeId, files: [fileId] })).status).toBe(201);
    await sb.waitForDeferredWork();
    expect(await scansUsing(fileId)).toHaveLength(2);
  });

  it('purges an upload that no scan uses, after which a create naming it answers 400 for that file', async () => {
    const unused = await api.uploadId(png, 'unused.png');
    const used = await api.uploadId(png, 'used.png');
    expect((await api.create({ store: storeId, files: [used] })).status).toBe(201);
    await sb.waitForDeferredWork();
    expect(await fileExists(unused)).toBe(false);
    expect(await fileExists(used)).toBe(true);
    expect((await api.get(`/api/v1/master-data/file-upload/${unused}/`)).status).toBe(404);
    const res = await api.create({ store: storeId, files: [used, unused] });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ files: [`Invalid pk "${unused}" - object does not exist.`] });
  });

  it('DELETE removes a scan and its file links (204); an unknown id is 404; no token is 401', async () => {
    const fileId = await api.uploadId(png, 'delete.png');
    const created = await api.create({ store: storeId, files: [fileId] });
    const { id } = (await created.json()) as { id: number };
    const del = (scanId: number | string, headers: Record<string, string> = api.auth): Promise<Response> =>
      fetch(`${sb.apiUrl}/api/v4/processing/actions/${scanId}/`, { method: 'DELETE', headers });

    const anonymous = await del(id, {});
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ detail: 'Invalid token.' });
    expect(await scansUsing(fileId)).toEqual([id]);

    const res = await del(id);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await sb.db.query('SELECT 1 FROM realograms_implementation_scan WHERE id = $1', [id])).toEqual([]);
    expect(await scansUsing(fileId)).toEqual([]);

    for (const unknown of [id, 999_999, 'abc']) {
      const again = await del(unknown);
      expect(again.status).toBe(404);
      expect(await again.json()).toEqual({ detail: 'Not found.' });
    }
  });
});
