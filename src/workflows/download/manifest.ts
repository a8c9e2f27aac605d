/**
 * `manifest.csv` in a download folder: one row per image file with its size and sha256, so a
 * re-run can tell a complete file from a stale or damaged one and fetch only the rest.
 *
 * A row is made durable *before* its file is renamed to its final name: after a kill -9 every
 * final-named file has its row. A row whose file is missing or differs (killed between the two
 * steps, or edited since) is simply downloaded again, because rows are always checked against
 * the disk before a file is skipped.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { ScanCopyError } from '../../core/errors.js';
import { formatCsv } from '../../reports/csv.js';

export const MANIFEST_FILE = 'manifest.csv';
export const MANIFEST_COLUMNS = ['scan_id', 'file_id', 'file_name', 'bytes', 'sha256', 'original_filename'] as const;

export interface ManifestEntry {
  scanId: number;
  fileId: number;
  /** Name inside the download folder. */
  fileName: string;
  bytes: number;
  sha256: string;
  originalFilename: string;
}

/** Reads a folder's manifest; none yet is an empty one. Rows that do not parse are left out (their files get downloaded again). */
export async function readManifest(dir: string): Promise<ManifestEntry[]> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ScanCopyError('IO_ERROR', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true }) as Array<Record<string, string>>;
  } catch (err) {
    throw new ScanCopyError('CHECKPOINT_CORRUPT', `${path} is not a readable CSV: ${(err as Error).message}`, {
      hint: 'Delete manifest.csv: every file is then checked by downloading it again.',
      cause: err,
    });
  }
  return rows.flatMap((row) => {
    const entry = entryFromRow(row);
    return entry ? [entry] : [];
  });
}

function entryFromRow(row: Record<string, string>): ManifestEntry | undefined {
  const scanId = Number(row.scan_id);
  const fileId = Number(row.file_id);
  const bytes = Number(row.bytes);
  const fileName = row.file_name ?? '';
  const sha256 = (row.sha256 ?? '').toLowerCase();
  if (![scanId, fileId, bytes].every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
  if (!/^[0-9a-f]{64}$/.test(sha256) || !isPlainFileName(fileName)) return undefined;
  return { scanId, fileId, fileName, bytes, sha256, originalFilename: row.original_filename ?? '' };
}

/** A manifest is data on disk too: a name from it must stay inside the folder. */
function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/** Whether the file a row names is on disk with the row's size and sha256. */
export async function isComplete(dir: string, entry: ManifestEntry): Promise<boolean> {
  const path = join(dir, entry.fileName);
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size !== entry.bytes) return false;
    return (await sha256OfFile(path)) === entry.sha256;
  } catch {
    return false;
  }
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The manifest of one folder while a run adds to it. Rows are keyed by file name (unique in a
 * folder). Writes are whole-file atomic and coalesced: rows added while a write is in progress
 * go out together in the next one, so twenty workers finishing at once cost two writes.
 */
export class ManifestWriter {
  readonly path: string;
  readonly #rows = new Map<string, ManifestEntry>();
  #writing: Promise<void> = Promise.resolve();
  #pending: Promise<void> | undefined;

  constructor(readonly dir: string, existing: readonly ManifestEntry[]) {
    this.path = join(dir, MANIFEST_FILE);
    for (const entry of existing) this.#rows.set(entry.fileName, entry);
  }

  get entries(): ManifestEntry[] {
    return [...this.#rows.values()];
  }

  /** Adds (or replaces) a row; resolves once a manifest holding it is on disk. */
  put(entry: ManifestEntry): Promise<void> {
    this.#rows.set(entry.fileName, entry);
    return this.flush();
  }

  /** Drops a row (its file did not take its final name); resolves once that is on disk. */
  remove(fileName: string): Promise<void> {
    this.#rows.delete(fileName);
    return this.flush();
  }

  /** Writes the current rows after any write in progress; concurrent callers share one write. */
  flush(): Promise<void> {
    this.#pending ??= this.#writing.then(() => {
      this.#pending = undefined;
      return this.#write();
    });
    this.#writing = this.#pending.catch(() => undefined);
    return this.#pending;
  }

  async #write(): Promise<void> {
    const rows = [...this.#rows.values()]
      .sort((a, b) => a.scanId - b.scanId || (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0))
      .map((e) => ({ scan_id: e.scanId, file_id: e.fileId, file_name: e.fileName, bytes: e.bytes, sha256: e.sha256, original_filename: e.originalFilename }));
    try {
      await writeFileAtomic(this.path, formatCsv(MANIFEST_COLUMNS, rows));
    } catch (err) {
      throw new ScanCopyError('IO_ERROR', `cannot write ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }
}
