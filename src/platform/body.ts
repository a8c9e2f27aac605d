/**
 * Reading a download's body: into memory, streamed to a file with its sha256, or only hashed
 * and counted (a dry run, a verify), checked against Content-Length, so a body cut short is a
 * retryable INTEGRITY error and never a file.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestStream } from '../core/digest-stream.js';
import { ScanCopyError } from '../core/errors.js';
import { queuedWriteStream } from '../core/write-stream.js';
import { httpError, type Answered, type Exchange } from './http.js';

/**
 * With a Content-Length the body is copied straight into one buffer of that size (`into`, the
 * caller's, when given): collecting chunks and concatenating them allocated every file twice,
 * which a long copy pays in peak RSS.
 */
export async function readBody(answered: Answered, ex: Exchange, into?: Buffer): Promise<Buffer> {
  const declared = Number(headerText(answered.headers['content-length']) ?? Number.NaN);
  const sized = Number.isSafeInteger(declared) && declared >= 0 ? (into?.length === declared ? into : Buffer.allocUnsafeSlow(declared)) : undefined;
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of answered.body) {
      const part = chunk as Buffer;
      if (sized && bytes + part.length <= sized.length) part.copy(sized, bytes);
      else chunks.push(part);
      bytes += part.length;
    }
  } catch (err) {
    throw brokenBody(answered, ex, err, bytes);
  } finally {
    answered.done();
  }
  checkLength(answered, ex, bytes);
  return sized ?? Buffer.concat(chunks);
}

/** Streams the body to `path` (overwritten), hashing on the way. */
export function writeBody(answered: Answered, ex: Exchange, path: string): Promise<{ bytes: number; sha256: string }> {
  return hashBodyInto(answered, ex, queuedWriteStream(path), path);
}

/** Streams the body through a hash and drops it: its size and sha256 without holding the file. */
export function digestBody(answered: Answered, ex: Exchange): Promise<{ bytes: number; sha256: string }> {
  return hashBodyInto(answered, ex, new Writable({ write: (_chunk, _encoding, done) => done() }));
}

/** `path`: the file `sink` writes, whose own failures are the disk's, not the download's. */
async function hashBodyInto(answered: Answered, ex: Exchange, sink: Writable, path?: string): Promise<{ bytes: number; sha256: string }> {
  const digest = digestStream();
  try {
    await pipeline(answered.body, digest.stream, sink);
  } catch (err) {
    if (path !== undefined && isFsError(err)) throw new ScanCopyError('IO_ERROR', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
    throw brokenBody(answered, ex, err, digest.bytes());
  } finally {
    answered.done();
  }
  checkLength(answered, ex, digest.bytes());
  return { bytes: digest.bytes(), sha256: digest.sha256() };
}

export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A connection broken mid-body is a truncated transfer, unless it timed out or was stopped. */
function brokenBody(answered: Answered, ex: Exchange, err: unknown, bytes: number): ScanCopyError {
  const mapped = answered.bodyError(err);
  if (mapped.code !== 'SERVER_ERROR') return mapped;
  const declared = headerText(answered.headers['content-length']);
  return httpError('INTEGRITY', ex, `body ended after ${bytes}${declared ? ` of ${declared}` : ''} bytes`, {}, err);
}

function checkLength(answered: Answered, ex: Exchange, bytes: number): void {
  const declared = headerText(answered.headers['content-length']);
  if (declared !== undefined && Number(declared) !== bytes) {
    throw httpError('INTEGRITY', ex, `body ended after ${bytes} of ${declared} bytes`, {});
  }
}

function isFsError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^E(ACCES|NOENT|NOSPC|ROFS|ISDIR|PERM|MFILE|EXIST|NOTDIR)$/.test(code);
}
