/**
 * Uploaded bytes kept as files in a folder, as the platform keeps them in object storage and
 * not in its database: writing a file costs less CPU than a bytea row (encoding, WAL,
 * TOAST). One file per distinct content, named by its sha256, so identical uploads share it
 * and no name ever comes from the client.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join, resolve } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { tempPathFor } from '../core/atomic-file.js';
import { ScanCopyError } from '../core/errors.js';
import { queuedWriteStream } from '../core/write-stream.js';
import { HeldBytes } from './held-bytes.js';

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
    const probe = tempPathFor(join(absolute, 'probe'));
    try {
      await writeFile(probe, '');
    } finally {
      await rm(probe, { force: true });
    }
  } catch (err) {
    throw new ScanCopyError('USAGE', `cannot keep uploaded files in ${absolute}: ${reason(err)}`, {
      cause: err,
      hint: 'Give a folder the sandbox can create and write to.',
    });
  }
  return absolute;
}

/** An upload taken in whole, its bytes held in memory or in a temp file until it is kept or dropped. */
export interface ReceivedUpload {
  size: number;
  sha256: string;
  /** Files the bytes as `dir/<sha256>` and returns that path; held bytes whose content is there already are not written again. */
  keep(): Promise<string>;
  /** Lets the bytes go (an upload cut short by the size limit). */
  drop(): Promise<void>;
}

/**
 * Bytes of an upload held in memory while it is hashed. One that fits is written only if its
 * content is not stored yet: the bench uploads seven contents again and again, and writing
 * each again cost the target sandbox a sixth of its CPU. Taking the bench's mix (1.46 GB, 20
 * at a time) cost it 5.0-6.7 s of CPU, now 4.3-5.6 s (system time 1.5-1.8 -> 0.9-1.0 s), its
 * peak RSS 170 -> 330 MB. The mix's 60 MB videos, a third of its bytes, still go to disk:
 * holding up to 64 MiB saved no CPU measurably and took the peak to 570 MB.
 */
const HELD_BYTES = 16 * 1024 * 1024;

/**
 * Takes an upload as it arrives, hashing on the way: one of up to HELD_BYTES in memory, a
 * larger one streamed into a temp file in `dir` as it comes, so a video of hundreds of MB
 * never sits in the sandbox's memory, as object storage takes it.
 */
export async function receiveUpload(dir: string, body: Readable): Promise<ReceivedUpload> {
  const hash = createHash('sha256');
  const held = new HeldBytes();
  let size = 0;
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let over: Buffer | undefined;
  while (!over) {
    const next = await chunks.next();
    if (next.done) {
      const sha256 = hash.digest('hex');
      return { size, sha256, keep: () => keepHeld(dir, sha256, size, held), drop: async () => held.release() };
    }
    hash.update(next.value);
    size += next.value.length;
    if (size > HELD_BYTES) over = next.value;
    else held.append(next.value);
  }
  const temp = tempPathFor(join(dir, `upload-${randomBytes(8).toString('hex')}`));
  async function* rest(first: Buffer): AsyncGenerator<Buffer> {
    try {
      yield* held.views();
      yield first;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        hash.update(next.value);
        size += next.value.length;
        yield next.value;
      }
    } finally {
      // A failed write ends the body too, as a pipeline from it would.
      await chunks.return?.();
    }
  }
  try {
    await pipeline(rest(over), queuedWriteStream(temp));
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  held.release();
  const sha256 = hash.digest('hex');
  return {
    size,
    sha256,
    keep: async () => {
      const path = join(dir, sha256);
      await rename(temp, path).catch(async (err: unknown) => {
        await rm(temp, { force: true });
        throw err;
      });
      return path;
    },
    drop: () => rm(temp, { force: true }),
  };
}

async function keepHeld(dir: string, sha256: string, size: number, held: HeldBytes): Promise<string> {
  const path = join(dir, sha256);
  const there = await stat(path).catch(() => undefined);
  // Named by its content: a file of the right size there holds these bytes.
  if (there?.isFile() && there.size === size) {
    held.release();
    return path;
  }
  const temp = tempPathFor(path);
  try {
    await pipeline(Readable.from(held.views()), queuedWriteStream(temp));
    await rename(temp, path);
  } catch (err) {
    // The blocks are not handed on: a write cut short may still be reading one.
    await rm(temp, { force: true });
    throw err;
  }
  held.release();
  return path;
}

/** "not a directory (ENOTDIR)": the system's words without Node's repeat of the path. */
function reason(err: unknown): string {
  const { errno, code, message } = err as NodeJS.ErrnoException;
  const text = errno === undefined ? undefined : getSystemErrorMap().get(errno)?.[1];
  return text && code ? `${text} (${code})` : message;
}
