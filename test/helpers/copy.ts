/**
 * Copy tests' shared pieces: a source/target sandbox pair with API clients tuned for quick
 * retries, the copy options pointing at them, and a census of target scans by the content of
 * their files, which counts duplicates and missing copies whatever the mapping claims.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
      // The sandbox commits before it answers unless create:late says otherwise.
      commitHorizonMs: 500,
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

/** Each scan's files as a key: the sorted sha256 of their contents; scans limited to ids or a store when given. */
export async function fileSetKeys(db: Db, only: { scanIds?: readonly number[]; storeId?: number } = {}): Promise<Map<number, string>> {
  const rows = await db.query<{ scan_id: number; key: string }>(
    `SELECT sf.scan_id, string_agg(f.sha256, ',' ORDER BY f.sha256) AS key
       FROM realograms_implementation_scanfile sf
       JOIN sandbox_fileupload f ON f.id = sf.file_id
       JOIN realograms_implementation_scan s ON s.id = sf.scan_id
      WHERE ($1::bigint[] IS NULL OR sf.scan_id = ANY($1::bigint[])) AND ($2::bigint IS NULL OR s.store_id = $2::bigint)
      GROUP BY sf.scan_id`,
    [only.scanIds ?? null, only.storeId ?? null],
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
export async function censusByFileSets(source: Db, target: Db, sourceScanIds: readonly number[], targetStoreId?: number): Promise<Census> {
  const want = countBy((await fileSetKeys(source, { scanIds: sourceScanIds })).values());
  const targetKeys = await fileSetKeys(target, { storeId: targetStoreId });
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

export const BIN = resolve('bin/scancopy');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The instance flags and secrets that point `scancopy` at a pair, for a subprocess. */
export function cliInstanceArgs(pair: TestSandboxPair): { args: string[]; env: Record<string, string> } {
  return {
    args: ['--source-api', pair.source.apiUrl, '--source-db', pair.source.dbUrl, '--target-api', pair.target.apiUrl, '--target-db', pair.target.dbUrl],
    env: {
      SCANCOPY_SOURCE_USERNAME: pair.source.username,
      SCANCOPY_SOURCE_PASSWORD: pair.source.password,
      SCANCOPY_SOURCE_DB_PASSWORD: '',
      SCANCOPY_TARGET_USERNAME: pair.target.username,
      SCANCOPY_TARGET_PASSWORD: pair.target.password,
      SCANCOPY_TARGET_DB_PASSWORD: '',
    },
  };
}

/** Runs `./bin/scancopy` in `cwd` (no terminal, no inherited SCANCOPY_ settings) and collects its output. */
export function runCli(args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number; onStdout?: (chunk: string, child: ChildProcess) => void; onSpawn?: (child: ChildProcess) => void }): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: opts.cwd, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    opts.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(d.toString(), child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}
