/**
 * Resuming: a re-run skips files that are complete on disk (size and sha256 as in the
 * manifest) and fetches the rest; a `kill -9` of `scancopy download` mid-run loses no
 * renamed file, leaves no torn file under a final name, and the next run ends with every file
 * byte-identical to the sandbox's and no temporary file left.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInstance, type Instance } from '../src/platform/instance.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { downloadScanImages } from '../src/workflows/download.js';
import { readManifest } from '../src/workflows/download/manifest.js';
import { testEngines } from './helpers/databases.js';
import { createFixtureScans, listTree, sha256OfPath, storedHashes } from './helpers/download-scans.js';
import { startTestSandbox } from './helpers/sandbox.js';

const BIN = resolve('bin/scancopy');
const isTemp = (name: string): boolean => name.endsWith('.partial');

describe.each(testEngines())('download resume on $name', (engine) => {
  let sandbox: RunningSandbox;
  let source: Instance;
  let root: string;
  let ids: number[];

  beforeAll(async () => {
    sandbox = await startTestSandbox({ engine });
    ids = await createFixtureScans(
      sandbox,
      Array.from({ length: 8 }, (_, i) => ({ sectionName: `Shelf ${i}`, storePogId: 50 + i, files: [{ name: `a${i}.jpg`, size: 300_000 }, { name: `b${i}.png`, contentType: 'image/png', size: 150_000 }] })),
    );
    source = await openInstance({ name: 'source', apiUrl: sandbox.apiUrl, dbUrl: sandbox.dbUrl, username: sandbox.username, password: sandbox.password }, { retry: { baseMs: 5 } });
    root = await mkdtemp(join(tmpdir(), 'scancopy-dl-resume-'));
  });
  afterAll(async () => {
    await source?.close();
    await sandbox?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function expectIdentical(out: string): Promise<void> {
    const hashes = await storedHashes(sandbox, ids);
    const manifest = await readManifest(out);
    expect(manifest).toHaveLength(hashes.size);
    for (const row of manifest) expect(await sha256OfPath(join(out, row.fileName))).toBe(hashes.get(row.fileId));
    const names = await readdir(out);
    expect(names.filter(isTemp)).toEqual([]);
    expect(names.sort()).toEqual([...manifest.map((m) => m.fileName), 'manifest.csv'].sort());
  }

  it('skips complete files on a re-run and fetches only missing, damaged or unrecorded ones', async () => {
    const out = join(root, 'rerun');
    const first = await downloadScanImages({ source, scanIds: ids, outDir: out, workers: 4 });
    expect(first).toMatchObject({ downloaded: 16, skipped: 0, failures: [] });

    const again = await downloadScanImages({ source, scanIds: ids, outDir: out, workers: 4 });
    expect(again).toMatchObject({ downloaded: 0, skipped: 16, bytes: 0, failures: [] });

    const [damaged, missing, sameSize] = first.files as [(typeof first.files)[0], (typeof first.files)[0], (typeof first.files)[0]];
    await appendFile(join(out, damaged.fileName), 'x');
    await unlink(join(out, missing.fileName));
    await writeFile(join(out, sameSize.fileName), Buffer.alloc(sameSize.bytes));
    await writeFile(join(out, `.${first.files[3]!.fileName}.0badc0de.partial`), 'left by a killed run');
    const third = await downloadScanImages({ source, scanIds: ids, outDir: out, workers: 4 });
    expect(third).toMatchObject({ downloaded: 3, skipped: 13, leftoversRemoved: 1, failures: [] });
    expect(third.files.filter((f) => f.outcome === 'downloaded').map((f) => f.fileName).sort()).toEqual(
      [damaged.fileName, missing.fileName, sameSize.fileName].sort(),
    );
    await expectIdentical(out);
  });

  it('after kill -9 mid-run, the next run completes every file byte-identical with no temporary file left', async () => {
    const out = join(root, 'killed');
    const cwd = await mkdtemp(join(root, 'cwd-'));
    sandbox.setFaults('content:latency=150ms~50ms');
    const args = ['download', '--source-api', sandbox.apiUrl, '--source-db', sandbox.dbUrl, '--scans', ids.join(','), '--out', out, '--workers', '2', '--batch-size', '3'];
    const env = { ...process.env, SCANCOPY_SOURCE_USERNAME: sandbox.username, SCANCOPY_SOURCE_PASSWORD: sandbox.password, SCANCOPY_SOURCE_DB_PASSWORD: '' };

    const child = spawn(BIN, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((done) => child.on('exit', (code, signal) => done(signal ?? code)));
    // Kill while a file is half-way (a temporary file exists) once a few are complete.
    let sawTemp = false;
    for (let waited = 0; waited < 60_000 && child.exitCode === null; waited += 3) {
      const names = await readdir(out).catch(() => [] as string[]);
      const complete = names.filter((n) => !isTemp(n) && n !== 'manifest.csv').length;
      sawTemp = names.some(isTemp);
      if (complete >= 3 && sawTemp) break;
      await sleep(3);
    }
    child.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    sandbox.setFaults('');

    // Every file under a final name is complete and already in the manifest.
    const afterKill = await readdir(out);
    const finals = afterKill.filter((n) => !isTemp(n) && n !== 'manifest.csv');
    expect(finals.length).toBeGreaterThanOrEqual(3);
    expect(finals.length).toBeLessThan(16);
    expect(sawTemp).toBe(true);
    const hashes = await storedHashes(sandbox, ids);
    const rows = new Map((await readManifest(out)).map((r) => [r.fileName, r]));
    for (const name of finals) {
      const row = rows.get(name);
      expect(row, name).toBeDefined();
      expect(await sha256OfPath(join(out, name))).toBe(hashes.get(row!.fileId));
    }

    const rerun = await new Promise<{ code: number | null; stdout: string }>((done) => {
      const again = spawn(BIN, args, { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      again.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      again.on('exit', (code) => done({ code, stdout }));
    });
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(rerun.stdout).toContain(`Skipped:    ${finals.length} already complete`);
    expect(rerun.stdout).toContain(`Downloaded: ${16 - finals.length} files`);
    if (afterKill.some(isTemp)) expect(rerun.stdout).toMatch(/Removed \d+ temporary file/);
    await expectIdentical(out);
    expect(await listTree(cwd)).toEqual([]);
  });
});
