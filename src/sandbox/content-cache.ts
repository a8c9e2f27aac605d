/**
 * Stored files' bytes kept in memory, so that serving a file again costs a stat and one socket
 * write instead of an open, reads into a fresh 1 MiB buffer each and the full collections that
 * churn of external memory brings: a third of the source sandbox's CPU went to the garbage
 * collector and a sixth to reads. Serving the bench's files (1.46 GB, 20 at a time) cost it
 * 2.5-2.7 s of CPU streamed and 0.7-0.9 s held, most of the rest the socket writes; its peak
 * RSS grew by 40 MB. Files are immutable once stored (named by their sha256 and
 * renamed into place), but a seeded row may point at any file: an entry holds for the inode,
 * size and times it was read with, so a file replaced or rewritten on disk is read again.
 */
import { open, stat } from 'node:fs/promises';

export interface ContentCacheLimits {
  /** Bytes held in all; the least recently served files go first. */
  maxBytes: number;
  /** Larger files are never held: they are streamed from disk. */
  maxFileBytes: number;
}

interface Entry {
  version: string;
  bytes: Buffer;
}

export class ContentCache {
  /** By path, least recently served first. */
  readonly #entries = new Map<string, Entry>();
  /** Reads under way, by path and version: concurrent first requests read the file once. */
  readonly #reading = new Map<string, Promise<Entry | undefined>>();
  #held = 0;

  constructor(private readonly limits: ContentCacheLimits) {}

  /**
   * The file's bytes, when the file is `size` bytes long (the size its row promises) and small
   * enough to hold; undefined when it must be streamed. A missing file rejects with ENOENT.
   */
  async read(path: string, size: number): Promise<Buffer | undefined> {
    const now = await stat(path);
    if (!now.isFile() || now.size !== size || size > this.limits.maxFileBytes) return undefined;
    const version = versionOf(now);
    const held = this.#entries.get(path);
    if (held?.version === version) {
      this.#entries.delete(path);
      this.#entries.set(path, held);
      return held.bytes;
    }
    const key = `${version}\0${path}`;
    let reading = this.#reading.get(key);
    if (!reading) {
      reading = readWhole(path, size).finally(() => this.#reading.delete(key));
      this.#reading.set(key, reading);
    }
    const entry = await reading;
    if (entry) this.#keep(path, entry);
    return entry?.bytes;
  }

  #keep(path: string, entry: Entry): void {
    const old = this.#entries.get(path);
    if (old === entry) return;
    if (old) this.#held -= old.bytes.length;
    this.#entries.delete(path);
    this.#entries.set(path, entry);
    this.#held += entry.bytes.length;
    for (const [oldest, { bytes }] of this.#entries) {
      if (this.#held <= this.limits.maxBytes) break;
      this.#entries.delete(oldest);
      this.#held -= bytes.length;
    }
  }
}

/** What tells one content of a path from the next: a rename brings a new inode, a rewrite new times. */
function versionOf(s: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/**
 * The file read whole through one handle, with the version of what was read: the stat the
 * caller matched may be of a file replaced since. Undefined when it is no longer `size` bytes.
 */
async function readWhole(path: string, size: number): Promise<Entry | undefined> {
  const handle = await open(path, 'r');
  try {
    const now = await handle.stat();
    if (now.size !== size) return undefined;
    const bytes = Buffer.allocUnsafeSlow(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) return undefined;
      filled += bytesRead;
    }
    return { version: versionOf(now), bytes };
  } finally {
    await handle.close();
  }
}
