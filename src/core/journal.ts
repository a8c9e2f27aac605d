/**
 * An append-only NDJSON journal: one JSON record per line, made durable (write + fsync)
 * before `append` resolves, so a caller can journal an intent, perform a side effect, and
 * journal its result, and a process killed at any moment leaves a journal that tells what
 * may have happened. Appends that arrive while a write is in flight share the next fsync
 * (group commit), which keeps durability cheap under concurrency.
 *
 * The first line is a header naming what the journal belongs to; `compact` hands the
 * records to a snapshot writer and truncates the file back to the header. Reading tolerates
 * a torn last line (a kill during a write) but refuses a damaged line before it.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { ScanCopyError } from './errors.js';
import { GroupCommit } from './group-commit.js';

export interface JournalLine<R> {
  /** Position in the journal's whole history, across compactions; starts at 1. */
  seq: number;
  record: R;
}

export interface JournalContents<H, R> {
  header: H | undefined;
  lines: Array<JournalLine<R>>;
  /** A partial last line (a write cut short) was found and ignored. */
  torn: boolean;
  /** Byte length of the intact part (counting a newline after every line). */
  intactBytes: number;
  /** Byte length of the header line. */
  headerBytes: number;
}

interface Pending {
  text: string;
  seq: number;
}

/**
 * Checks one record as it is read back (the owner's schema): throws, with what is wrong,
 * for a record it does not accept.
 */
export type ParseRecord<R> = (value: unknown) => R;

/**
 * Reads a journal file; a missing file reads as empty. With `parseRecord`, each record is
 * checked (and returned as it answers): a line that is valid JSON but not a valid record is
 * damage, not a torn write, wherever it is.
 */
export async function readJournal<H, R>(path: string, parseRecord?: ParseRecord<R>): Promise<JournalContents<H, R>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { header: undefined, lines: [], torn: false, intactBytes: 0, headerBytes: 0 };
    throw new ScanCopyError('IO_ERROR', `cannot read the journal ${path}`, { cause: err });
  }
  const rows = text.split('\n');
  const complete = text.endsWith('\n') ? rows.slice(0, -1) : rows;
  let header: H | undefined;
  const lines: Array<JournalLine<R>> = [];
  let intactBytes = 0;
  let torn = false;
  for (const [index, row] of complete.entries()) {
    const last = index === complete.length - 1 && !text.endsWith('\n');
    let parsed: { seq?: unknown; header?: H; record?: R };
    try {
      parsed = JSON.parse(row) as typeof parsed;
    } catch (cause) {
      if (last) {
        torn = true;
        break;
      }
      throw corrupt(path, index + 1, 'is not valid JSON', cause);
    }
    if (index === 0 && parsed.header !== undefined) header = parsed.header;
    else if (typeof parsed.seq === 'number' && parsed.record !== undefined) lines.push({ seq: parsed.seq, record: checked(parsed.record, parseRecord, path, index + 1) });
    else if (last) {
      torn = true;
      break;
    } else throw corrupt(path, index + 1, 'is not a journal record');
    intactBytes += Buffer.byteLength(row) + 1;
  }
  return { header, lines, torn, intactBytes, headerBytes: header === undefined ? 0 : Buffer.byteLength(complete[0] ?? '') + 1 };
}

function checked<R>(record: R, parseRecord: ParseRecord<R> | undefined, path: string, line: number): R {
  if (!parseRecord) return record;
  try {
    return parseRecord(record);
  } catch (cause) {
    throw corrupt(path, line, `is not a valid record (${(cause as Error).message})`, cause);
  }
}

function corrupt(path: string, line: number, what: string, cause?: unknown): ScanCopyError {
  return new ScanCopyError('CHECKPOINT_CORRUPT', `the journal ${path} is damaged: line ${line} ${what}`, {
    hint: 'Nothing was deleted. Inspect or move the run folder away, or start over with --restart.',
    cause,
    context: { path, line },
  });
}

export class Journal<H, R> {
  /** What the journal belongs to, as its first line says. */
  readonly header: H;
  readonly #handle: FileHandle;
  readonly #headerBytes: number;
  #nextSeq: number;
  #size: number;
  readonly #commit = new GroupCommit<Pending>((group) => this.#write(group));
  #compaction: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(header: H, handle: FileHandle, headerBytes: number, nextSeq: number, size: number) {
    this.header = header;
    this.#handle = handle;
    this.#headerBytes = headerBytes;
    this.#nextSeq = nextSeq;
    this.#size = size;
  }

  /**
   * Opens (or creates) the journal at `path` and returns it with the records it holds. An
   * existing header is kept (the caller compares it); a torn last line is cut off so that new
   * records start on a line of their own. Nothing intact is ever rewritten. New records are
   * numbered after `afterSeq` (the last seq a snapshot holds) and after those in the file.
   * `parseRecord` checks the records read back, as `readJournal` does.
   */
  static async open<H, R>(path: string, header: H, afterSeq = 0, parseRecord?: ParseRecord<R>): Promise<{ journal: Journal<H, R>; contents: JournalContents<H, R> }> {
    const contents = await readJournal<H, R>(path, parseRecord);
    let handle: FileHandle;
    try {
      handle = await open(path, 'a+');
    } catch (err) {
      throw new ScanCopyError('IO_ERROR', `cannot open the journal ${path}`, { cause: err });
    }
    try {
      const onDisk = (await handle.stat()).size;
      let headerBytes = contents.headerBytes;
      let size = contents.intactBytes;
      if (contents.header === undefined && contents.lines.length === 0) {
        const headerText = `${JSON.stringify({ header })}\n`;
        await handle.truncate(0);
        await handle.appendFile(headerText);
        headerBytes = size = Buffer.byteLength(headerText);
      } else if (contents.torn) {
        await handle.truncate(contents.intactBytes);
      } else if (onDisk === contents.intactBytes - 1) {
        await handle.appendFile('\n');
      }
      await handle.sync();
      const lastSeq = Math.max(afterSeq, contents.lines.at(-1)?.seq ?? 0);
      return { journal: new Journal<H, R>(contents.header ?? header, handle, headerBytes, lastSeq + 1, size), contents };
    } catch (err) {
      await handle.close();
      throw err instanceof ScanCopyError ? err : new ScanCopyError('IO_ERROR', `cannot prepare the journal ${path}`, { cause: err });
    }
  }

  /** The seq the next record gets. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Bytes on disk, header included. */
  get size(): number {
    return this.#size;
  }

  /** Appends one record; resolves once it is on disk (fsynced). */
  append(record: R): Promise<void> {
    if (this.#closed) return Promise.reject(new ScanCopyError('INTERNAL', 'append to a closed journal'));
    const seq = this.#nextSeq++;
    return this.#commit.add({ text: lineText(seq, record), seq });
  }

  /**
   * Hands the last assigned seq to `snapshot` (which must make every record up to it durable
   * elsewhere, e.g. in a checkpoint) and truncates the journal back to its header. Appends
   * made meanwhile wait and are written after.
   */
  compact(snapshot: (uptoSeq: number) => Promise<void>): Promise<void> {
    const run = this.#compaction.then(() => this.#compactNow(snapshot));
    this.#compaction = run.catch(() => undefined);
    return run;
  }

  #compactNow(snapshot: (uptoSeq: number) => Promise<void>): Promise<void> {
    return this.#commit.hold(async (settle) => {
      const upto = this.#nextSeq - 1;
      await snapshot(upto);
      // Cutting back to the header never leaves a window without it: the snapshot holds the rest.
      await this.#handle.truncate(this.#headerBytes);
      await this.#handle.sync();
      this.#size = this.#headerBytes;
      settle((p) => p.seq <= upto);
    });
  }

  /** Waits for pending records, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#compaction;
    await this.#commit.drain();
    this.#closed = true;
    await this.#handle.close();
  }

  async #write(group: Pending[]): Promise<void> {
    const text = group.map((p) => p.text).join('');
    try {
      await this.#handle.appendFile(text);
      await this.#handle.datasync();
      this.#size += Buffer.byteLength(text);
    } catch (err) {
      throw new ScanCopyError('IO_ERROR', 'cannot write the journal', { cause: err });
    }
  }
}

function lineText(seq: number, record: unknown): string {
  return `${JSON.stringify({ seq, record })}\n`;
}
