/**
 * Images this run already has on disk: the files a download folder's manifest lists, by
 * file id, so their thumbnails are made from those bytes instead of a second fetch. A row
 * whose file is gone or has another size is left out (that image is fetched as usual).
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readManifest } from '../download/manifest.js';

export async function localImageFiles(folders: readonly string[]): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  for (const folder of folders) {
    const dir = resolve(folder);
    for (const entry of await readManifest(dir)) {
      const path = join(dir, entry.fileName);
      const info = await stat(path).catch(() => undefined);
      if (info?.isFile() && info.size === entry.bytes) found.set(entry.fileId, path);
    }
  }
  return found;
}
