/**
 * Files are written under a temporary name, fsynced and renamed: a crash leaves either the
 * old complete file or the new complete file, never a torn one under the final name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const TEMP_SUFFIX = '.partial';

/** A temp path next to `finalPath` (same directory, so rename is atomic). */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
}

export interface AtomicWriteOptions {
  /** Runs when half the data is on disk under the temporary name: the crash-point hook of the exactly-once tests. */
  midWrite?: () => void;
}

export async function writeFileAtomic(finalPath: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(dirname(finalPath), { recursive: true });
  const temp = tempPathFor(finalPath);
  try {
    const handle = await open(temp, 'w');
    try {
      if (options.midWrite) {
        const half = Math.floor(data.length / 2);
        await handle.writeFile(data.slice(0, half));
        options.midWrite();
        await handle.writeFile(data.slice(half));
      } else {
        await handle.writeFile(data);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, finalPath);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dirname(finalPath));
}

/** Makes a rename durable; not every platform lets a directory be opened, so failure is fine. */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    return;
  }
}
