/**
 * Copy tests' shared pieces: a source/target sandbox pair with API clients tuned for quick
 * retries, the copy options pointing at them, and a census of target scans by the content of
 * their files, which counts duplicates and missing copies whatever the mapping claims.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlatformApi } from '../../src/platform/api.js';
import type { Db } from '../../src/platform/db.js';
import type { CopyOptions } from '../../src/workflows/copy.js';
import { startTestSandboxPair, type TestSandboxPair, type TestSandboxPairOptions } from './sandbox.js';

export interface CopyPair extends TestSandboxPair {
  sourceApi: PlatformApi;
  targetApi: PlatformApi;
  targetStoreId: number;
  resultsDir: string;
  scanIds: number[];
  /** Copy options for these sandboxes; `overrides` replace any field. */
  options(overrides?: Partial<CopyOptions>): CopyOptions;
}

/** Short timeouts and near-instant retry waits, so fault tests stay quick. */
export function quickApi(sb: { apiUrl: string; username: string; password: string }): PlatformApi {
  return new PlatformApi({
    baseUrl: sb.apiUrl,
    username: sb.username,
    password: sb.password,
    timeouts: { login: 5000, meta: 5000, content: 5000, upload: 5000, create: 5000 },
    retry: { retries: 6, baseMs: 5, capMs: 50, retryAfterCapMs: 50, budgetMinRetries: 100_000 },
  });
}

export async function startCopyPair(opts: TestSandboxPairOptions = {}): Promise<CopyPair> {
  const pair = await startTestSandboxPair({ ...opts, target: { processingDelayMs: 60_000, ...opts.target } });
  const resultsDir = await mkdtemp(join(tmpdir(), 'scancopy-copy-'));
  const sourceApi = quickApi(pair.source);
  const targetApi = quickApi(pair.target);
  const [store] = await pair.target.db.query<{ id: number }>('SELECT id FROM master_data_implementation_store ORDER BY id DESC LIMIT 1');
  const scans = await pair.source.db.query<{ id: number }>('SELECT id FROM realograms_implementation_scan ORDER BY id');
  const targetStoreId = store?.id as number;
  return {
    ...pair,
    sourceApi,
    targetApi,
    targetStoreId,
    resultsDir,
    scanIds: scans.map((s) => s.id),
    options: (overrides = {}) => ({
      source: { apiUrl: pair.source.apiUrl, api: sourceApi, db: pair.source.db },
      target: { apiUrl: pair.target.apiUrl, api: targetApi, db: pair.target.db },
      scanIds: scans.map((s) => s.id),
      targetStoreId,
      resultsDir,
      reconcileDelayMs: 0,
      batchRetryDelayMs: 10,
      ...overrides,
    }),
    close: async () => {
      await Promise.all([sourceApi.close(), targetApi.close()]);
      await pair.close();
      await rm(resultsDir, { recursive: true, force: true });
    },
  };
}

/** Each scan's files as a key: the sorted sha256 of their contents. */
export async function fileSetKeys(db: Db, scanIds?: readonly number[]): Promise<Map<number, string>> {
  const rows = await db.query<{ scan_id: number; key: string }>(
    `SELECT sf.scan_id, string_agg(f.sha256, ',' ORDER BY f.sha256) AS key
       FROM realograms_implementation_scanfile sf
       JOIN master_data_implementation_fileupload f ON f.id = sf.file_id
      WHERE $1::bigint[] IS NULL OR sf.scan_id = ANY($1::bigint[])
      GROUP BY sf.scan_id`,
    [scanIds ?? null],
  );
  return new Map(rows.map((r) => [r.scan_id, r.key]));
}

export interface Census {
  /** Source scans (with files) compared. */
  sources: number;
  targets: number;
  /** Target scans beyond one per source scan with the same files. */
  duplicates: number;
  /** Source scans with no target scan of the same files. */
  missing: number;
}

/**
 * Counts target scans by file sets: for every set of file contents, the target must hold as
 * many scans as the source scans copied (several source scans may show the same images).
 */
export async function censusByFileSets(source: Db, target: Db, sourceScanIds: readonly number[]): Promise<Census> {
  const want = countBy((await fileSetKeys(source, sourceScanIds)).values());
  const targetKeys = await fileSetKeys(target);
  const have = countBy(targetKeys.values());
  let duplicates = 0;
  let missing = 0;
  for (const [key, n] of want) {
    const got = have.get(key) ?? 0;
    if (got > n) duplicates += got - n;
    if (got < n) missing += n - got;
  }
  for (const [key, got] of have) if (!want.has(key)) duplicates += got;
  return { sources: [...want.values()].reduce((a, b) => a + b, 0), targets: targetKeys.size, duplicates, missing };
}

function countBy(keys: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}
