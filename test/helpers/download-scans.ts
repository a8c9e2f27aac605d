/**
 * Scans shaped for the download tests, on a running sandbox: files uploaded over its REST
 * API, scan rows and compliance reports written to its database, so that every naming case
 * (section and POG, either, neither, several files, hostile section names) exists exactly.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { RunningSandbox } from '../../src/sandbox/sandbox.js';
import { rawApi } from './sandbox.js';

export interface FixtureFile {
  /** The upload's file name (its `original_filename`). */
  name: string;
  contentType?: string;
  /** @default 2000 */
  size?: number;
  /** What the file holds. @default `size` random bytes */
  content?: Buffer;
}

export interface FixtureScan {
  /** Section name of the scan's first compliance report; none: the scan has no report. */
  sectionName?: string;
  /** `_raw_data.store_planogram`. */
  storePogId?: number;
  files: FixtureFile[];
}

/** Creates the scans in order and returns their ids. */
export async function createFixtureScans(sandbox: RunningSandbox, scans: readonly FixtureScan[]): Promise<number[]> {
  const api = await rawApi(sandbox);
  const db = sandbox.db;
  // Real platforms allow longer section names than the sandbox's varchar(255); hostile names need room.
  await db.query('ALTER TABLE planograms_compliance_planogramcompliancereport ALTER COLUMN section_name TYPE text');
  const [store] = await db.query<{ id: number }>("INSERT INTO master_data_implementation_store (name) VALUES ('Download fixtures') RETURNING id");
  const storeId = store!.id;
  const ids: number[] = [];
  for (const scan of scans) {
    const fileIds: number[] = [];
    for (const file of scan.files) {
      fileIds.push(await api.uploadId(file.content ?? randomBytes(file.size ?? 2000), file.name, file.contentType ?? 'image/jpeg'));
    }
    const rawData: Record<string, unknown> = { store: storeId, files: fileIds, captured_at: 1_760_000_000 };
    if (scan.storePogId !== undefined) rawData.store_planogram = scan.storePogId;
    const [row] = await db.query<{ id: number }>(
      `INSERT INTO realograms_implementation_scan (provided_values, store_id, status, has_report)
       VALUES ($1::jsonb, $2, 'done', $3) RETURNING id`,
      [JSON.stringify({ _raw_data: rawData }), storeId, scan.sectionName !== undefined],
    );
    const scanId = row!.id;
    for (const fileId of fileIds) {
      await db.query('INSERT INTO realograms_implementation_scanfile (scan_id, file_id) VALUES ($1, $2)', [scanId, fileId]);
    }
    if (scan.sectionName !== undefined) await addReports(sandbox, scanId, [scan.sectionName, 'A later report']);
    ids.push(scanId);
  }
  return ids;
}

/** Reports in id order: the first one's section names the images. */
async function addReports(sandbox: RunningSandbox, scanId: number, sectionNames: readonly string[]): Promise<void> {
  const [realogram] = await sandbox.db.query<{ id: number }>('INSERT INTO realograms_implementation_realogram DEFAULT VALUES RETURNING id');
  for (const name of sectionNames) {
    await sandbox.db.query(
      `INSERT INTO planograms_compliance_planogramcompliancereport (realogram_id, section_name, scan_created_date) VALUES ($1, $2, '2026-01-15')`,
      [realogram!.id, name],
    );
  }
  await sandbox.db.query('UPDATE realograms_implementation_scan SET active_realogram_id = $1 WHERE id = $2', [realogram!.id, scanId]);
}

/** sha256 of every file of the scans, as the sandbox stored it at upload, by file id. */
export async function storedHashes(sandbox: RunningSandbox, scanIds: readonly number[]): Promise<Map<number, string>> {
  const rows = await sandbox.db.query<{ id: number; sha256: string }>(
    `SELECT f.id, f.sha256 FROM sandbox_fileupload f
       JOIN realograms_implementation_scanfile sf ON sf.file_id = f.id
      WHERE sf.scan_id = ANY($1::bigint[])`,
    [scanIds],
  );
  return new Map(rows.map((r) => [Number(r.id), r.sha256.trim()]));
}

/** Every file under `root`, as paths relative to it, sorted. */
export async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

export async function sha256OfPath(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}
