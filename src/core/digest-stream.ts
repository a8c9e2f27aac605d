/**
 * A pass-through that hashes (sha256) and counts what flows through it, so a body streamed
 * to disk is checked without a second read (the client's downloads).
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

export interface DigestStream {
  stream: Transform;
  /** Bytes seen so far. */
  bytes(): number;
  /** The sha256 (hex) of everything seen; call once the stream has ended. */
  sha256(): string;
}

export function digestStream(): DigestStream {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, bytes: () => bytes, sha256: () => hash.digest('hex') };
}
