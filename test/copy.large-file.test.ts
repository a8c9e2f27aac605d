/**
 * Bytes never bound by memory: a 400 MB video (a sparse file with distinct bytes at both
 * ends, served by the source from disk as object storage serves it) copies through a real
 * `scancopy copy` process whose peak RSS stays under 250 MB, arrives byte-identical as a
 * video, and leaves no spool file behind. Small files of the same copy stay in memory.
 * `copy --dry-run` (which counts the bytes) and `verify` (which hashes both sides) of it stay
 * under the same bound: they stream the bytes, never hold a file.
 * Peak RSS (VmHWM) is read from /proc: it is a size, not a timing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchProcess } from '../bench/rss.js';
import { cliInstanceArgs, runCli, startCopyPair, type CopyPair } from './helpers/copy.js';

const VIDEO_BYTES = 400 * 1024 * 1024;
const RSS_LIMIT_MB = 250;

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe.runIf(process.platform === 'linux')('a copy of a video larger than memory', () => {
  let pair: CopyPair;
  let work: string;
  let videoScan: number;
  let videoSha: string;
  let mappingCsv: string | undefined;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'scancopy-large-'));
    pair = await startCopyPair({ scans: 2, source: { storageDir: join(work, 'source-store') }, target: { storageDir: join(work, 'target-store') } });
    const path = join(work, 'source-store', 'aisle-walk.mp4');
    const handle = await open(path, 'w');
    await handle.write(randomBytes(64 * 1024), 0, 64 * 1024, 0);
    await handle.write(randomBytes(64 * 1024), 0, 64 * 1024, VIDEO_BYTES - 64 * 1024);
    await handle.close();
    videoSha = await sha256Of(path);
    const db = pair.source.db;
    const [file] = await db.query<{ id: number }>(
      `INSERT INTO sandbox_fileupload (original_filename, content_type, input_type, size, sha256, storage_path)
       VALUES ('aisle-walk.mp4', 'video/mp4', 'video', $1, $2, $3) RETURNING id`,
      [VIDEO_BYTES, videoSha, path],
    );
    const [store] = await db.query<{ id: number }>('SELECT min(id) AS id FROM master_data_implementation_store');
    const [scan] = await db.query<{ id: number }>(
      `INSERT INTO realograms_implementation_scan (provided_values, store_id, status, has_report) VALUES ($1, $2, 'done', true) RETURNING id`,
      [JSON.stringify({ _raw_data: { store: store?.id, scan_type: 'shelf', input_type: 'video' } }), store?.id],
    );
    videoScan = scan?.id as number;
    await db.query("INSERT INTO realograms_implementation_scanfile (scan_id, file_id, file_type) VALUES ($1, $2, 'video')", [videoScan, file?.id]);
  });

  afterAll(async () => {
    await pair?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(`copies it with the client's peak RSS under ${RSS_LIMIT_MB} MB and no spool file left`, async () => {
    const { args, env } = cliInstanceArgs(pair);
    const results = join(work, 'results');
    let watch: ReturnType<typeof watchProcess> | undefined;
    const scans = [videoScan, ...pair.scanIds].join(',');
    const run = await runCli(['copy', ...args, '--scans', scans, '--target-store', String(pair.targetStoreId), '--results', results, '--log-format', 'json'], {
      cwd: work,
      env,
      timeoutMs: 300_000,
      onSpawn: (child) => (watch = watchProcess(child.pid as number, 50)),
    });
    const peak = await watch?.stop();
    expect(run.stderr.split('\n').filter((l) => l.includes('"type":"failed"'))).toEqual([]);
    expect(run.code).toBe(0);
    expect(peak?.peakRssMb).toBeGreaterThan(0);
    expect(peak?.peakRssMb).toBeLessThan(RSS_LIMIT_MB);

    const [copied] = await pair.target.db.query<{ size: number; sha256: string; input_type: string; file_type: string; storage_path: string }>(
      `SELECT f.size, f.sha256, f.input_type, sf.file_type, f.storage_path
         FROM realograms_implementation_scanfile sf JOIN sandbox_fileupload f ON f.id = sf.file_id
        WHERE f.original_filename = 'aisle-walk.mp4'`,
    );
    expect(copied).toMatchObject({ size: VIDEO_BYTES, sha256: videoSha, input_type: 'video', file_type: 'video' });
    expect(await sha256Of(copied?.storage_path as string)).toBe(videoSha);
    const [runDir] = await readdir(results);
    const runFiles = await readdir(join(results, runDir as string));
    expect(runFiles).not.toContain('spool');
    mappingCsv = join(results, runDir as string, runFiles.find((f) => f.startsWith('scan_mapping') && f.endsWith('.csv')) as string);
  });

  /** Runs `scancopy ARGS` and returns its result with its peak RSS. */
  async function measured(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; peakRssMb: number }> {
    const { args: instance, env } = cliInstanceArgs(pair);
    let watch: ReturnType<typeof watchProcess> | undefined;
    const run = await runCli([args[0] as string, ...instance, ...args.slice(1)], { cwd: work, env, timeoutMs: 300_000, onSpawn: (child) => (watch = watchProcess(child.pid as number, 50)) });
    const peak = await watch?.stop();
    return { ...run, peakRssMb: peak?.peakRssMb ?? 0 };
  }

  it(`counts its bytes in a dry run with peak RSS under ${RSS_LIMIT_MB} MB`, async () => {
    const run = await measured(['copy', '--scans', String(videoScan), '--target-store', String(pair.targetStoreId), '--results', join(work, 'dry'), '--dry-run', '--log-format', 'json']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`"bytes":${VIDEO_BYTES}`);
    expect(run.peakRssMb).toBeGreaterThan(0);
    expect(run.peakRssMb).toBeLessThan(RSS_LIMIT_MB);
  });

  // Verifies the copy the first case made.
  it(`verifies the copy byte for byte with peak RSS under ${RSS_LIMIT_MB} MB`, async () => {
    expect(mappingCsv).toBeDefined();
    const run = await measured(['verify', '--mapping', mappingCsv as string, '--log-format', 'json']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"mismatches":[]');
    expect(run.peakRssMb).toBeGreaterThan(0);
    expect(run.peakRssMb).toBeLessThan(RSS_LIMIT_MB);
  });
});
