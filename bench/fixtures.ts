/**
 * Benchmark source data: N processed scans, by default of two ~100 KB images each (the cloud
 * profile plans its own: bench/cloud-files.ts), written straight into
 * a source sandbox's database (seeded with the demo catalog) in multi-row statements, which
 * takes seconds where going through the upload and create API would take minutes. The images
 * go to files that the rows point to (storage_path), so the source serves them from disk as
 * the platform serves them from object storage, not out of PostgreSQL on the client's cores.
 *
 * Each image is a demo shelf PNG (with its truth chunk, so the target recognises a copy)
 * padded with a private ancillary chunk of random bytes: a valid PNG that neither gzip nor
 * TOAST can shrink, so bytes on the wire and in the database are what a photo would cost.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ScanCopyError } from '../src/core/errors.js';
import { openDb, type Queryable } from '../src/platform/db.js';
import { insertRows, type Column } from '../src/sandbox/bulk.js';
import { drawShelfPng } from '../src/sandbox/png.js';
import { createRandom, hashSeed } from '../src/sandbox/random.js';
import { simulateBays, simulateSectionFigures, writeProcessingResults, type ProcessingInput } from '../src/sandbox/recognition.js';

export const FILES_PER_SCAN = 2;
export const FILE_BYTES = 100 * 1024;
const SCANS_PER_STATEMENT = 50;

export interface Fixture {
  storeId: number;
  scanIds: number[];
  bytes: number;
  files: number;
}

export interface Placement {
  storeId: number;
  storePlanogramId: number;
  planogramId: number;
  planogramName: string;
  categoryId: number;
  sectionId: number;
  sectionName: string;
}

const FILE_COLUMNS: Column[] = [
  ['original_filename', 'text'], ['content_type', 'text'], ['input_type', 'text'], ['size', 'bigint'], ['sha256', 'text'], ['content', 'bytea'], ['storage_path', 'text'],
];
const SCAN_COLUMNS: Column[] = [['provided_values', 'jsonb'], ['store_id', 'bigint'], ['selected_category_id', 'bigint'], ['status', 'text'], ['has_report', 'boolean']];

/** One file row of a fixture scan: bytes in the row, or a file on disk the row points to. */
export interface FixtureFile {
  name: string;
  contentType: string;
  /** The platform's input type, also the scan file's `file_type`. */
  inputType: 'image' | 'video';
  size: number;
  sha256: string;
  content?: Buffer;
  path?: string;
}

/** The files of the fixture's scan number `index` (0-based), placed in `place`. */
export type FilePlan = (index: number, place: Placement) => Promise<FixtureFile[]>;

/**
 * Writes `scans` scans into the store with the most store planograms of the source database.
 * With `filesDir`, the images are files there (the row's storage_path), else bytea in the row.
 * `plan` gives each scan other files (the cloud profile's cached JPEGs and videos).
 */
export async function writeFixture(dbUrl: string, scans: number, filesDir?: string, plan: FilePlan = paddedPngPlan(filesDir)): Promise<Fixture> {
  const db = await openDb(dbUrl, { maxConnections: 2, statementTimeoutMs: 600_000 });
  try {
    const placements = await loadPlacements(db);
    const storeId = (placements[0] as Placement).storeId;
    const scanIds: number[] = [];
    let bytes = 0;
    let files = 0;
    for (let start = 0; start < scans; start += SCANS_PER_STATEMENT) {
      const count = Math.min(SCANS_PER_STATEMENT, scans - start);
      const chunk = Array.from({ length: count }, (_, i) => placements[(start + i) % placements.length] as Placement);
      const planned = await Promise.all(chunk.map((place, i) => plan(start + i, place)));
      for (const f of planned.flat()) {
        bytes += f.size;
        files += 1;
      }
      scanIds.push(...(await db.transaction((tx) => writeScans(tx, chunk, start, planned))));
    }
    // A source in steady state, as in the field: planner statistics for the new rows, and the
    // bulk write's dirty pages flushed now rather than by a checkpoint during the first copy.
    await db.query('VACUUM ANALYZE');
    await db.query('CHECKPOINT');
    return { storeId, scanIds, bytes, files };
  } finally {
    await db.close();
  }
}

/** The default fixture: FILES_PER_SCAN demo shelf PNGs padded to FILE_BYTES, per scan. */
function paddedPngPlan(filesDir: string | undefined): FilePlan {
  return (index, place) =>
    Promise.all(Array.from({ length: FILES_PER_SCAN }, async (_, f) => {
      const name = `bench_${index}_${f + 1}.png`;
      const bytes = paddedPng(place, FILE_BYTES);
      const file = { name, contentType: 'image/png', inputType: 'image' as const, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      if (!filesDir) return { ...file, content: bytes };
      const path = join(filesDir, name);
      await writeFile(path, bytes);
      return { ...file, path };
    }));
}

async function loadPlacements(db: Queryable): Promise<Placement[]> {
  const rows = await db.query<Placement>(
    `WITH store AS (
       SELECT store_id FROM planograms_implementation_planogramstore GROUP BY store_id ORDER BY count(*) DESC, store_id LIMIT 1)
     SELECT sp.store_id AS "storeId", sp.id AS "storePlanogramId", p.id AS "planogramId", p.name AS "planogramName",
            p.category_id AS "categoryId", s.id AS "sectionId", s.name AS "sectionName"
       FROM planograms_implementation_planogramstore sp
       JOIN store USING (store_id)
       JOIN planograms_implementation_planogram p ON p.id = sp.planogram_id
       JOIN planograms_implementation_planogramsection s ON s.planogram_id = p.id
      ORDER BY sp.id, s.id`,
  );
  if (rows.length === 0) throw new ScanCopyError('USAGE', 'the source database holds no store planogram', { hint: 'Start the source sandbox with the demo catalog (seedDemo scans: 0).' });
  return rows;
}

async function writeScans(tx: Queryable, chunk: Placement[], offset: number, planned: FixtureFile[][]): Promise<number[]> {
  const files = planned.flat().map((f) => [f.name, f.contentType, f.inputType, f.size, f.sha256, f.content ?? null, f.path ?? null]);
  const fileIds = await insertRows(tx, 'sandbox_fileupload', FILE_COLUMNS, files);
  const firstFile = planned.map((_, i) => planned.slice(0, i).reduce((n, list) => n + list.length, 0));
  const idsOf = (i: number): number[] => fileIds.slice(firstFile[i], (firstFile[i] as number) + (planned[i] as FixtureFile[]).length);
  const scanRows = chunk.map((place, i) => {
    const payload = {
      store: place.storeId,
      captured_at: 1_764_000_000 + offset + i,
      category_id: place.categoryId,
      section_id: place.sectionId,
      store_planogram: place.storePlanogramId,
      aisle: 'Bench',
      task_id: 900_000 + offset + i,
      scan_type: 'shelf',
      files: idsOf(i),
    };
    return [JSON.stringify({ _raw_data: payload }), place.storeId, place.categoryId, 'created', false];
  });
  const scanIds = await insertRows(tx, 'realograms_implementation_scan', SCAN_COLUMNS, scanRows);
  const scanFiles = scanIds.flatMap((scanId, i) => idsOf(i).map((fileId, f) => [scanId, fileId, (planned[i] as FixtureFile[])[f]?.inputType]));
  await insertRows(tx, 'realograms_implementation_scanfile', [['scan_id', 'bigint'], ['file_id', 'bigint'], ['file_type', 'text']], scanFiles);
  // Processed like the platform would, so a download names files by section as in the field.
  const today = new Date().toISOString().slice(0, 10);
  const inputs: ProcessingInput[] = chunk.map((place, i) => {
    const random = createRandom(hashSeed('bench', offset + i));
    const section = { storePlanogramId: place.storePlanogramId, planogramId: place.planogramId, sectionId: place.sectionId, sectionName: place.sectionName, aisleName: 'Bench', ...simulateSectionFigures(random) };
    return { scanId: scanIds[i] as number, scanDate: today, mapBy: 'planogram_section', sections: [section], bays: simulateBays(random) };
  });
  await writeProcessingResults(tx, inputs);
  return scanIds;
}

const baseImages = new Map<number, Buffer>();

function paddedPng(place: Placement, size: number): Buffer {
  let base = baseImages.get(place.sectionId);
  if (!base) {
    base = drawShelfPng({ planogramId: place.planogramId, sectionId: place.sectionId, planogramName: place.planogramName, sectionName: place.sectionName, variant: 0 });
    baseImages.set(place.sectionId, base);
  }
  const padding = randomBytes(Math.max(0, size - base.length - 12));
  const chunk = Buffer.alloc(12 + padding.length);
  chunk.writeUInt32BE(padding.length, 0);
  // Lower-case first letter: ancillary, so every PNG reader skips it.
  chunk.write('bnCh', 4, 'latin1');
  padding.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + padding.length)), 8 + padding.length);
  const iend = base.length - 12;
  return Buffer.concat([base.subarray(0, iend), chunk, base.subarray(iend)]);
}
