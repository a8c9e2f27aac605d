/**
 * A file write stream for bodies arriving in a socket's 64 KiB chunks: while one write is on
 * its way to the disk, the chunks queue up to 1 MiB and go out as one writev, a few writes per
 * file instead of one per chunk (the client's spool, the sandbox's stored uploads).
 */
import { createWriteStream, type WriteStream } from 'node:fs';

const WRITE_QUEUE_BYTES = 1024 * 1024;

export function queuedWriteStream(path: string): WriteStream {
  return createWriteStream(path, { highWaterMark: WRITE_QUEUE_BYTES });
}
