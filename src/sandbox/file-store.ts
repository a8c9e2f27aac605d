/**
 * Uploaded files: a row of `sandbox_fileupload` (name, type, hash) holding
 * the bytes, or pointing at them on disk (`storage_path`). Bytes in the row are streamed back
 * in slices so that serving many or large files never holds them whole.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ScanCopyError } from '../core/errors.js';
import type { Db, Queryable } from '../platform/db.js';
import type { ContentCache } from './content-cache.js';

export interface StoredFile {
  id: number;
  originalFilename: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** An upload: its bytes, or the file receiveUpload kept them in. */
export type NewFile = ({ bytes: Buffer } | { stored: { path: string; size: number; sha256: string } }) & {
  originalFilename: string;
  contentType: string;
  inputType: string;
};

/** Bytes per slice read from the database when streaming content. */
const SLICE = 256 * 1024;
/**
 * Bytes per read of a file on disk: the default 64 KiB cost a read, a buffer and a socket write
 * each. No more than the file's size: a read stream allocates a whole read's buffer for any
 * file, and copies a short read into one that fits.
 */
const DISK_READ = 1024 * 1024;

/** Stores the file: bytes in memory go into the row; an upload kept on disk (receiveUpload) is pointed at. */
export async function insertFile(db: Queryable, file: NewFile): Promise<StoredFile> {
  const bytes = 'bytes' in file ? file.bytes : null;
  const sha256 = bytes ? createHash('sha256').update(bytes).digest('hex') : (file as { stored: { sha256: string } }).stored.sha256;
  const size = bytes ? bytes.length : (file as { stored: { size: number } }).stored.size;
  const storagePath = bytes === null ? (file as { stored: { path: string } }).stored.path : null;
  const [row] = await db.query<{ id: number }>(
    `INSERT INTO sandbox_fileupload (original_filename, content_type, input_type, size, sha256, content, storage_path)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [file.originalFilename, file.contentType, file.inputType, size, sha256, storagePath === null ? bytes : null, storagePath],
  );
  if (!row) throw new ScanCopyError('INTERNAL', 'storing an uploaded file returned no row');
  return { id: row.id, originalFilename: file.originalFilename, contentType: file.contentType, size, sha256 };
}

export async function findFile(db: Queryable, id: number): Promise<(StoredFile & { storagePath: string | null }) | undefined> {
  const [row] = await db.query<{ id: number; original_filename: string; content_type: string; size: number; sha256: string; storage_path: string | null }>(
    `SELECT id, original_filename, content_type, size, sha256, storage_path
       FROM sandbox_fileupload WHERE id = $1`,
    [id],
  );
  return row && { id: row.id, originalFilename: row.original_filename, contentType: row.content_type, size: row.size, sha256: row.sha256.trim(), storagePath: row.storage_path };
}

/**
 * The file's bytes: from disk when stored there (from memory when `cache` holds them), else
 * slice by slice from the row. Undefined when the file on disk is gone, so the caller can
 * answer 404 before any header is sent.
 */
export async function openContent(db: Queryable, file: { id: number; size: number; storagePath: string | null }, cache: ContentCache): Promise<Buffer | Readable | undefined> {
  if (!file.storagePath) return Readable.from(slices(db, file.id, file.size));
  try {
    const held = await cache.read(file.storagePath, file.size);
    if (held) return held;
    return (await open(file.storagePath, 'r')).createReadStream({ highWaterMark: Math.max(1, Math.min(DISK_READ, file.size)) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function* slices(db: Queryable, id: number, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < size; offset += SLICE) {
    const [row] = await db.query<{ part: Uint8Array | null }>(
      'SELECT substring(content FROM $2::int FOR $3::int) AS part FROM sandbox_fileupload WHERE id = $1',
      [id, offset + 1, SLICE],
    );
    if (!row?.part) return;
    yield Buffer.from(row.part.buffer, row.part.byteOffset, row.part.byteLength);
  }
}

/**
 * Deletes the upload unless a scan uses it. The row is locked first, so a create holding it
 * (create-scan locks its files) either commits before this looks, or finds the row gone.
 * Bytes on disk stay: identical uploads share them.
 */
export async function purgeIfUnused(db: Db, id: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [file] = await tx.query<{ id: number }>('SELECT id FROM sandbox_fileupload WHERE id = $1 FOR UPDATE', [id]);
    if (!file) return false;
    const [used] = await tx.query('SELECT 1 FROM realograms_implementation_scanfile WHERE file_id = $1 LIMIT 1', [id]);
    if (used) return false;
    await tx.query('DELETE FROM sandbox_fileupload WHERE id = $1', [id]);
    return true;
  });
}
