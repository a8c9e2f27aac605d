/**
 * On a terminal, a secret missing from the environment is asked for with a masked prompt:
 * the typed password shows as `*`, never in clear, and the command goes on with it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { startTestSandbox } from './helpers/sandbox.js';
import { Terminal } from './helpers/tmux.js';

const BIN = resolve(import.meta.dirname, '../bin/scancopy');
const PASSWORD = 'typed-Secret-2d9f';

let sandbox: RunningSandbox;
let cwd: string;
let term: Terminal | undefined;
let scan: { store_id: number; day: string; id: number };

beforeAll(async () => {
  sandbox = await startTestSandbox({ seedDemo: { scans: 3, seed: 2 }, password: PASSWORD });
  const [row] = await sandbox.db.query<typeof scan>("SELECT id, store_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM realograms_implementation_scan ORDER BY id LIMIT 1");
  scan = row as typeof scan;
  cwd = await mkdtemp(join(tmpdir(), 'scancopy-prompt-'));
}, 60_000);

afterAll(async () => {
  await term?.close();
  await sandbox?.close();
  await rm(cwd, { recursive: true, force: true });
});

it('asks for the API password with a mask and uses it', async () => {
  const command = [process.execPath, BIN, 'find', '--source-api', sandbox.apiUrl, '--source-db', sandbox.dbUrl, '--store', String(scan.store_id), '--date', scan.day].join(' ');
  term = await Terminal.start(command, { cwd, env: { SCANCOPY_SOURCE_USERNAME: sandbox.username, SCANCOPY_SOURCE_DB_PASSWORD: '', SCANCOPY_SOURCE_PASSWORD: '' } });
  await term.waitFor('source source API password');
  await term.type(PASSWORD);
  await term.waitFor('*'.repeat(PASSWORD.length));
  await term.keys('Enter');
  expect(await term.exitCode()).toBe(0);
  const screen = await term.capture();
  expect(screen).toMatch(new RegExp(`^${scan.id}\\t?\\s+${scan.day}`, 'm'));
  for (const captured of term.captures) expect(captured).not.toContain(PASSWORD);
}, 60_000);
