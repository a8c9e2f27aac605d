import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
  it('round-trips rows with awkward original file names, sorted by scan and name, with the documented header', async () => {
    const writer = new ManifestWriter(dir, []);
    await writer.put(entry(20, 5, '20_B.png', 'bbb', 'a, "quoted"\nname.png'));
    await writer.put(entry(3, 9, '3_A_2.jpg', 'a2'));
    await writer.put(entry(3, 8, '3_A.jpg', 'a1'));
    const text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    expect(text.split('\n')[0]).toBe('scan_id,file_id,file_name,bytes,sha256,original_filename');
    const back = await readManifest(dir);
    expect(back.map((e) => e.fileName)).toEqual(['3_A.jpg', '3_A_2.jpg', '20_B.png']);
    expect(back[2]).toEqual(entry(20, 5, '20_B.png', 'bbb', 'a, "quoted"\nname.png'));
  });

  it('is empty when the folder has none yet', async () => {
    expect(await readManifest(dir)).toEqual([]);
  });

  it('coalesces concurrent puts into few atomic writes and keeps every row, leaving no temp file', async () => {
    const writer = new ManifestWriter(dir, []);
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.put(entry(i + 1, i + 1, `${i + 1}.jpg`, `c${i}`))));
    expect((await readManifest(dir)).length).toBe(50);
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

  it('refuses a manifest that is not CSV at all, with a hint', async () => {
    await writeFile(join(dir, MANIFEST_FILE), 'scan_id,file_id\n"unterminated,1\n');
    await expect(readManifest(dir)).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT', hint: expect.stringContaining('Delete manifest.csv') });
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
