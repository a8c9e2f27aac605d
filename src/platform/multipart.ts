/**
 * A multipart/form-data body for one file and a few text fields, written by hand around the
 * caller's bytes. undici's FormData wraps the file in a Blob (a copy) and streams it through
 * several intermediate buffers; at 20 uploads in flight that garbage set the copy's peak RSS
 * (bench/README.md). Here the bytes go out as they are, between a small head and tail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { ScanCopyError } from '../core/errors.js';

/**
 * A file's bytes: in memory, or in a file on disk (a spool) read afresh by every stream and,
 * with `sha256`, checked against the hash it was written with on that same read.
 */
export type FileBytes = { bytes: Uint8Array } | SpooledBytes;

export interface SpooledBytes {
  path: string;
  size: number;
  /** The file's sha256 as it was written: a stream whose read differs fails before its last byte. */
  sha256?: string;
}

/** Read size of a spooled body: fewer reads than the default 64 KiB, while 20 uploads' chunks in flight stay a few MB. */
const SPOOL_CHUNK = 256 * 1024;

export type MultipartFile = FileBytes & {
  field: string;
  filename: string;
  contentType: string;
};

export interface MultipartBody {
  contentType: string;
  contentLength: number;
  /** A fresh stream of the body: each attempt of a retried call needs its own. */
  stream(): Readable;
}

export function multipartBody(fields: Readonly<Record<string, string>>, file: MultipartFile): MultipartBody {
  // 24 random hex digits: the chance that the file holds the delimiter is negligible, as with browsers' boundaries.
  const boundary = `----scancopy${randomBytes(12).toString('hex')}`;
  const textParts = Object.entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"\r\n\r\n${value}\r\n`);
  const head = Buffer.from(
    `${textParts.join('')}--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(file.field)}"; filename="${escapeName(file.filename)}"\r\n` +
      `Content-Type: ${file.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = 'bytes' in file ? file.bytes.byteLength : file.size;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: head.length + size + tail.length,
    stream: () => Readable.from('bytes' in file ? [head, file.bytes, tail] : spooled(head, file, tail), { objectMode: false }),
  };
}

/**
 * The spool read once, hashed as it goes out: its last chunk is held back until the whole
 * file has matched its size and sha256, so a file changed on disk ends the request before
 * the body is complete and the platform never stores it. One read instead of a check's read
 * and then the upload's.
 */
async function* spooled(head: Buffer, file: SpooledBytes, tail: Buffer): AsyncGenerator<Buffer> {
  yield head;
  const hash = file.sha256 === undefined ? undefined : createHash('sha256');
  let held: Buffer | undefined;
  let bytes = 0;
  for await (const chunk of createReadStream(file.path, { highWaterMark: SPOOL_CHUNK }) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > file.size) throw changedOnDisk(`more than its ${file.size} bytes`);
    hash?.update(chunk);
    if (held) yield held;
    held = chunk;
  }
  if (bytes !== file.size) throw changedOnDisk(`${bytes} bytes instead of ${file.size}`);
  const actual = hash?.digest('hex');
  if (actual !== undefined && actual !== file.sha256) throw changedOnDisk(`sha256 ${actual.slice(0, 12)}... instead of ${file.sha256?.slice(0, 12)}...`);
  if (held) yield held;
  yield tail;
}

function changedOnDisk(what: string): ScanCopyError {
  return new ScanCopyError('INTEGRITY', `the spooled copy of the file changed on disk (${what})`, { hint: 'Check the disk of the run folder.' });
}

/** The HTML standard's escaping of names and filenames in a multipart body (as undici and browsers do). */
function escapeName(name: string): string {
  return name.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
}
