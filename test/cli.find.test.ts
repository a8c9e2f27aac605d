/**
 * `scancopy find` as a user runs it, in a subprocess: the scans as lines or JSON, and each
 * failure as one clear line with the exit code of design.md (no stack trace). Everything
 * the suite wrote or printed is scanned for the password and the token at the end.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { testEngines } from './helpers/databases.js';
import { rawApi, startTestSandbox } from './helpers/sandbox.js';

const BIN = resolve(import.meta.dirname, '../bin/scancopy');
const PASSWORD = 'find-suite-Pw-4e7a19';
const captured: string[] = [];
const secrets: string[] = [PASSWORD];
let cwd: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function scancopy(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      captured.push(stdout, stderr);
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** One line on stderr, `scancopy: error CODE: ...`, and no stack frames. */
function expectOneLine(run: Run, code: string): void {
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^scancopy: error ${code}: `));
  expect(run.stderr).not.toMatch(/\n\s+at |\.ts:\d+/);
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'scancopy-find-'));
});

afterAll(async () => {
  // Whatever the suite wrote (config files, anything the CLI left) and printed holds no secret.
  const texts = [...captured];
  for (const file of await listFiles(cwd)) texts.push(await readFile(file, 'latin1'));
  await rm(cwd, { recursive: true, force: true });
  for (const secret of secrets) for (const text of texts) expect(text.includes(secret), `secret found in: ${text.slice(0, 200)}`).toBe(false);
});

describe.each(testEngines())('scancopy find on $name', (engine) => {
  let sandbox: RunningSandbox;
  let env: Record<string, string>;
  let scan: { id: number; store_id: number; day: string; files: number };

  beforeAll(async () => {
    sandbox = await startTestSandbox({ engine, seedDemo: { scans: 8, seed: 5 }, password: PASSWORD });
    secrets.push((await rawApi(sandbox)).token);
    env = { SCANCOPY_SOURCE_USERNAME: sandbox.username, SCANCOPY_SOURCE_PASSWORD: PASSWORD, SCANCOPY_SOURCE_DB_PASSWORD: '' };
    const [row] = await sandbox.db.query<typeof scan>(
      `SELECT s.id, s.store_id, to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(f.id)::int AS files
         FROM realograms_implementation_scan s JOIN realograms_implementation_scanfile f ON f.scan_id = s.id
        GROUP BY s.id ORDER BY s.id LIMIT 1`,
    );
    scan = row as typeof scan;
  }, 60_000);
  afterAll(async () => {
    await sandbox?.close();
  });

  const instanceFlags = () => ['--source-api', sandbox.apiUrl, '--source-db', sandbox.dbUrl];

  it('prints one scan per line: id, created_at, status, file count', async () => {
    const run = await scancopy(['find', ...instanceFlags(), '--store', String(scan.store_id), '--date', scan.day], env);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const mine = lines.find((l) => l.startsWith(`${scan.id}\t`));
    expect(mine).toMatch(new RegExp(`^${scan.id}\\t${scan.day}T\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\tdone\\t${scan.files}$`));
    expect(run.stderr).toMatch(new RegExp(`^${lines.length} scans? of store ${scan.store_id} on ${scan.day} in source\\n$`));
  });

  it('--json prints an array, from an instance named in the config file', async () => {
    await writeFile(join(cwd, 'scancopy.config.json'), JSON.stringify({ instances: { sb: { api: sandbox.apiUrl, db: sandbox.dbUrl } } }));
    try {
      const run = await scancopy(['find', '--source', 'sb', '--store', String(scan.store_id), '--from', scan.day, '--to', scan.day, '--json'], env);
      expect(run.code, run.stderr).toBe(0);
      const parsed = JSON.parse(run.stdout) as Array<{ id: number; fileCount: number; status: string }>;
      expect(parsed).toContainEqual(expect.objectContaining({ id: scan.id, fileCount: scan.files, status: 'done' }));
    } finally {
      await rm(join(cwd, 'scancopy.config.json'));
    }
  });

  it('the API and DB passwords from the instance\'s password commands, run without a shell', async () => {
    const print = (name: string) => [process.execPath, '-e', `console.log(process.env.${name})`];
    await writeFile(join(cwd, 'scancopy.config.json'), JSON.stringify({ instances: { sb: { api: sandbox.apiUrl, db: sandbox.dbUrl, passwordCommand: print('FIND_API_PW'), dbPasswordCommand: print('FIND_DB_PW') } } }));
    try {
      const run = await scancopy(['find', '--source', 'sb', '--store', String(scan.store_id), '--date', scan.day], { SCANCOPY_SOURCE_USERNAME: sandbox.username, FIND_API_PW: PASSWORD, FIND_DB_PW: 'any' });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`${scan.id}\t`);
    } finally {
      await rm(join(cwd, 'scancopy.config.json'));
    }
  });

  it('a wrong password: exit 3, one line', async () => {
    const run = await scancopy(['find', ...instanceFlags(), '--store', '1', '--date', scan.day], { ...env, SCANCOPY_SOURCE_PASSWORD: 'not-the-password' });
    expect(run.code).toBe(3);
    expectOneLine(run, 'AUTH_FAILED');
    expect(run.stderr).toContain('Unable to log in with provided credentials.');
    expect(run.stderr).not.toContain('not-the-password');
  });

  it('an unreachable database: exit 4, one line, after a good login', async () => {
    const run = await scancopy(['find', '--source-api', sandbox.apiUrl, '--source-db', 'postgres://reader@127.0.0.1:1/nowhere', '--store', '1', '--date', scan.day], env);
    expect(run.code).toBe(4);
    expectOneLine(run, 'DB_ERROR');
    expect(run.stderr).toContain('127.0.0.1:1');
  });
});

describe('scancopy find failing before any instance is reached', () => {
  const env = { SCANCOPY_SOURCE_USERNAME: 'u', SCANCOPY_SOURCE_PASSWORD: PASSWORD, SCANCOPY_SOURCE_DB_PASSWORD: '' };

  it('an unreachable API: exit 4, one line', async () => {
    const run = await scancopy(['find', '--source-api', 'http://127.0.0.1:1', '--source-db', 'postgres://u@127.0.0.1:1/x', '--store', '1', '--date', '2026-01-01'], env);
    expect(run.code).toBe(4);
    expectOneLine(run, 'UNREACHABLE');
    expect(run.stderr).toContain('cannot reach http://127.0.0.1:1');
  });

  it('a credential in an API URL: exit 2, one line saying where secrets go, never the secret', async () => {
    const run = await scancopy(['find', '--source-api', `http://u:${PASSWORD}@127.0.0.1:1`, '--source-db', 'postgres://u@127.0.0.1:1/x', '--store', '1', '--date', '2026-01-01'], env);
    expect(run.code).toBe(2);
    expectOneLine(run, 'CONFIG_INVALID');
    expect(run.stderr).toMatch(/--source-api: source API URL = "http:\/\/\*\*\*@127\.0\.0\.1:1": must not hold a user name or password: secrets go in/);
  });

  it('a DB password in --source-db: exit 2, one line naming SCANCOPY_SOURCE_DB_PASSWORD', async () => {
    const run = await scancopy(['find', '--source-api', 'http://127.0.0.1:1', '--source-db', `postgres://u:${PASSWORD}@127.0.0.1:1/x`, '--store', '1', '--date', '2026-01-01'], env);
    expect(run.code).toBe(2);
    expectOneLine(run, 'CONFIG_INVALID');
    expect(run.stderr).toContain('SCANCOPY_SOURCE_DB_PASSWORD');
  });

  it('a bad config file: exit 2, naming the key and the value', async () => {
    await writeFile(join(cwd, 'bad.json'), JSON.stringify({ limits: { download: 0 } }));
    const run = await scancopy(['find', '--config', 'bad.json', '--source', 'albt', '--store', '1', '--date', '2026-01-01'], env);
    expect(run.code).toBe(2);
    expectOneLine(run, 'CONFIG_INVALID');
    expect(run.stderr).toMatch(/bad\.json: limits\.download = 0: /);
  });

  it('a missing secret without a terminal: exit 2, naming the env var', async () => {
    const run = await scancopy(['find', '--source', 'albt', '--store', '1', '--date', '2026-01-01'], { SCANCOPY_SOURCE_USERNAME: 'u', SCANCOPY_SOURCE_DB_PASSWORD: '' });
    expect(run.code).toBe(2);
    expectOneLine(run, 'CONFIG_INVALID');
    expect(run.stderr).toContain('SCANCOPY_SOURCE_PASSWORD');
  });

  it('bad selection flags: exit 2, one line', async () => {
    const run = await scancopy(['find', '--source', 'albt', '--store', '1'], env);
    expect(run.code).toBe(2);
    expectOneLine(run, 'USAGE');
  });
});
