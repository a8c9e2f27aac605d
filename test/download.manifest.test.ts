import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isComplete, MANIFEST_FILE, ManifestWriter, readManifest, type ManifestEntry } from '../src/workflows/download/manifest.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scancopy-manifest-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const sha = (data: string): string => createHash('sha256').update(data).digest('hex');

function entry(scanId: number, fileId: number, fileName: string, content: string, originalFilename = 'shelf.jpg'): ManifestEntry {
  return { scanId, fileId, fileName, bytes: Buffer.byteLength(content), sha256: sha(content), originalFilename };
}

describe('manifest.csv', () => {
  it('round-trips rows with awkward original file names, sorted by scan and name once compacted, with the documented header', async () => {
    const writer = new ManifestWriter(dir, []);
    await writer.put(entry(20, 5, '20_B.png', 'bbb', 'a, "quoted"\nname.png'));
    await writer.put(entry(3, 9, '3_A_2.jpg', 'a2'));
    await writer.put(entry(3, 8, '3_A.jpg', 'a1'));
    await writer.compact();
    const text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    expect(text.split('\n')[0]).toBe('scan_id,file_id,file_name,bytes,sha256,original_filename');
    const back = await readManifest(dir);
    expect(back.map((e) => e.fileName)).toEqual(['3_A.jpg', '3_A_2.jpg', '20_B.png']);
    expect(back[2]).toEqual(entry(20, 5, '20_B.png', 'bbb', 'a, "quoted"\nname.png'));
  });

  it('is empty when the folder has none yet', async () => {
    expect(await readManifest(dir)).toEqual([]);
  });

  it('coalesces puts that arrive together into one write each wave and keeps every row once, leaving no temp file', async () => {
    const writer = new ManifestWriter(dir, []);
    const rowsOnDisk = (): number => readFileSync(join(dir, MANIFEST_FILE), 'utf8').split('\n').length - 2;
    // The rows on disk when each put resolved: one distinct count per write that resolved puts.
    const seen = new Set<number>();
    const puts: Array<Promise<void>> = [];
    for (let i = 1; i <= 200; i++) {
      puts.push(writer.put(entry(i, i, `${i}.jpg`, `c${i}`)).then(() => void seen.add(rowsOnDisk())));
      // Workers finish in waves of twenty, each wave while an earlier write may still be going.
      if (i % 20 === 0) await new Promise(setImmediate);
    }
    await Promise.all(puts);
    expect(seen.size).toBeLessThanOrEqual(10);
    expect(rowsOnDisk()).toBe(200);
    expect(new Set((await readManifest(dir)).map((e) => e.fileName)).size).toBe(200);
    expect(await readdir(dir)).toEqual([MANIFEST_FILE]);
  });

  it('resolves a put only once readManifest finds its row on disk', async () => {
    const writer = new ManifestWriter(dir, []);
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const row = entry(1, i, `1_${i}.jpg`, `r${i}`);
        await writer.put(row);
        expect(await readManifest(dir)).toContainEqual(row);
      }),
    );
  });

  it('lets the last row for a file name win when a later put appends a replacement', async () => {
    const writer = new ManifestWriter(dir, []);
    await writer.put(entry(1, 1, '1.jpg', 'old'));
    await writer.put(entry(2, 2, '2.jpg', 'two'));
    await writer.put(entry(1, 1, '1.jpg', 'new'));
    expect((await readFile(join(dir, MANIFEST_FILE), 'utf8')).match(/,1\.jpg,/g)).toHaveLength(2);
    const back = await readManifest(dir);
    expect(back).toHaveLength(2);
    expect(back).toContainEqual(entry(1, 1, '1.jpg', 'new'));
    expect(new ManifestWriter(dir, back).entries).toContainEqual(entry(1, 1, '1.jpg', 'new'));
  });

  it('compacts at the end of a run to the sorted, one-row-per-file form of a whole write', async () => {
    const writer = new ManifestWriter(dir, [entry(20, 5, '20_B.png', 'b-old')]);
    await writer.put(entry(20, 5, '20_B.png', 'bbb', 'a, "quoted"\nname.png'));
    await writer.put(entry(3, 9, '3_A_2.jpg', 'a2'));
    await writer.put(entry(3, 8, '3_A.jpg', 'a1-old'));
    await writer.put(entry(3, 8, '3_A.jpg', 'a1'));
    await writer.compact();
    expect(await readFile(join(dir, MANIFEST_FILE), 'utf8')).toBe(
      'scan_id,file_id,file_name,bytes,sha256,original_filename\n' +
        `3,8,3_A.jpg,2,${sha('a1')},shelf.jpg\n` +
        `3,9,3_A_2.jpg,2,${sha('a2')},shelf.jpg\n` +
        `20,5,20_B.png,3,${sha('bbb')},"a, ""quoted""\nname.png"\n`,
    );
    expect(await readdir(dir)).toEqual([MANIFEST_FILE]);
  });

  it('replaces a row by file name and drops removed rows', async () => {
    const writer = new ManifestWriter(dir, [entry(1, 1, '1.jpg', 'old'), entry(2, 2, '2.jpg', 'two')]);
    await writer.put(entry(1, 1, '1.jpg', 'new'));
    await writer.remove('2.jpg');
    expect(await readManifest(dir)).toEqual([entry(1, 1, '1.jpg', 'new')]);
  });

  it('ignores rows that do not validate, including names that would leave the folder', async () => {
    const good = entry(1, 1, '1.jpg', 'x');
    await writeFile(
      join(dir, MANIFEST_FILE),
      [
        'scan_id,file_id,file_name,bytes,sha256,original_filename',
        `1,1,1.jpg,${good.bytes},${good.sha256},shelf.jpg`,
        `2,2,../escape.jpg,1,${good.sha256},x`,
        `3,3,sub/dir.jpg,1,${good.sha256},x`,
        `4,4,4.jpg,-1,${good.sha256},x`,
        '5,5,5.jpg,1,not-a-hash,x',
        'x,6,6.jpg,1,,',
        '7,7',
      ].join('\n'),
    );
    expect(await readManifest(dir)).toEqual([good]);
  });

  it.each([
    ['other columns', 'scan_id,file_id\n"unterminated,1\n'],
    ['not CSV at all', '\x89PNG\r\n\x1a\n\0\0\0IHDR'],
    ['empty', ''],
  ])('refuses a file without the manifest header (%s) rather than overwrite it, with a hint', async (_case, text) => {
    await writeFile(join(dir, MANIFEST_FILE), text);
    await expect(readManifest(dir)).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT', hint: expect.stringContaining('Delete manifest.csv') });
  });
});

describe('a manifest cut short by a kill in the middle of an append', () => {
  const first = entry(1, 1, '1.jpg', 'one');
  const torn = entry(2, 2, '2.jpg', 'two', 'a, "quoted"\nname.png');

  /** A manifest of two rows, the appended second one cut at the offset `cutAt` picks in the text. */
  async function tornManifest(cutAt: (text: string) => number): Promise<void> {
    const writer = new ManifestWriter(dir, []);
    await writer.put(first);
    await writer.put(torn);
    const text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    await truncate(join(dir, MANIFEST_FILE), cutAt(text));
  }

  it.each([
    ['inside the sha256', (text: string) => text.indexOf(torn.sha256) + 10],
    ['inside a quoted field, leaving the quote open', (text: string) => text.indexOf('""quo') + 5],
    ['right after a newline inside a quoted field', (text: string) => text.indexOf('name.png')],
    ['before its final newline', (text: string) => text.length - 1],
  ])('reads the rows before a row torn %s and leaves the torn one out', async (_case, cutAt) => {
    await tornManifest(cutAt);
    expect(await readManifest(dir)).toEqual([first]);
  });

  it('is continued by the next run without gluing new rows onto the torn fragment', async () => {
    await tornManifest((text) => text.indexOf('""quo') + 5);
    const writer = new ManifestWriter(dir, await readManifest(dir));
    await writer.put(entry(3, 3, '3.jpg', 'three'));
    await writer.put(entry(4, 4, '4.jpg', 'four'));
    expect(await readManifest(dir)).toEqual([first, entry(3, 3, '3.jpg', 'three'), entry(4, 4, '4.jpg', 'four')]);
  });
});

describe('a row counts as complete only when the disk agrees on size and sha256', () => {
  it.each([
    ['same bytes', 'hello', true],
    ['same size, other bytes', 'hellO', false],
    ['truncated', 'hell', false],
    ['missing', undefined, false],
  ])('%s', async (_case, onDisk, expected) => {
    if (onDisk !== undefined) await writeFile(join(dir, '1.jpg'), onDisk);
    expect(await isComplete(dir, entry(1, 1, '1.jpg', 'hello'))).toBe(expected);
  });
});
