import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawShelfPng } from '../src/sandbox/png.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/sandbox.js';
import { testEngines } from './helpers/databases.js';
import { rawApi, startTestSandbox, type RawApi } from './helpers/sandbox.js';

const DELAY_MS = 300;

describe.each(testEngines())('processing of created scans on $name', (engine) => {
  let sb: RunningSandbox;
  let api: RawApi;
  let catalog: Catalog;

  beforeAll(async () => {
    sb = await startTestSandbox({ engine, seedDemo: { scans: 0 }, processingDelayMs: DELAY_MS, misMapRate: 0 });
    api = await rawApi(sb);
    catalog = await loadCatalog(sb);
  });
  afterAll(() => sb?.close());

  const image = (section: number, variant = 0): Buffer => shelfImage(catalog, section, variant);
  const createWith = (images: Uint8Array[], extra: Record<string, unknown> = {}): Promise<number> => createScan(api, catalog, images, extra);
  const reportsOf = (scanId: number) => reportsOfScan(sb, scanId);

  it('leaves a new scan processing until the delay, then writes the whole result and marks it done', async () => {
    const started = Date.now();
    const scanId = await createWith([image(0)]);
    const [early] = await sb.db.query<{ status: string; has_report: boolean }>('SELECT status, has_report FROM realograms_implementation_scan WHERE id = $1', [scanId]);
    if (Date.now() - started < DELAY_MS) expect(early).toEqual({ status: 'created', has_report: false });
    await sb.waitForProcessing();
    expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY_MS);
    const [scan] = await sb.db.query<{ status: string; has_report: boolean; day: string; bays: number; spc: number; map_by: string }>(
      `SELECT s.status, s.has_report, (s.created_at AT TIME ZONE 'UTC')::date AS day,
              (SELECT count(*)::int FROM realograms_implementation_realogrambay b WHERE b.realogram_id = s.active_realogram_id) AS bays,
              (SELECT count(*)::int FROM planograms_compliance_storeplanogramcompliance c
                WHERE c.store_planogram_id = $2 AND c.date = (s.created_at AT TIME ZONE 'UTC')::date) AS spc,
              (SELECT m.data -> (s.id::text) ->> 'map_by' FROM planograms_compliance_majorityv2log m
                WHERE m.store_planogram_id = $2 ORDER BY m.id DESC LIMIT 1) AS map_by
         FROM realograms_implementation_scan s WHERE s.id = $1`,
      [scanId, catalog.storePlanogramId],
    );
    expect(scan).toMatchObject({ status: 'done', has_report: true, spc: 1, map_by: 'majority_v2' });
    expect(scan?.bays).toBeGreaterThan(0);
    expect(await reportsOf(scanId)).toEqual([
      expect.objectContaining({ section_id: catalog.sections[0]?.id, section_name: catalog.sections[0]?.name, store_planogram_id: catalog.storePlanogramId }),
    ]);
  });

  it('recognises an auto payload from each image: one report per distinct section, in image order', async () => {
    const scanId = await createWith([image(1), image(0, 1), image(1, 2)]);
    await sb.waitForProcessing();
    expect((await reportsOf(scanId)).map((r) => r.section_id)).toEqual([catalog.sections[1]?.id, catalog.sections[0]?.id]);
  });

  it('files a mapped payload under the section it names, whatever its image shows', async () => {
    const named = catalog.sections[2] as { id: number; name: string };
    const scanId = await createWith([image(0)], { store_planogram: catalog.storePlanogramId, section_id: named.id, category_id: 1 });
    await sb.waitForProcessing();
    expect(await reportsOf(scanId)).toEqual([expect.objectContaining({ section_id: named.id, section_name: named.name, store_planogram_id: catalog.storePlanogramId })]);
    const [log] = await sb.db.query<{ map_by: string }>(
      `SELECT data -> $1::text ->> 'map_by' AS map_by FROM planograms_compliance_majorityv2log
        WHERE store_planogram_id = $2 ORDER BY id DESC LIMIT 1`,
      [String(scanId), catalog.storePlanogramId],
    );
    expect(log?.map_by).toBe('planogram_section');
  });

  it('files a payload naming only the store planogram under the section its image shows there', async () => {
    const scanId = await createWith([image(1)], { store_planogram: catalog.storePlanogramId });
    await sb.waitForProcessing();
    expect((await reportsOf(scanId)).map((r) => r.section_id)).toEqual([catalog.sections[1]?.id]);
  });

  it('gives an image without a truth chunk a deterministic guess, and the same figures every time', async () => {
    const opaque = Buffer.from('not a png, but an image all the same: a deterministic guess is made from its bytes');
    const first = await createWith([opaque]);
    const second = await createWith([opaque]);
    await sb.waitForProcessing();
    const [a, b] = [await reportsOf(first), await reportsOf(second)];
    expect(a).toHaveLength(1);
    expect(b).toEqual(a);
  });

  it('keeps answering the API while scans are processed', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => createWith([image(i % 3, i)])));
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, DELAY_MS + 20));
    for (let i = 0; i < 5; i++) expect((await api.get('/api/v1/master-data/file-upload/1/')).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(DELAY_MS + 5000);
    await sb.waitForProcessing();
    const done = await sb.db.query("SELECT 1 FROM realograms_implementation_scan WHERE id = ANY($1::bigint[]) AND status = 'done'", [ids]);
    expect(done).toHaveLength(ids.length);
  });

  it('waitForProcessing resolves at once when nothing is pending', async () => {
    await sb.waitForProcessing();
    const started = Date.now();
    await sb.waitForProcessing();
    expect(Date.now() - started).toBeLessThan(50);
  });
});

describe.each(testEngines())('processing with uploads kept in a storage dir on $name', (engine) => {
  it('recognises each image from its file on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scancopy-storage-'));
    const sb = await startTestSandbox({ engine, storageDir: dir, seedDemo: { scans: 0 }, processingDelayMs: 10, misMapRate: 0 });
    try {
      const api = await rawApi(sb);
      const catalog = await loadCatalog(sb);
      const scanId = await createScan(api, catalog, [shelfImage(catalog, 2), shelfImage(catalog, 0, 1)]);
      const files = await sb.db.query<{ content: Uint8Array | null; storage_path: string }>(
        `SELECT f.content, f.storage_path FROM realograms_implementation_scanfile sf
           JOIN sandbox_fileupload f ON f.id = sf.file_id WHERE sf.scan_id = $1`,
        [scanId],
      );
      expect(files.map((f) => [f.content, dirname(f.storage_path)])).toEqual([[null, dir], [null, dir]]);
      await sb.waitForProcessing();
      expect((await reportsOfScan(sb, scanId)).map((r) => r.section_id)).toEqual([catalog.sections[2]?.id, catalog.sections[0]?.id]);
    } finally {
      await sb.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a restarted sandbox', () => {
  it('processes the scans an earlier run left processing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scancopy-sandbox-'));
    try {
      const first = await startSandbox({ embeddedDir: dir, seedDemo: { scans: 0 }, processingDelayMs: 60_000, password: 'pw' });
      const api = await rawApi(first);
      const fileId = await api.uploadId(Buffer.from('bytes'), 'a.png');
      const { id } = (await (await api.create({ store: 1, files: [fileId] })).json()) as { id: number };
      await first.close();
      const second = await startSandbox({ embeddedDir: dir, seedDemo: { scans: 0 }, processingDelayMs: 10, password: 'pw' });
      try {
        await second.waitForProcessing();
        const [scan] = await second.db.query<{ status: string }>('SELECT status FROM realograms_implementation_scan WHERE id = $1', [id]);
        expect(scan?.status).toBe('done');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

interface Catalog {
  storeId: number;
  storePlanogramId: number;
  planogramId: number;
  planogramName: string;
  sections: Array<{ id: number; name: string }>;
}

/** The first store planogram of the demo catalog, with its planogram's sections. */
async function loadCatalog(sb: RunningSandbox): Promise<Catalog> {
  const rows = await sb.db.query<{ store_id: number; sp_id: number; planogram_id: number; planogram_name: string; section_id: number; section_name: string }>(
    `SELECT ps.store_id, ps.id AS sp_id, p.id AS planogram_id, p.name AS planogram_name, sec.id AS section_id, sec.name AS section_name
       FROM planograms_implementation_planogramstore ps
       JOIN planograms_implementation_planogram p ON p.id = ps.planogram_id
       JOIN planograms_implementation_planogramsection sec ON sec.planogram_id = p.id
      WHERE ps.id = (SELECT min(id) FROM planograms_implementation_planogramstore)
      ORDER BY sec.id`,
  );
  const first = rows[0] as (typeof rows)[number];
  return {
    storeId: first.store_id,
    storePlanogramId: first.sp_id,
    planogramId: first.planogram_id,
    planogramName: first.planogram_name,
    sections: rows.map((r) => ({ id: r.section_id, name: r.section_name })),
  };
}

function shelfImage(catalog: Catalog, section: number, variant = 0): Buffer {
  const s = catalog.sections[section] as { id: number; name: string };
  return drawShelfPng({ planogramId: catalog.planogramId, sectionId: s.id, planogramName: catalog.planogramName, sectionName: s.name, variant });
}

/** Uploads the images and creates a scan of them in the catalog's store. */
async function createScan(api: RawApi, catalog: Catalog, images: Uint8Array[], extra: Record<string, unknown> = {}): Promise<number> {
  const files: number[] = [];
  for (const [i, bytes] of images.entries()) files.push(await api.uploadId(bytes, `shelf_${i}.png`));
  const res = await api.create({ store: catalog.storeId, files, captured_at: 1764000000, ...extra });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

function reportsOfScan(sb: RunningSandbox, scanId: number) {
  return sb.db.query<{ section_id: number; section_name: string; store_planogram_id: number; compliance_rate: number }>(
    `SELECT r.section_id, r.section_name, r.store_planogram_id, r.compliance_rate
       FROM realograms_implementation_scan s
       JOIN planograms_compliance_planogramcompliancereport r ON r.realogram_id = s.active_realogram_id
      WHERE s.id = $1 ORDER BY r.id`,
    [scanId],
  );
}
