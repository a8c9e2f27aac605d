/**
 * `manifest.csv` in a download folder: one row per image file with its size and sha256, so a
 * re-run can tell a complete file from a stale or damaged one and fetch only the rest.
 *
 * A row is made durable *before* its file is renamed to its final name: after a kill -9 every
 * final-named file has its row. A row whose file is missing or differs (killed between the two
 * steps, or edited since) is simply downloaded again, because rows are always checked against
 * the disk before a file is skipped.
 *
 * During a run rows are appended (rewriting the whole file per row is quadratic), so the file
 * may hold several rows for one name, the last being current, and a kill mid-append may leave a
 * torn last row. Reading drops a torn or unparseable row (its file is downloaded again). The
 * first write of a run replaces the whole file atomically, so an append never lands after a
 * torn fragment; the end of a run rewrites it sorted, one row per file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { writeFileAtomic } from '../../core/atomic-file.js';
import { ScanCopyError } from '../../core/errors.js';
import { GroupCommit } from '../../core/group-commit.js';
import { restoreCell } from '../../reports/cells.js';
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

/**
 * Reads a folder's manifest, one entry per file name; none yet is an empty one. Rows that do not
 * parse are left out (their files get downloaded again); a file without the manifest's header is
 * refused rather than overwritten.
 */
export async function readManifest(dir: string): Promise<ManifestEntry[]> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ScanCopyError('IO_ERROR', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let header: string[] = [];
  let rows: Array<{ record: Record<string, string>; raw: string }>;
  try {
    rows = parse(text, {
      columns: (names: string[]) => (header = names),
      skip_empty_lines: true,
      bom: true,
      relax_column_count: true,
      // A torn last row may end inside an open quote; it is dropped like any other bad row.
      skip_records_with_error: true,
      raw: true,
    }) as unknown as typeof rows;
  } catch (err) {
    throw notAManifest(path, (err as Error).message, err);
  }
  if (!MANIFEST_COLUMNS.every((column) => header.includes(column))) throw notAManifest(path, 'it does not start with the manifest header');
  const entries = new Map<string, ManifestEntry>();
  for (const { record, raw } of rows) {
    // Every row is written with its newline: one without it was cut short by a kill.
    const entry = raw.endsWith('\n') ? entryFromRow(record) : undefined;
    if (entry) entries.set(entry.fileName, entry);
  }
  return [...entries.values()];
}

function notAManifest(path: string, why: string, cause?: unknown): ScanCopyError {
  return new ScanCopyError('CHECKPOINT_CORRUPT', `${path} is not a manifest: ${why}`, {
    hint: 'Delete manifest.csv: every file is then checked by downloading it again.',
    cause,
  });
}

function entryFromRow(row: Record<string, string>): ManifestEntry | undefined {
  const scanId = Number(row.scan_id);
  const fileId = Number(row.file_id);
  const bytes = Number(row.bytes);
  const fileName = restoreCell(row.file_name ?? '');
  const sha256 = (row.sha256 ?? '').toLowerCase();
  if (![scanId, fileId, bytes].every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
  if (!/^[0-9a-f]{64}$/.test(sha256) || !isPlainFileName(fileName)) return undefined;
  return { scanId, fileId, fileName, bytes, sha256, originalFilename: restoreCell(row.original_filename ?? '') };
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
 * folder). Writes are group commits (core/group-commit): rows added while a write is in
 * progress go out together in the next one, so twenty workers finishing at once cost two writes. A write appends just the rows
 * added since the last one, except that the first of a run, one after a remove or a failed
 * write, and `compact` replace the whole file atomically.
 */
export class ManifestWriter {
  readonly path: string;
  readonly #rows = new Map<string, ManifestEntry>();
  /** Rows put since the last write began. */
  readonly #unwritten = new Map<string, ManifestEntry>();
  #rewrite = true;
  readonly #commit = new GroupCommit<void>(() => this.#write());

  constructor(readonly dir: string, existing: readonly ManifestEntry[]) {
    this.path = join(dir, MANIFEST_FILE);
    for (const entry of existing) this.#rows.set(entry.fileName, entry);
  }

  get entries(): ManifestEntry[] {
    return [...this.#rows.values()];
  }

  /** Adds (or replaces) a row; resolves once the row is on disk. */
  put(entry: ManifestEntry): Promise<void> {
    this.#rows.set(entry.fileName, entry);
    this.#unwritten.set(entry.fileName, entry);
    return this.#commit.add();
  }

  /** Drops a row (its file did not take its final name); resolves once that is on disk. */
  remove(fileName: string): Promise<void> {
    this.#rows.delete(fileName);
    this.#unwritten.delete(fileName);
    this.#rewrite = true;
    return this.#commit.add();
  }

  /** Rewrites the file sorted by scan and name, one row per file: the end of a run. */
  compact(): Promise<void> {
    this.#rewrite = true;
    return this.#commit.add();
  }

  async #write(): Promise<void> {
    const rewrite = this.#rewrite;
    const rows = rewrite ? [...this.#rows.values()].sort(byScanAndName) : [...this.#unwritten.values()];
    const text = formatCsv(MANIFEST_COLUMNS, rows.map(csvRow), { header: rewrite });
    this.#rewrite = false;
    this.#unwritten.clear();
    try {
      await (rewrite ? writeFileAtomic(this.path, text) : appendDurably(this.path, text));
    } catch (err) {
      // An append may have stopped mid-row: the next write replaces the file instead of adding to it.
      this.#rewrite = true;
      throw new ScanCopyError('IO_ERROR', `cannot write ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function byScanAndName(a: ManifestEntry, b: ManifestEntry): number {
  return a.scanId - b.scanId || (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0);
}

function csvRow(e: ManifestEntry): Record<(typeof MANIFEST_COLUMNS)[number], string | number> {
  return { scan_id: e.scanId, file_id: e.fileId, file_name: e.fileName, bytes: e.bytes, sha256: e.sha256, original_filename: e.originalFilename };
}

/** Appends and fdatasyncs. No O_CREAT: rows must never start a file without its header. */
async function appendDurably(path: string, text: string): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_APPEND);
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
