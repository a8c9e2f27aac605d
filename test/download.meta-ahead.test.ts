/**
 * A download resolves its files' metadata ahead of the content slots: every download starts
 * from metadata resolved once for it, a re-run that finds its files complete resolves none,
 * and a URL that expired while its file waited for a slot is refreshed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, PlatformApi } from '../src/platform/api.js';
import { openInstance, type Instance } from '../src/platform/instance.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { downloadScanImages } from '../src/workflows/download.js';
import { createFixtureScans, sha256OfPath, storedHashes } from './helpers/download-scans.js';
import { startTestSandbox } from './helpers/sandbox.js';

/** The real client, with the calls the workflow makes written down on their way through. */
function watched(api: PlatformApi): { api: PlatformApi; metaCalls: number[]; downloads: Array<{ fileId: number; metaId?: number }> } {
  const metaCalls: number[] = [];
  const downloads: Array<{ fileId: number; metaId?: number }> = [];
  const spied = Object.create(api) as PlatformApi;
  spied.getFileMeta = (fileId, options) => {
    metaCalls.push(fileId);
    return api.getFileMeta(fileId, options);
  };
  spied.downloadFileTo = (fileId, path, options) => {
    downloads.push({ fileId, metaId: options?.meta?.id });
    return api.downloadFileTo(fileId, path, options);
  };
  return { api: spied, metaCalls, downloads };
}

describe('metadata resolved ahead of the downloads', () => {
  let sandbox: RunningSandbox;
  let instance: Instance;
  let root: string;
  let ids: number[];
  const events: ApiEvent[] = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox({ urlTtlMs: 400 });
    ids = await createFixtureScans(
      sandbox,
      Array.from({ length: 8 }, (_, i) => ({ sectionName: `S${i}`, storePogId: i + 1, files: [{ name: `a${i}.jpg`, size: 20_000 }, { name: `b${i}.jpg`, size: 20_000 }] })),
    );
    instance = await openInstance(
      { name: 'source', apiUrl: sandbox.apiUrl, dbUrl: sandbox.dbUrl, username: sandbox.username, password: sandbox.password },
      { retry: { baseMs: 5, capMs: 20, retries: 5, budgetRatio: 1 }, onEvent: (e) => events.push(e) },
    );
    root = await mkdtemp(join(tmpdir(), 'scancopy-meta-ahead-'));
  });
  afterAll(async () => {
    await instance?.close();
    await sandbox?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('every download starts from metadata resolved once for its file, and a re-run of complete files resolves none', async () => {
    const out = join(root, 'once');
    const first = watched(instance.api);
    const result = await downloadScanImages({ source: { db: instance.db, api: first.api }, scanIds: ids, outDir: out, batchSize: 2, workers: 3 });
    expect(result).toMatchObject({ downloaded: 16, failures: [] });
    expect(first.metaCalls).toHaveLength(16);
    expect(new Set(first.metaCalls).size).toBe(16);
    expect(first.downloads).toHaveLength(16);
    for (const d of first.downloads) expect(d.metaId).toBe(d.fileId);
    const hashes = await storedHashes(sandbox, ids);
    for (const file of result.files) expect(await sha256OfPath(join(out, file.fileName))).toBe(hashes.get(file.fileId));

    const again = watched(instance.api);
    const rerun = await downloadScanImages({ source: { db: instance.db, api: again.api }, scanIds: ids, outDir: out, batchSize: 2, workers: 3 });
    expect(rerun).toMatchObject({ downloaded: 0, skipped: 16 });
    expect(again.metaCalls).toEqual([]);
    expect(again.downloads).toEqual([]);
  });

  it('a URL that expired while its file waited for a slot is refreshed, and the file completes', async () => {
    events.length = 0;
    // One slot and slow content: the URLs resolved ahead for the later files run out (400 ms) before their turn.
    sandbox.setFaults('content:latency=150ms');
    try {
      const out = join(root, 'expired');
      const result = await downloadScanImages({ source: instance, scanIds: ids.slice(0, 3), outDir: out, batchSize: 3, workers: 1 });
      expect(result).toMatchObject({ downloaded: 6, failures: [] });
      expect(events.filter((e) => e.type === 'url-refresh').length).toBeGreaterThan(0);
    } finally {
      sandbox.setFaults('');
    }
  });
});
