/**
 * A multipart/form-data body for one file and a few text fields, written by hand around the
 * caller's bytes. undici's FormData wraps the file in a Blob (a copy) and streams it through
 * several intermediate buffers; at 20 uploads in flight that garbage set the copy's peak RSS
 * (bench/README.md). Here the bytes go out as they are, between a small head and tail.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/** A file's bytes: in memory, or in a file on disk (a spool) read afresh by every stream. */
export type FileBytes = { bytes: Uint8Array } | { path: string; size: number };

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
    stream: () => ('bytes' in file ? Readable.from([head, file.bytes, tail], { objectMode: false }) : Readable.from(spooled(head, file.path, tail), { objectMode: false })),
  };
}

async function* spooled(head: Buffer, path: string, tail: Buffer): AsyncGenerator<Buffer> {
  yield head;
  yield* createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>;
  yield tail;
}

/** The HTML standard's escaping of names and filenames in a multipart body (as undici and browsers do). */
function escapeName(name: string): string {
  return name.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
}
