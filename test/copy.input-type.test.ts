/**
 * Inputs as the platform has them (platform.md section 8): a video scan and a keyframe scan
 * on the source copy as a video and a keyframe scan, each file uploaded with its source
 * file_type as input_type and the create carrying the scan's input_type, never `image` by
 * default; and the sandbox takes input_type as the platform does, on upload and on create.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyScans } from '../src/workflows/copy.js';
import { startCopyPair, type CopyPair } from './helpers/copy.js';
import { testEngines } from './helpers/databases.js';
import { rawApi, type RawApi } from './helpers/sandbox.js';

describe.each(testEngines())('input types of copied scans on $name', (engine) => {
  let pair: CopyPair;
  let source: RawApi;
  let storeId: number;
  const made: Record<'video' | 'keyframe' | 'image', number> = { video: 0, keyframe: 0, image: 0 };

  beforeAll(async () => {
    pair = await startCopyPair({ engine, scans: 1 });
    source = await rawApi(pair.source);
    storeId = ((await pair.source.db.query<{ id: number }>('SELECT min(id) AS id FROM master_data_implementation_store'))[0] as { id: number }).id;
    const upload = async (type: string, name: string, contentType: string): Promise<number> => {
      const res = await source.upload(randomBytes(4096), name, contentType, { input_type: type });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: number }).id;
    };
    const create = async (files: number[], extra: Record<string, unknown> = {}): Promise<number> => {
      const res = await source.create({ store: storeId, files, scan_type: 'shelf', ...extra });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: number }).id;
    };
    made.video = await create([await upload('video', 'aisle 4.mp4', 'video/mp4')], { input_type: 'video' });
    // No input_type in the source payload: the copy takes it from the files.
    made.keyframe = await create([await upload('keyframe', 'k1.jpg', 'image/jpeg'), await upload('keyframe', 'k2.jpg', 'image/jpeg')]);
    made.image = pair.scanIds[0] as number;
  });
  afterAll(async () => pair?.close());

  it('uploads each file with its source type and creates the scan with it', async () => {
    const scanIds = [made.video, made.keyframe, made.image];
    const result = await copyScans(pair.options({ scanIds }));
    expect(result).toMatchObject({ created: 3, failed: 0 });
    const targetOf = new Map(result.mapping.map((m) => [m.sourceScanId, m.targetScanId]));
    const typesOf = async (db: CopyPair['source']['db'], scanId: number) =>
      db.query<{ file_type: string; input_type: string; payload_type: string | null }>(
        `SELECT sf.file_type, f.input_type, s.provided_values->'_raw_data'->>'input_type' AS payload_type
           FROM realograms_implementation_scanfile sf
           JOIN sandbox_fileupload f ON f.id = sf.file_id
           JOIN realograms_implementation_scan s ON s.id = sf.scan_id
          WHERE sf.scan_id = $1 ORDER BY sf.id`,
        [scanId],
      );
    for (const [kind, sourceScanId] of Object.entries(made)) {
      const target = await typesOf(pair.target.db, targetOf.get(sourceScanId) as number);
      const files = kind === 'keyframe' ? 2 : 1;
      expect(target, kind).toEqual(Array.from({ length: files }, () => ({ file_type: kind, input_type: kind, payload_type: kind })));
    }
  });
});

describe('the sandbox and input_type', () => {
  let pair: CopyPair;
  let api: RawApi;
  beforeAll(async () => {
    pair = await startCopyPair({ scans: 1 });
    api = await rawApi(pair.target);
  });
  afterAll(async () => pair?.close());

  it('takes image, video and keyframe uploads and refuses any other type', async () => {
    for (const type of ['image', 'video', 'keyframe']) expect((await api.upload(randomBytes(64), `f.${type}`, 'application/octet-stream', { input_type: type })).status).toBe(201);
    const bad = await api.upload(randomBytes(64), 'f.bin', 'application/octet-stream', { input_type: 'photo' });
    expect([bad.status, await bad.json()]).toEqual([400, { input_type: ['"photo" is not a valid choice.'] }]);
  });

  it('refuses a create whose input_type is not one of them, naming the field, and creates nothing', async () => {
    const file = await api.uploadId(randomBytes(64), 'a.png', 'image/png');
    const before = await pair.target.db.query('SELECT id FROM realograms_implementation_scan');
    const res = await api.create({ store: pair.targetStoreId, files: [file], input_type: 'pdf' });
    expect([res.status, await res.json()]).toEqual([400, { input_type: ['"pdf" is not a valid choice.'] }]);
    expect(await pair.target.db.query('SELECT id FROM realograms_implementation_scan')).toHaveLength(before.length);
  });
});
