/**
 * A download survives what a real instance throws at it (platform.md section 2): gateway
 * errors, connection resets, bodies cut short and expired download URLs. Every file ends
 * byte-identical to the sandbox's, and no truncated body ever takes a final name.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInstance, type Instance } from '../src/platform/instance.js';
import type { ApiEvent } from '../src/platform/api.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { downloadScanImages, type DownloadEvent } from '../src/workflows/download.js';
import { readManifest } from '../src/workflows/download/manifest.js';
import { testEngines } from './helpers/databases.js';
import { createFixtureScans, listTree, sha256OfPath, storedHashes } from './helpers/download-scans.js';
import { startTestSandbox } from './helpers/sandbox.js';

const FAULTS = 'content:502=0.2,content:reset=0.1,content:truncate=0.1,meta:expire=0.3,meta:503=0.05';

describe.each(testEngines())('download under faults on $name', (engine) => {
  let sandbox: RunningSandbox;
  let source: Instance;
  /** Gives up on a file quickly, so the workflow's own rounds are what is tested. */
  let impatient: Instance;
  let root: string;
  let ids: number[];
  const apiEvents: ApiEvent[] = [];

  beforeAll(async () => {
    sandbox = await startTestSandbox({ engine, faultSeed: 7 });
    ids = await createFixtureScans(
      sandbox,
      Array.from({ length: 12 }, (_, i) => ({ sectionName: `Section ${i}`, storePogId: i + 1, files: [{ name: `a${i}.jpg`, size: 40_000 }, { name: `b${i}.jpg`, size: 40_000 }] })),
    );
    sandbox.setFaults(FAULTS);
    // Quick backoff, and a retry budget that is not what this test is about.
    source = await openInstance(
      { name: 'source', apiUrl: sandbox.apiUrl, dbUrl: sandbox.dbUrl, username: sandbox.username, password: sandbox.password },
      { retry: { baseMs: 5, capMs: 50, retries: 5, budgetRatio: 1 }, onEvent: (e) => apiEvents.push(e) },
    );
    impatient = await openInstance(
      { name: 'impatient', apiUrl: sandbox.apiUrl, dbUrl: sandbox.dbUrl, username: sandbox.username, password: sandbox.password },
      { retry: { retries: 1, baseMs: 1, capMs: 1 }, adaptive: false },
    );
    root = await mkdtemp(join(tmpdir(), 'scancopy-dl-faults-'));
  });
  afterAll(async () => {
    await impatient?.close();
    await source?.close();
    await sandbox?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('retries 5xx, resets and truncated bodies, refreshes expired URLs, and ends byte-identical', async () => {
    const out = join(root, 'out');
    const result = await downloadScanImages({ source, scanIds: ids, outDir: out, batchSize: 5, workers: 6, retryDelayMs: 10 });
    expect(result.failures).toEqual([]);
    expect(result.downloaded).toBe(24);
    const hashes = await storedHashes(sandbox, ids);
    for (const file of result.files) expect(await sha256OfPath(join(out, file.fileName))).toBe(hashes.get(file.fileId));
    expect(await listTree(out)).toHaveLength(25);
    expect(apiEvents.some((e) => e.type === 'retry')).toBe(true);
    expect(apiEvents.some((e) => e.type === 'url-refresh')).toBe(true);
  });

  it('tries a batch\'s failed files again in later rounds, after the client gave up on them', async () => {
    const out = join(root, 'rounds');
    const events: DownloadEvent[] = [];
    sandbox.setFaults('content:503=1');
    const result = await downloadScanImages(
      { source: impatient, scanIds: ids.slice(0, 3), outDir: out, workers: 2, retryDelayMs: 10 },
      {
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'batch-retry') sandbox.setFaults('');
        },
      },
    );
    sandbox.setFaults(FAULTS);
    expect(result.failures).toEqual([]);
    expect(result.downloaded).toBe(6);
    expect(events.filter((e) => e.type === 'batch-retry')).toEqual([{ type: 'batch-retry', batch: 1, batches: 1, round: 1, rounds: 3, files: 6, delayMs: 10 }]);
    expect(events.filter((e) => e.type === 'file-failed')).toEqual([]);
  });

  it('reports a file that keeps failing with its reason, completes the others, and leaves no temporary file', async () => {
    const out = join(root, 'failing');
    sandbox.setFaults('content:503=1');
    const events: DownloadEvent[] = [];
    const first = await downloadScanImages({ source: impatient, scanIds: ids.slice(3, 4), outDir: out, retryRounds: 1, retryDelayMs: 10 }, { onEvent: (e) => events.push(e) });
    sandbox.setFaults('');
    expect(first.downloaded).toBe(0);
    expect(first.failures).toHaveLength(2);
    for (const failure of first.failures) expect(failure).toMatchObject({ scanId: ids[3], code: 'SERVER_ERROR', reason: expect.stringContaining('503') });
    expect(events.find((e) => e.type === 'batch-done')).toMatchObject({ succeeded: 0, failed: 1, failedFiles: 2 });
    expect(await listTree(out)).toEqual(['manifest.csv']);
    expect(await readManifest(out)).toEqual([]);

    const second = await downloadScanImages({ source: impatient, scanIds: ids.slice(3, 5), outDir: out });
    sandbox.setFaults(FAULTS);
    expect(second).toMatchObject({ downloaded: 4, skipped: 0, failures: [] });
    expect(await listTree(out)).toHaveLength(5);
  });
  it('stops the files in flight and fails with the database error when the next batch cannot be planned', async () => {
    const out = join(root, 'db-lost');
    const doomed = await openInstance({ name: 'doomed', apiUrl: sandbox.apiUrl, dbUrl: sandbox.dbUrl, username: sandbox.username, password: sandbox.password });
    sandbox.setFaults('content:latency=300ms');
    try {
      const run = downloadScanImages(
        // The third batch is planned only once the first has all its slots (batches are
        // planned one ahead): the database is gone by then, with files still in flight.
        { source: doomed, scanIds: ids.slice(0, 6), outDir: out, batchSize: 2, workers: 2 },
        { onEvent: (e) => void (e.type === 'file-done' && e.done === 1 && e.batch === 1 && doomed.db.close()) },
      );
      await expect(run).rejects.toMatchObject({ code: 'DB_ERROR' });
    } finally {
      sandbox.setFaults(FAULTS);
      await doomed.close();
    }
    expect((await listTree(out)).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });
});
