/**
 * One image file: skipped when the manifest says it is complete and the disk agrees, else
 * streamed to a temporary name, checked, recorded in the manifest and only then renamed to
 * its final name. A truncated or interrupted download never carries a final name.
 */
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_SUFFIX, syncDirectory, tempPathFor } from '../../core/atomic-file.js';
import { ScanCopyError } from '../../core/errors.js';
import type { PlatformApi } from '../../platform/api.js';
import { isComplete, type ManifestEntry, type ManifestWriter } from './manifest.js';
import type { MetaAhead } from './meta-ahead.js';
import { imageExtension, SNIFF_BYTES } from './naming.js';

export interface FileTask {
  scanId: number;
  fileId: number;
  /** The final name without its extension (the extension comes with the content). */
  baseName: string;
}

export type FileOutcome = { kind: 'downloaded' | 'skipped'; entry: ManifestEntry };

export interface FetchContext {
  dir: string;
  api: Pick<PlatformApi, 'downloadFileTo'>;
  manifest: ManifestWriter;
  /** Rows of earlier runs by `taskKey`. */
  previous: ReadonlyMap<string, ManifestEntry>;
  /** Metadata resolved ahead, when there is some for the file. */
  metaAhead?: Pick<MetaAhead, 'take'>;
  signal?: AbortSignal;
}

export function taskKey(scanId: number, fileId: number, baseName: string): string {
  return `${scanId}:${fileId}:${baseName}`;
}

/** The key of an existing row: its name minus the extension `imageExtension` gave it. */
export function entryKey(entry: ManifestEntry): string {
  const dot = entry.fileName.lastIndexOf('.');
  return taskKey(entry.scanId, entry.fileId, dot > 0 ? entry.fileName.slice(0, dot) : entry.fileName);
}

export async function fetchFile(task: FileTask, ctx: FetchContext): Promise<FileOutcome> {
  const previous = ctx.previous.get(taskKey(task.scanId, task.fileId, task.baseName));
  if (previous && (await isComplete(ctx.dir, previous))) return { kind: 'skipped', entry: previous };

  const temp = tempPathFor(join(ctx.dir, task.baseName));
  let entry: ManifestEntry | undefined;
  try {
    const meta = await ctx.metaAhead?.take(task);
    const got = await ctx.api.downloadFileTo(task.fileId, temp, { signal: ctx.signal, meta });
    const head = await checkAndSync(temp, got.bytes, task.fileId);
    entry = {
      scanId: task.scanId,
      fileId: task.fileId,
      fileName: task.baseName + imageExtension(got.originalFilename, got.contentType, head),
      bytes: got.bytes,
      sha256: got.sha256,
      originalFilename: got.originalFilename,
    };
    await ctx.manifest.put(entry);
    await rename(temp, join(ctx.dir, entry.fileName));
  } catch (err) {
    await rm(temp, { force: true });
    // A row put just before a failed rename would name a file that is not there (harmless, but untidy).
    if (entry) await ctx.manifest.remove(entry.fileName).catch(() => undefined);
    throw err;
  }
  return { kind: 'downloaded', entry };
}

/**
 * The temp file must hold exactly what the client counted, on stable storage before it is
 * renamed. Returns its first bytes, which name its type when its original name does not.
 */
async function checkAndSync(path: string, expectedBytes: number, fileId: number): Promise<Uint8Array> {
  const info = await stat(path);
  if (info.size !== expectedBytes) {
    throw new ScanCopyError('INTEGRITY', `file ${fileId}: ${info.size} bytes on disk, ${expectedBytes} received`, { context: { fileId } });
  }
  const handle = await open(path, 'r+');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    await handle.sync();
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const LEFTOVER = new RegExp(`^\\..+\\.[0-9a-f]{8}${TEMP_SUFFIX.replace('.', '\\.')}$`);

/** Removes the temporary files a killed run left behind (ours only: `.name.<8 hex>.partial`). */
export async function removeLeftovers(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true });
  const leftovers = entries.filter((e) => e.isFile() && LEFTOVER.test(e.name));
  await Promise.all(leftovers.map((e) => rm(join(dir, e.name), { force: true })));
  if (leftovers.length > 0) await syncDirectory(dir);
  return leftovers.length;
}
