import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDb, openPglite } from '../src/platform/db.js';
import { testEngines } from './helpers/databases.js';
import { rawApi } from './helpers/sandbox.js';

const BIN = join(process.cwd(), 'bin', 'scancopy');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function firstLine(r: Run, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!r.stdout().includes('\n')) {
    if (Date.now() > deadline || r.child.exitCode !== null) throw new Error(`no line on stdout; stderr: ${r.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return r.stdout().split('\n')[0] as string;
}

describe('scancopy sandbox', () => {
  it('--json prints exactly one line {api, db, username, password}, serves both, and stops cleanly on SIGTERM', async () => {
    const r = run(['sandbox', '--json', '--seed-demo', '--scans', '2', '--processing-delay', '50', '--password', 'secret-pw']);
    try {
      const info = JSON.parse(await firstLine(r)) as Record<string, string>;
      expect(Object.keys(info)).toEqual(['api', 'db', 'username', 'password']);
      expect(info).toMatchObject({ username: 'sandbox', password: 'secret-pw' });
      expect(info.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.db).toMatch(/^postgres:\/\/sandbox@127\.0\.0\.1:\d+\/postgres$/);
      const api = await rawApi({ apiUrl: info.api as string, username: 'sandbox', password: 'secret-pw' });
      expect((await api.get('/api/v1/master-data/file-upload/1/')).status).toBe(200);
      const client = new pg.Client({ connectionString: info.db });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT count(*)::int AS n FROM realograms_implementation_scan');
        expect(rows[0].n).toBe(2);
      } finally {
        await client.end();
      }
    } finally {
      r.child.kill('SIGTERM');
    }
    expect(await r.exited).toBe(0);
    expect(r.stdout().trim().split('\n')).toHaveLength(1);
    expect(r.stderr()).toContain('seeded demo data');
    expect(r.stderr()).toContain('SIGTERM received, stopping');
  });

  it('refuses a malformed fault spec with exit code 2 and a message pointing at the item', async () => {
    const r = run(['sandbox', '--faults', '*:latency=25ms,upload:503=2']);
    expect(await r.exited).toBe(2);
    expect(r.stderr()).toContain('bad fault item 2 "upload:503=2"');
    expect(r.stdout()).toBe('');
  });

  it('--storage-dir keeps uploads as files in a folder it creates, and serves them back', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'scancopy-storage-'));
    const dir = join(parent, 'uploads');
    const r = run(['sandbox', '--json', '--storage-dir', dir, '--password', 'pw']);
    try {
      const info = JSON.parse(await firstLine(r)) as Record<string, string>;
      const api = await rawApi({ apiUrl: info.api as string, username: 'sandbox', password: 'pw' });
      const bytes = Buffer.from('an upload kept on disk');
      const id = await api.uploadId(bytes, 'disk.png');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      expect(await readdir(dir)).toEqual([sha256]);
      const { file } = (await (await api.get(`/api/v1/master-data/file-upload/${id}/`)).json()) as { file: string };
      expect(Buffer.from(await (await fetch(file)).arrayBuffer()).equals(bytes)).toBe(true);
    } finally {
      r.child.kill('SIGTERM');
      await r.exited;
      await rm(parent, { recursive: true, force: true });
    }
    expect(r.stderr()).toContain(`uploaded files are kept in ${dir}`);
  });

  it('refuses a --storage-dir it cannot create with exit code 2 and one line naming the folder', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'scancopy-storage-'));
    try {
      const blocker = join(parent, 'a-file');
      await writeFile(blocker, 'not a folder');
      const r = run(['sandbox', '--storage-dir', join(blocker, 'uploads')]);
      expect(await r.exited).toBe(2);
      expect(r.stderr().trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^scancopy: error USAGE: cannot keep uploaded files in ${join(blocker, 'uploads')}: not a directory \\(ENOTDIR\\)`))]);
      expect(r.stdout()).toBe('');
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('--help documents the options, the fault syntax and the credentials', async () => {
    const r = run(['sandbox', '--help']);
    expect(await r.exited).toBe(0);
    for (const text of ['--db <url>', '--embedded [dir]', '--storage-dir <dir>', '--seed-demo', '--scans <n>', '--seed <s>', '--user <name>', '--password <pw>', '--processing-delay <ms>', '--mis-map <rate>', '--faults <spec>', '--fault-seed <n>', '--reject-reused-files', '--json', 'ENDPOINT:KIND=VALUE', 'latency=25ms~5ms', 'truncate=R', 'expire=R', 'concurrency=N', 'Retry-After', 'password generated']) {
      expect(r.stdout()).toContain(text);
    }
  });
});

describe.each(testEngines())('scancopy sandbox on a database holding other tables ($name)', (engine) => {
  it('refuses it with exit code 2 and says why', async () => {
    const dir = engine.name === 'pglite' ? await mkdtemp(join(tmpdir(), 'scancopy-foreign-')) : undefined;
    const url = dir ?? (await engine.create());
    try {
      const db = dir ? await openPglite(dir) : await openDb(url);
      await db.exec('CREATE TABLE invoices (id int)');
      await db.close();
      const r = run(['sandbox', ...(dir ? ['--embedded', dir] : ['--db', url])]);
      expect(await r.exited).toBe(2);
      expect(r.stderr()).toMatch(/refusing to use .*: it holds tables that are not the sandbox's \(invoices\)/);
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
      else await engine.drop(url);
    }
  });
});
