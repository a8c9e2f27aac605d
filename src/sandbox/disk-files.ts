/**
 * Uploaded bytes kept as files in a folder, as the platform keeps them in object storage and
 * not in its database: writing a file costs less CPU than a bytea row (encoding, WAL,
 * TOAST). One file per distinct content, named by its sha256, so identical uploads share it
 * and no name ever comes from the client.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join, resolve } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { tempPathFor } from '../core/atomic-file.js';
import { digestStream } from '../core/digest-stream.js';
import { ScanCopyError } from '../core/errors.js';
import { queuedWriteStream } from '../core/write-stream.js';

/**
 * Creates `dir` if missing and proves it writable, so a bad folder fails the start and not
 * the first upload. Returns it absolute: rows store full paths, which any process serving
 * the same database can open whatever its working directory.
 */
export async function prepareStorageDir(dir: string): Promise<string> {
  // resolve('') is the working directory: not something a user would mean.
  if (dir.trim() === '') throw new ScanCopyError('USAGE', 'The folder for uploaded files must not be empty.');
  const absolute = resolve(dir);
  try {
    await mkdir(absolute, { recursive: true });
    await rm(await writeTemp(join(absolute, 'probe'), Buffer.alloc(0)));
  } catch (err) {
    throw new ScanCopyError('USAGE', `cannot keep uploaded files in ${absolute}: ${reason(err)}`, {
      cause: err,
      hint: 'Give a folder the sandbox can create and write to.',
    });
  }
  return absolute;
}

/** Stores `bytes` as `dir/<sha256>` and returns that path. */
export async function storeBytes(dir: string, sha256: string, bytes: Buffer): Promise<string> {
  const path = join(dir, sha256);
  const temp = await writeTemp(path, bytes);
  // A reader sees the whole file or none; renaming over an identical upload's file is harmless.
  await rename(temp, path).catch(async (err: unknown) => {
    await rm(temp, { force: true });
    throw err;
  });
  return path;
}

/**
 * Streams an upload into `dir` as it arrives, hashing on the way, and files it under its
 * sha256: a video of hundreds of MB never sits in the sandbox's memory, as object storage
 * takes it. Returns the path, size and hash.
 */
export async function streamBytes(dir: string, body: Readable): Promise<{ path: string; size: number; sha256: string }> {
  const temp = tempPathFor(join(dir, `upload-${randomBytes(8).toString('hex')}`));
  const digest = digestStream();
  try {
    await pipeline(body, digest.stream, queuedWriteStream(temp));
    const sha256 = digest.sha256();
    const path = join(dir, sha256);
    await rename(temp, path);
    return { path, size: digest.bytes(), sha256 };
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** "not a directory (ENOTDIR)": the system's words without Node's repeat of the path. */
function reason(err: unknown): string {
  const { errno, code, message } = err as NodeJS.ErrnoException;
  const text = errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1];
  return text && code ? `${text} (${code})` : message;
}

/** Writes `bytes` next to `finalPath` under a temp name (the project's, see atomic-file) and returns it. */
async function writeTemp(finalPath: string, bytes: Buffer): Promise<string> {
  const temp = tempPathFor(finalPath);
  try {
    await writeFile(temp, bytes);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return temp;
}
