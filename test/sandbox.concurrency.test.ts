import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawShelfPng } from '../src/sandbox/png.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { testEngines } from './helpers/databases.js';
import { rawApi, startTestSandbox, type RawApi } from './helpers/sandbox.js';

const N = 50;
const images = Array.from({ length: N }, (_, i) =>
  drawShelfPng({ planogramId: 1 + (i % 3), sectionId: 1 + (i % 4), planogramName: 'P', sectionName: `S${i % 4}`, variant: i, width: 120, height: 80 }),
);

describe.each(testEngines())('concurrent calls on $name', (engine) => {
  let sb: RunningSandbox;
  let api: RawApi;

  beforeAll(async () => {
    sb = await startTestSandbox({ engine, seedDemo: { scans: 0 }, processingDelayMs: 20 });
    api = await rawApi(sb);
  });
  afterAll(() => sb?.close());

  it(`takes ${N} simultaneous uploads: every one 201, every file kept once with its own bytes`, async () => {
    const responses = await Promise.all(images.map((bytes, i) => api.upload(bytes, `c${i}.png`)));
    expect(responses.map((r) => r.status)).toEqual(images.map(() => 201));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: number }).id));
    expect(new Set(ids).size).toBe(N);
    const rows = await sb.db.query<{ id: number; original_filename: string; sha256: string }>(
      'SELECT id, original_filename, sha256 FROM sandbox_fileupload WHERE id = ANY($1::bigint[])',
      [ids],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    ids.forEach((id, i) => {
      expect(byId.get(id)?.original_filename).toBe(`c${i}.png`);
      expect(byId.get(id)?.sha256).toBe(createHash('sha256').update(images[i] as Buffer).digest('hex'));
    });
  });

  it(`takes ${N} scans uploaded and created at once: no error, no lost or mixed-up row, all processed`, async () => {
    const created = await Promise.all(
      images.map(async (bytes, i) => {
        const files = [await api.uploadId(bytes, `a${i}.png`), await api.uploadId(bytes, `b${i}.png`)];
        const res = await api.create({ store: 1 + (i % 3), files, captured_at: 1764000000 + i, tag: i });
        expect(res.status).toBe(201);
        return { id: ((await res.json()) as { id: number }).id, files, tag: i };
      }),
    );
    expect(new Set(created.map((c) => c.id)).size).toBe(N);
    const rows = await sb.db.query<{ id: number; tag: number; files: number[] }>(
      `SELECT s.id, (s.provided_values -> '_raw_data' ->> 'tag')::int AS tag,
              array_agg(sf.file_id::int ORDER BY sf.id) AS files
         FROM realograms_implementation_scan s JOIN realograms_implementation_scanfile sf ON sf.scan_id = s.id
        WHERE s.id = ANY($1::bigint[]) GROUP BY s.id`,
      [created.map((c) => c.id)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const c of created) expect(byId.get(c.id)).toEqual({ id: c.id, tag: c.tag, files: c.files });
    await sb.waitForProcessing();
    const done = await sb.db.query("SELECT 1 FROM realograms_implementation_scan WHERE id = ANY($1::bigint[]) AND status = 'done' AND has_report", [created.map((c) => c.id)]);
    expect(done).toHaveLength(N);
    // Each scan's map_by is in the latest majority-v2 log row of its store planogram.
    const missing = await sb.db.query<{ id: number }>(
      `SELECT DISTINCT s.id
         FROM realograms_implementation_scan s
         JOIN planograms_compliance_planogramcompliancereport r ON r.realogram_id = s.active_realogram_id
         JOIN LATERAL (SELECT m.data FROM planograms_compliance_majorityv2log m
                        WHERE m.store_planogram_id = r.store_planogram_id ORDER BY m.id DESC LIMIT 1) latest ON true
        WHERE s.id = ANY($1::bigint[]) AND NOT latest.data ? (s.id::text)`,
      [created.map((c) => c.id)],
    );
    expect(missing).toEqual([]);
  });
});

describe.each(testEngines())('concurrent creates reusing one file with rejectReusedFiles on $name', (engine) => {
  it('accept exactly one', async () => {
    const sb = await startTestSandbox({ engine, rejectReusedFiles: true, processingDelayMs: 60_000 });
    try {
      await sb.db.query("INSERT INTO master_data_implementation_store (name) VALUES ('Only store')");
      const api = await rawApi(sb);
      const fileId = await api.uploadId(images[0] as Buffer, 'shared.png');
      const statuses = await Promise.all(Array.from({ length: 10 }, () => api.create({ store: 1, files: [fileId] }).then((r) => r.status)));
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(9);
    } finally {
      await sb.close();
    }
  });
});
