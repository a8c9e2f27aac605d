/**
 * The journal under the copy: every append is on disk when it resolves, concurrent appends
 * keep their order, a torn last line (a kill mid-write) is dropped and the journal goes on,
 * a damaged line before the end is an error, and compaction hands the records to a snapshot
 * and starts over after the header without reusing sequence numbers. Records are checked on
 * replay by their owner's schema: a copy's journal with a record it does not know is refused
 * as damaged, never applied half-understood.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScanCopyError } from '../src/core/errors.js';
import { Journal, readJournal } from '../src/core/journal.js';
import { copyScans } from '../src/workflows/copy.js';
import { startCopyPair } from './helpers/copy.js';

type Rec = { n: number };
const HEADER = { fingerprint: 'job-a' };

describe('journal', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scancopy-journal-'));
    path = join(dir, 'journal.ndjson');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('has each record on disk when its append resolves, in order, under the header', async () => {
    const { journal } = await Journal.open<typeof HEADER, Rec>(path, HEADER);
    await journal.append({ n: 1 });
    expect((await readFile(path, 'utf8')).trim().split('\n')).toEqual([JSON.stringify({ header: HEADER }), JSON.stringify({ seq: 1, record: { n: 1 } })]);
    await Promise.all(Array.from({ length: 200 }, (_, i) => journal.append({ n: i + 2 })));
    await journal.close();
    const read = await readJournal<typeof HEADER, Rec>(path);
    expect(read.header).toEqual(HEADER);
    expect(read.lines.map((l) => l.record.n)).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
    expect(read.lines.map((l) => l.seq)).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
  });

  it('drops a torn last line and appends after the intact ones', async () => {
    const { journal } = await Journal.open<typeof HEADER, Rec>(path, HEADER);
    await journal.append({ n: 1 });
    await journal.append({ n: 2 });
    await journal.close();
    await appendFile(path, '{"seq":3,"record":{"n"');
    const torn = await readJournal<typeof HEADER, Rec>(path);
    expect(torn.torn).toBe(true);
    expect(torn.lines.map((l) => l.record.n)).toEqual([1, 2]);

    const reopened = await Journal.open<typeof HEADER, Rec>(path, HEADER);
    expect(reopened.contents.torn).toBe(true);
    await reopened.journal.append({ n: 3 });
    await reopened.journal.close();
    const read = await readJournal<typeof HEADER, Rec>(path);
    expect(read.torn).toBe(false);
    expect(read.lines.map((l) => [l.seq, l.record.n])).toEqual([[1, 1], [2, 2], [3, 3]]);
  });

  it('keeps a complete last line that lost only its newline', async () => {
    await writeFile(path, `${JSON.stringify({ header: HEADER })}\n${JSON.stringify({ seq: 1, record: { n: 1 } })}`);
    const { journal } = await Journal.open<typeof HEADER, Rec>(path, HEADER);
    await journal.append({ n: 2 });
    await journal.close();
    expect((await readJournal<typeof HEADER, Rec>(path)).lines.map((l) => l.record.n)).toEqual([1, 2]);
  });

  it('refuses a damaged line before the last one', async () => {
    await writeFile(path, `${JSON.stringify({ header: HEADER })}\n{"seq":1,"rec\n${JSON.stringify({ seq: 2, record: { n: 2 } })}\n`);
    const error = await readJournal(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanCopyError);
    expect(error).toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    expect((error as Error).message).toContain('line 2');
  });

  it("refuses a record its owner's schema rejects, wherever it is, naming the line and what is wrong", async () => {
    const parse = (value: unknown): Rec => {
      if (typeof (value as Rec).n !== 'number') throw new Error('n: expected a number');
      return value as Rec;
    };
    const lines = [{ header: HEADER }, { seq: 1, record: { n: 1 } }, { seq: 2, record: { n: 'two' } }];
    await writeFile(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    expect((await readJournal<typeof HEADER, Rec>(path)).lines).toHaveLength(2);
    const error = await readJournal<typeof HEADER, Rec>(path, parse).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    expect((error as Error).message).toContain('line 3 is not a valid record (n: expected a number)');
    const opened = await Journal.open<typeof HEADER, Rec>(path, HEADER, 0, parse).catch((e: unknown) => e);
    expect(opened).toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(4);
  });

  it('compacts into a snapshot and numbers new records after it, also when reopened', async () => {
    const { journal } = await Journal.open<typeof HEADER, Rec>(path, HEADER);
    await Promise.all([1, 2, 3].map((n) => journal.append({ n })));
    let snapshotAt = 0;
    let during: Promise<void> = Promise.resolve();
    await journal.compact(async (upto) => {
      snapshotAt = upto;
      // An append while the snapshot is being written waits, and lands after the cut.
      during = journal.append({ n: 4 });
    });
    await during;
    expect(snapshotAt).toBe(3);
    await journal.close();
    expect((await readJournal<typeof HEADER, Rec>(path)).lines.map((l) => [l.seq, l.record.n])).toEqual([[4, 4]]);

    const { journal: again } = await Journal.open<typeof HEADER, Rec>(path, HEADER, 10);
    await again.append({ n: 5 });
    await again.close();
    expect((await readJournal<typeof HEADER, Rec>(path)).lines.map((l) => l.seq)).toEqual([4, 11]);
  });
});

describe("a copy's journal on resume", () => {
  it('refuses a record of a kind or shape the copy does not know, and leaves the run folder as it was', async () => {
    const pair = await startCopyPair({ scans: 3 });
    try {
      const first = await copyScans(pair.options());
      expect(first).toMatchObject({ created: 3, failed: 0 });
      const journal = join(first.runDir, 'journal.ndjson');
      const bad = JSON.stringify({ seq: 10_000, record: { t: 'created', scan: pair.scanIds[0], target: 'x', via: 'api' } });
      await appendFile(journal, `${bad}\n`);
      const before = await readFile(journal, 'utf8');
      const error = await copyScans(pair.options({ resume: first.runDir })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
      expect((error as Error).message).toMatch(/line \d+ is not a valid record \(target: /);
      expect(await readFile(journal, 'utf8')).toBe(before);
    } finally {
      await pair.close();
    }
  });
});
