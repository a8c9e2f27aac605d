/**
 * `scancopy download` as a user runs it: the seed's batch log and the summary on stdout,
 * exit 1 when a scan or file failed, scans picked by store and day, --dry-run, and Ctrl-C stopping
 * with exit 130 and nothing half-written under a final name.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { readManifest } from '../src/workflows/download/manifest.js';
import { createFixtureScans } from './helpers/download-scans.js';
import { startTestSandbox } from './helpers/sandbox.js';

const BIN = resolve('bin/scancopy');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('scancopy download', () => {
  let sandbox: RunningSandbox;
  let root: string;
  let ids: number[];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    ids = await createFixtureScans(sandbox, [
      { sectionName: 'Top Shelf', storePogId: 7, files: [{ name: 'a.jpg' }, { name: 'b.jpg' }] },
      { storePogId: 8, files: [{ name: 'c.png', contentType: 'image/png' }] },
      { files: [] },
    ]);
    root = await mkdtemp(join(tmpdir(), 'scancopy-dl-cli-'));
    env = { ...process.env, SCANCOPY_SOURCE_USERNAME: sandbox.username, SCANCOPY_SOURCE_PASSWORD: sandbox.password, SCANCOPY_SOURCE_DB_PASSWORD: '' };
  });
  afterAll(async () => {
    await sandbox?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  function start(args: string[]): { done: Promise<Run>; signal(name: NodeJS.Signals): void } {
    const child = spawn(BIN, ['download', '--source-api', sandbox.apiUrl, '--source-db', sandbox.dbUrl, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return {
      done: new Promise((done) => child.on('exit', (code) => done({ code, stdout, stderr }))),
      signal: (name) => child.kill(name),
    };
  }

  it('logs batches as the seed does, summarises with reasons, and exits 1 when a scan was not found', async () => {
    const file = join(root, 'ids.txt');
    await writeFile(file, `${ids.join('\n')}\n999999\n`);
    const { code, stdout, stderr } = await start(['--scans-file', file, '--out', 'images', '--batch-size', '2']).done;
    expect(code, stderr).toBe(1);
    const [withSection, pogOnly, empty] = ids as [number, number, number];
    expect(stdout).toContain(`${'='.repeat(80)}\n[BATCH 1/2] Starting batch 1\n[BATCH 1/2] Processing scans 1-2 of 4\n[BATCH 1/2] Source Scan IDs: ${withSection}, ${pogOnly}\n${'='.repeat(80)}`);
    expect(stdout).toContain('[BATCH 1] Starting download of 3 files');
    expect(stdout).toContain('[BATCH 1] [DOWNLOAD] 3/3 (100%)');
    expect(stdout).toContain('[BATCH 1/2] Success: 2, Failed: 0');
    expect(stdout).toContain(`[BATCH 2] [SKIPPED] scan ${empty}: scan has no files`);
    expect(stdout).toContain('[BATCH 2] [FAILED] scan 999999: scan not found in the source database');
    expect(stdout).toContain('[BATCH 2/2] Success: 0, Failed: 1, Skipped (no files): 1');
    expect(stdout).toMatch(/\nDownloaded: 3 files, 0\.01 MB in \d+\.\d s \(\d+\.\d\d MB\/s\)\n/);
    expect(stdout).toContain('Skipped:    0 already complete, 1 scan(s) without files');
    expect(stdout).toContain('Failed:     1\n  scan 999999: NOT_FOUND: scan not found in the source database\n');
    expect(stdout).toContain(`Folder:     ${join(root, 'images')}`);
    expect((await readdir(join(root, 'images'))).sort()).toEqual([`${withSection}_Top Shelf_7.jpg`, `${withSection}_Top Shelf_7_2.jpg`, `${pogOnly}_8.png`, 'manifest.csv']);
  });

  it('--dry-run says what a run would download, counting files complete in the folder, and writes nothing', async () => {
    const [withSection, pogOnly, empty] = ids as [number, number, number];
    const fresh = await start(['--scans', `${withSection},${pogOnly},${empty},999999`, '--out', 'dry', '--dry-run']).done;
    expect(fresh.code, fresh.stderr).toBe(1);
    expect(fresh.stdout).toContain('Dry run: nothing was downloaded or written.');
    expect(fresh.stdout).toContain('Scans:  4 selected, 1 not found (a run would fail them), 1 without files');
    expect(fresh.stdout).toContain(`Files:  3: 0 complete in ${join(root, 'dry')} already, 3 to download`);
    expect(fresh.stdout).toContain('  scan 999999: NOT_FOUND: scan not found in the source database');
    expect((await readdir(root)).includes('dry')).toBe(false);

    // The folder of the first test holds these scans' files: all complete.
    const done = await start(['--scans', `${withSection},${pogOnly}`, '--out', 'images', '--dry-run']).done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`Files:  3: 3 complete in ${join(root, 'images')} already, 0 to download`);
  });

  it('picks scans by store and day, and exits 0 when everything is on disk', async () => {
    const [row] = await sandbox.db.query<{ store_id: number; day: string }>(
      "SELECT store_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM realograms_implementation_scan WHERE id = $1",
      [ids[0]],
    );
    const { code, stdout, stderr } = await start(['--store', String(row!.store_id), '--date', row!.day, '--out', 'by-store']).done;
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('Downloaded: 3 files');
    expect(stdout).toContain('Failed:     0');
    expect(await readManifest(join(root, 'by-store'))).toHaveLength(3);
  });

  it('refuses bad flags with exit 2 before touching anything', async () => {
    const run = await start(['--scans', '1', '--workers', '0']).done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--workers');
  });

  it('stops on Ctrl-C with exit 130, leaving no temporary file and only complete files', async () => {
    sandbox.setFaults('content:latency=400ms');
    const out = join(root, 'interrupted');
    const run = start(['--scans', ids.join(','), '--out', out, '--workers', '1']);
    for (let waited = 0; waited < 30_000; waited += 20) {
      const names = await readdir(out).catch(() => [] as string[]);
      if (names.some((n) => n.endsWith('.jpg'))) break;
      await sleep(20);
    }
    run.signal('SIGINT');
    const { code, stdout, stderr } = await run.done;
    sandbox.setFaults('');
    expect(code, stderr).toBe(130);
    expect(stdout).toMatch(/^Stopped: {4}interrupted: \d+ files complete; run the same command again/m);
    const names = await readdir(out);
    expect(names.filter((n) => n.endsWith('.partial'))).toEqual([]);
    const rows = await readManifest(out);
    expect(names.filter((n) => n !== 'manifest.csv').sort()).toEqual(rows.map((r) => r.fileName).sort());
    expect(rows.length).toBeLessThan(3);
  });
});
