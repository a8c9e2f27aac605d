/**
 * Image names against a sandbox over HTTP: the seed's exact names for the four naming cases,
 * `_2`/`_3` for multi-file scans, extensions from the file name or Content-Type, hostile
 * section names kept inside the folder, scans without files or not found reported, and
 * every byte as the sandbox stored it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInstance, type Instance } from '../src/platform/instance.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { downloadScanImages, type DownloadEvent } from '../src/workflows/download.js';
import { readManifest } from '../src/workflows/download/manifest.js';
import { testEngines } from './helpers/databases.js';
import { createFixtureScans, listTree, sha256OfPath, storedHashes, type FixtureScan } from './helpers/download-scans.js';
import { startTestSandbox } from './helpers/sandbox.js';

const NAMING: FixtureScan[] = [
  { sectionName: 'Top Shelf Left', storePogId: 67890, files: [{ name: 'shelf_01.jpg' }] },
  { sectionName: 'Middle Shelf', files: [{ name: 'shelf.PNG', contentType: 'image/png' }] },
  { storePogId: 555, files: [{ name: 'capture', contentType: 'image/webp' }] },
  { files: [{ name: 'blob', contentType: 'application/octet-stream' }] },
  { sectionName: 'Bay 2, Lower "Value" Shelf', storePogId: 9, files: [{ name: 'a.jpg' }, { name: 'b.jpeg' }, { name: 'c.png', contentType: 'image/png' }] },
  { files: [] },
];

const PNG_BYTES = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(200)]);
const MP4_BYTES = Buffer.concat([Buffer.from('00000018', 'hex'), Buffer.from('ftypisom'), Buffer.alloc(200)]);

/** Stored names that would make a runnable or scriptable file, and what each must become. */
const RISKY_EXTENSIONS: Array<FixtureScan & { expected: string }> = [
  { files: [{ name: 'payload.exe', contentType: 'application/octet-stream', content: PNG_BYTES }], expected: '.png' },
  { files: [{ name: 'run.sh', contentType: 'video/mp4', content: MP4_BYTES }], expected: '.mp4' },
  { files: [{ name: 'page.html', contentType: 'image/webp' }], expected: '.webp' },
  { files: [{ name: 'shelf.svg', contentType: 'text/html' }], expected: '.jpg' },
];

const HOSTILE = ['../../x', 'a/b', 'CON', 'tab\there\nnew\u0001line\r\u007f\u001b[31m', 'x'.repeat(500), '..', '\\\\server\\share', 'C:\\Windows\\evil'];

describe.each(testEngines())('download names on $name', (engine) => {
  let sandbox: RunningSandbox;
  let source: Instance;
  let root: string;
  let ids: number[];
  let hostileIds: number[];
  let riskyIds: number[];

  beforeAll(async () => {
    sandbox = await startTestSandbox({ engine });
    ids = await createFixtureScans(sandbox, NAMING);
    hostileIds = await createFixtureScans(sandbox, HOSTILE.map((sectionName, i) => ({ sectionName, storePogId: 100 + i, files: [{ name: `h${i}.jpg` }, { name: `h${i}b.jpg` }] })));
    riskyIds = await createFixtureScans(sandbox, RISKY_EXTENSIONS);
    source = await openInstance({ name: 'source', apiUrl: sandbox.apiUrl, dbUrl: sandbox.dbUrl, username: sandbox.username, password: sandbox.password }, { retry: { baseMs: 5 } });
    root = await mkdtemp(join(tmpdir(), 'scancopy-dl-names-'));
  });
  afterAll(async () => {
    await source?.close();
    await sandbox?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('names each case exactly, suffixes extra files, and reports scans with nothing to download', async () => {
    const out = join(root, 'names');
    const events: DownloadEvent[] = [];
    const missing = 987_654;
    const result = await downloadScanImages({ source, scanIds: [...ids, missing], outDir: out, batchSize: 2, workers: 3 }, { onEvent: (e) => events.push(e) });
    const [both, sectionOnly, pogOnly, neither, multi, empty] = ids as [number, number, number, number, number, number];
    const expected = [
      `${both}_Top Shelf Left_67890.jpg`,
      `${sectionOnly}_Middle Shelf.png`,
      `${pogOnly}_555.webp`,
      `${neither}.jpg`,
      `${multi}_Bay 2, Lower _Value_ Shelf_9.jpg`,
      `${multi}_Bay 2, Lower _Value_ Shelf_9_2.jpeg`,
      `${multi}_Bay 2, Lower _Value_ Shelf_9_3.png`,
    ];
    expect(await listTree(out)).toEqual([...expected, 'manifest.csv'].sort());
    expect(result).toMatchObject({ downloaded: 7, skipped: 0, scans: ids.length + 1, batches: 4, leftoversRemoved: 0 });
    expect(result.failures).toEqual([{ scanId: missing, code: 'NOT_FOUND', reason: 'scan not found in the source database' }]);
    expect(result.skippedScans).toEqual([{ scanId: empty, kind: 'no-files', reason: 'scan has no files' }]);

    const hashes = await storedHashes(sandbox, ids);
    for (const file of result.files) {
      expect(await sha256OfPath(join(out, file.fileName))).toBe(hashes.get(file.fileId));
      expect(file.sha256).toBe(hashes.get(file.fileId));
    }
    const manifest = await readManifest(out);
    expect(manifest.map((m) => m.fileName).sort()).toEqual([...expected].sort());
    expect(manifest.find((m) => m.scanId === multi && m.fileName.endsWith('_2.jpeg'))?.originalFilename).toBe('b.jpeg');
    expect(result.bytes).toBe(manifest.reduce((sum, m) => sum + m.bytes, 0));

    const batchDone = events.filter((e) => e.type === 'batch-done');
    expect(batchDone.map((e) => e.batch).sort()).toEqual([1, 2, 3, 4]);
    expect(batchDone.find((e) => e.batch === 3)).toMatchObject({ succeeded: 1, failed: 0, skippedScans: 1, downloaded: 3 });
    expect(batchDone.find((e) => e.batch === 4)).toMatchObject({ succeeded: 0, failed: 1, skippedScans: 0, downloaded: 0 });
    expect(events.filter((e) => e.type === 'file-done')).toHaveLength(7);
  });

  it('a stored name with a non-image extension never names the file: the content, else Content-Type, else .jpg does', async () => {
    const out = join(root, 'risky');
    const result = await downloadScanImages({ source, scanIds: riskyIds, outDir: out });
    expect(result.failures).toEqual([]);
    expect((await listTree(out)).filter((n) => n !== 'manifest.csv')).toEqual(riskyIds.map((id, i) => `${id}${RISKY_EXTENSIONS[i]!.expected}`).sort());
  });

  it('keeps every file of hostile section names directly inside the folder, with safe names', async () => {
    const out = join(root, 'deep', 'hostile');
    const result = await downloadScanImages({ source, scanIds: hostileIds, outDir: out, workers: 4 });
    expect(result.failures).toEqual([]);
    expect(result.downloaded).toBe(HOSTILE.length * 2);
    const tree = await listTree(root);
    const inside = tree.filter((p) => p.startsWith(join('deep', 'hostile') + '/'));
    expect(tree.filter((p) => p.startsWith('deep'))).toEqual(inside);
    const names = (await listTree(out)).filter((n) => n !== 'manifest.csv');
    expect(names).toHaveLength(HOSTILE.length * 2);
    for (const name of names) {
      expect(name).not.toMatch(/[/\\<>:"|?*\p{Cc}]/u);
      expect(name).not.toContain('..');
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    }
    const [dots, slash, con] = hostileIds as [number, number, number];
    expect(names).toContain(`${dots}_._._x_100.jpg`);
    expect(names).toContain(`${slash}_a_b_101_2.jpg`);
    expect(names).toContain(`${con}__CON_102.jpg`);
    const hashes = await storedHashes(sandbox, hostileIds);
    for (const file of result.files) expect(await sha256OfPath(join(out, file.fileName))).toBe(hashes.get(file.fileId));
  });
});
