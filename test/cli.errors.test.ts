/**
 * Bad paths of the command line, as a user meets them in a subprocess: each is one line on
 * stderr and the exit code of the README's table, found before any work is done and leaving
 * nothing behind; with `--log-format json` the error is also one JSON object on stdout; no
 * Node warning or stack trace ever reaches the user, not even when the output is closed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliInstanceArgs, runCli, startCopyPair, type CliRun, type CopyPair } from './helpers/copy.js';
import { LOGIN_PATH, startScriptedServer } from './helpers/scripted-server.js';

function expectOneLine(run: CliRun, code: string): void {
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^scancopy: error ${code}: `));
  expect(run.stderr).not.toMatch(/\n\s+at |Warning/);
}

describe('scancopy failing before any work', () => {
  let pair: CopyPair;
  let args: string[];
  let env: Record<string, string>;
  let cwd: string;
  const deadDb = 'postgres://sandbox@127.0.0.1:1/postgres';
  const withSourceDb = (db: string) => args.map((a, i) => (args[i - 1] === '--source-db' ? db : a));

  beforeAll(async () => {
    pair = await startCopyPair({ scans: 12 });
    ({ args, env } = cliInstanceArgs(pair));
    cwd = await mkdtemp(join(tmpdir(), 'scancopy-errors-'));
  });
  afterAll(async () => {
    await pair?.close();
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('copy --scans with the source DB down: exit 4, one line, no run folder', async () => {
    const results = join(cwd, 'down');
    const run = await runCli(['copy', ...withSourceDb(deadDb), '--scans', '1,2', '--target-store', String(pair.targetStoreId), '--results', results], { cwd, env });
    expect(run.code, run.stderr).toBe(4);
    expectOneLine(run, 'DB_ERROR');
    expect(await readdir(results).catch(() => [])).toEqual([]);
  });

  it('with --log-format json the fatal error is also one JSON object on stdout', async () => {
    const run = await runCli(['--log-format', 'json', 'copy', ...withSourceDb(deadDb), '--scans', '1', '--target-store', String(pair.targetStoreId), '--results', join(cwd, 'down-json')], { cwd, env });
    expect(run.code).toBe(4);
    const objects = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ type: 'error', code: 'DB_ERROR', exitCode: 4, message: expect.stringContaining('127.0.0.1:1') });
  });

  it('download --scans with the source DB down: exit 4, and the folder is not created', async () => {
    const out = join(cwd, 'dl-down');
    const sourceOnly = withSourceDb(deadDb).slice(0, 4);
    const run = await runCli(['download', ...sourceOnly, '--scans', '1', '--out', out], { cwd, env });
    expect(run.code, run.stderr).toBe(4);
    expectOneLine(run, 'DB_ERROR');
    expect(await readdir(out).catch(() => 'absent')).toBe('absent');
  });

  it('copy with a target API URL that is a web page: exit 4, one line "not a platform API (answered HTML)" naming the instance', async () => {
    const web = await startScriptedServer();
    web.script(LOGIN_PATH, [{ status: 200, text: '<!doctype html><html><head><title>Shelf Platform</title></head><body>Sign in</body></html>' }]);
    try {
      const results = join(cwd, 'web-ui');
      const withWebTarget = args.map((a, i) => (args[i - 1] === '--target-api' ? web.url : a));
      const run = await runCli(['copy', ...withWebTarget, '--scans', '1,2', '--target-store', String(pair.targetStoreId), '--results', results], { cwd, env });
      expect(run.code, run.stderr).toBe(4);
      expectOneLine(run, 'UNREACHABLE');
      expect(run.stderr).toContain(`(${web.url}) is not a platform API (answered HTML with 200: "Shelf Platform") at POST /api/v4/token-auth/`);
      expect(run.stderr).toMatch(/error UNREACHABLE: target /);
      expect(web.count(LOGIN_PATH)).toBe(1);
    } finally {
      await web.close();
    }
  });

  it('--results that is a file, or inside one: exit 2 naming it, and nothing copied', async () => {
    const file = join(cwd, 'a-file');
    await writeFile(file, 'x');
    for (const results of [file, join(file, 'below')]) {
      const run = await runCli(['copy', ...args, '--scans', pair.scanIds.slice(0, 2).join(','), '--target-store', String(pair.targetStoreId), '--results', results], { cwd, env });
      expect(run.code, run.stderr).toBe(2);
      expectOneLine(run, 'USAGE');
      expect(run.stderr).toContain(`the results folder ${results} is a file, or inside one, not a folder`);
    }
    const [{ n }] = (await pair.target.db.query<{ n: number }>('SELECT count(*)::int AS n FROM realograms_implementation_scan')) as [{ n: number }];
    expect(n).toBe(0);
  });

  it('download --out inside a file, and analyze --results a file: exit 2 before any work', async () => {
    const file = join(cwd, 'b-file');
    await writeFile(file, 'x');
    const dl = await runCli(['download', ...args.slice(0, 4), '--scans', String(pair.scanIds[0]), '--out', join(file, 'imgs')], { cwd, env });
    expect(dl.code, dl.stderr).toBe(2);
    expect(dl.stderr).toContain('the download folder');
    const an = await runCli(['analyze', ...args, '--source-scans', String(pair.scanIds[0]), '--target-scans', '', '--results', file, '--wait', '0'], { cwd, env });
    expect(an.code, an.stderr).toBe(2);
    expectOneLine(an, 'USAGE');
    expect(an.stderr).toContain('is a file, or inside one, not a folder');
  });

  describe('a read-only file system', () => {
    let ro: string | undefined;
    let skip = '';
    beforeAll(async () => {
      const dir = join(cwd, 'ro');
      await mkdir(dir);
      // Tests run as root, which every permission bit lets through: only a read-only mount refuses root.
      const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dir], { encoding: 'utf8' });
      if (mounted.status === 0) ro = dir;
      else skip = `cannot mount a read-only tmpfs here: ${(mounted.stderr || mounted.error?.message || '').trim()}`;
    });
    afterAll(() => {
      if (ro) spawnSync('umount', [ro]);
    });

    it('--results on it: exit 2, "read-only file system"', async (ctx) => {
      if (!ro) return ctx.skip(skip);
      const run = await runCli(['copy', ...args, '--scans', String(pair.scanIds[0]), '--target-store', String(pair.targetStoreId), '--results', ro], { cwd, env });
      expect(run.code, run.stderr).toBe(2);
      expectOneLine(run, 'USAGE');
      expect(run.stderr).toContain(`the results folder ${ro} is on a read-only file system`);
    });
  });

  it('find --store of a store that does not exist: exit 1 and a clear line, not an empty list', async () => {
    const run = await runCli(['find', ...args.slice(0, 4), '--store', '999', '--date', '2026-01-01'], { cwd, env });
    expect(run.code, run.stderr).toBe(1);
    expectOneLine(run, 'NOT_FOUND');
    expect(run.stderr).toContain('store 999 does not exist');
    expect(run.stdout).toBe('');
  });

  it('copy --dry-run of 12 scans and verify of a 12-scan copy print no MaxListenersExceededWarning', async () => {
    const copyArgs = ['copy', ...args, '--scans', pair.scanIds.join(','), '--target-store', String(pair.targetStoreId), '--results', join(cwd, 'listeners')];
    const dry = await runCli([...copyArgs, '--dry-run', '--download-workers', '2'], { cwd, env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).not.toMatch(/MaxListeners|Warning/);
    const copied = await runCli(['--log-format', 'json', ...copyArgs, '--create-workers', '2'], { cwd, env });
    expect(copied.code, copied.stderr).toBe(0);
    const result = JSON.parse(copied.stdout.trim().split('\n').at(-1) as string) as { files: { mapping: string } };
    const verify = await runCli(['verify', ...args, '--mapping', result.files.mapping, '--workers', '2'], { cwd, env });
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stderr).not.toMatch(/MaxListeners|Warning/);
  });
});

describe('scancopy with nothing to reach', () => {
  let held: Server;
  let port: number;
  beforeAll(async () => {
    held = createServer();
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    port = (held.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => held.close(() => resolve())));

  it.each([['--port'], ['--db-port']])('sandbox %s on a busy port: exit 2, "port N is in use"', async (flag) => {
    const run = await runCli(['sandbox', flag, String(port)], { cwd: tmpdir() });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^scancopy: error USAGE: port ${port} is in use \\(`));
    expect(run.stderr).not.toMatch(/\n\s+at |EADDRINUSE/);
  });

  it('a closed output is not a crash: help into a pipe nobody reads exits 0 without a word', async () => {
    const child = spawn(process.execPath, [BIN, 'verify', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
