/**
 * The Download Images workflow of the wizard, in a pseudo-terminal (tmux) against a
 * sandbox: a saved instance from the config, scans found by store and day with the first
 * rows shown, bad answers asked again, images written; and Ctrl-C at a prompt leaving with
 * 130 and the answers so far saved. No password anywhere afterwards.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { startTestSandbox } from './helpers/sandbox.js';
import { Terminal } from './helpers/tmux.js';
import { filesUnder, secretsFound } from './helpers/wizard.js';

const BIN = resolve(import.meta.dirname, '../bin/scancopy');
const PASSWORD = 'dl-Pw-93ac1f';

let sandbox: RunningSandbox;
let cwd: string;
let scan: { store_id: number; day: string; ids: number[] };
const terms: Terminal[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox({ seedDemo: { scans: 6, seed: 3 }, password: PASSWORD });
  const [row] = await sandbox.db.query<typeof scan>(
    `SELECT store_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, array_agg(id ORDER BY id) AS ids
       FROM realograms_implementation_scan GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1`,
  );
  scan = { ...(row as typeof scan), ids: (row as typeof scan).ids.map(Number) };
  cwd = await mkdtemp(join(tmpdir(), 'scancopy-wizard-download-'));
  await writeFile(join(cwd, 'scancopy.config.json'), JSON.stringify({ instances: { sbx: { api: sandbox.apiUrl, db: sandbox.dbUrl } } }));
  await writeFile(join(cwd, 'not-a-folder'), 'a file');
}, 60_000);

afterAll(async () => {
  await Promise.all(terms.map((t) => t.close()));
  await sandbox?.close();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

async function wizard(): Promise<Terminal> {
  const term = await Terminal.start(`${process.execPath} ${BIN}`, { cwd, env: { HOME: cwd } });
  terms.push(term);
  return term;
}

async function logIn(term: Terminal): Promise<void> {
  await term.reply('What do you want to do?', '2');
  const screen = await term.waitForPrompt('Source instance:');
  expect(screen).toContain(`3. sbx (${sandbox.apiUrl})`);
  await term.answer('3');
  await term.reply('Source username', sandbox.username);
  await term.reply('Source password', PASSWORD);
  await term.reply('Source DB password', '');
  await term.waitFor('✔ Source database OK');
}

describe('the Download Images wizard', () => {
  it('finds scans by store and day, asks again after bad answers, and downloads their images', async () => {
    const term = await wizard();
    await logIn(term);
    await term.reply('Source scan ids:', '2');
    await term.reply('Source store id', 'abc');
    await term.waitFor('A store id is a whole number');
    await term.keys('C-u');
    await term.answer('424242');
    await term.waitFor('Store 424242 does not exist on the source instance');
    await term.keys('C-u');
    await term.answer(String(scan.store_id));
    await term.reply('Day (YYYY-MM-DD)', '2026-02-30');
    await term.waitFor('Expected a day as YYYY-MM-DD');
    await term.keys('C-u');
    await term.answer(scan.day);
    await term.reply('Only processed scans', 'y');
    const found = await term.waitForPrompt(`Use these ${scan.ids.length} scan(s)?`);
    expect(found).toContain(`${scan.ids.length} scan(s) in store ${scan.store_id} on ${scan.day}, newest first:`);
    expect(found).toMatch(new RegExp(`\\n\\s+${scan.ids[0]}\\s+${scan.day} \\d\\d:\\d\\d:\\d\\d\\s+done\\s+\\d`));
    await term.answer('y');

    await term.reply('Download folder:', '2');
    await term.reply('Download folder path', 'not-a-folder');
    await term.waitFor(/Cannot (create|write in) .*not-a-folder/);
    await term.keys('C-u');
    // `~` is the home folder, as in a shell, never a folder called `~`.
    await term.answer('~/images');
    expect(await term.exitCode(60_000)).toBe(0);
    expect(existsSync(join(cwd, '~'))).toBe(false);

    const screen = await term.capture();
    expect(screen).toMatch(/Downloaded: \d+ files?/);
    const names = await readdir(join(cwd, 'images'));
    expect(names).toContain('manifest.csv');
    for (const id of scan.ids) expect(names.some((n) => n.startsWith(`${id}_`) || n.startsWith(`${id}.`)), `scan ${id}`).toBe(true);
  }, 120_000);

  it('leaves with 130 on Ctrl-C at a prompt, keeping the answers given so far', async () => {
    const term = await wizard();
    await logIn(term);
    await term.reply('Source scan ids:', '1');
    await term.reply('Source scan ids (comma-separated', scan.ids.join(','));
    // The folder of the last download is offered.
    expect(await term.waitForPrompt('Download folder:')).toContain(`Last used (${join(cwd, 'images')})`);
    await term.keys('C-c');
    expect(await term.exitCode()).toBe(130);
    expect(await term.capture()).toContain('Interrupted. Answers given so far are saved');
    const config = JSON.parse(await readFile(join(cwd, 'scancopy.config.json'), 'utf8')) as { lastUsed?: Record<string, unknown> };
    expect(config.lastUsed).toMatchObject({ source: 'sbx', scanIds: scan.ids, downloadDir: join(cwd, 'images'), usernames: { [sandbox.apiUrl]: sandbox.username } });
    expect(existsSync(join(cwd, 'downloaded_images'))).toBe(false);
  }, 120_000);

  it('leaves no password in the config, the images folder or anything shown', async () => {
    const shown = terms.flatMap((t) => t.captures).join('\n');
    expect(secretsFound(shown, [PASSWORD])).toEqual([]);
    for (const file of await filesUnder(cwd)) expect(secretsFound(await readFile(file, 'latin1'), [PASSWORD]), file).toEqual([]);
  });
});
