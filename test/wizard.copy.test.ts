/**
 * The Copy Scan workflow of the wizard, end to end in a pseudo-terminal (tmux) against two
 * sandboxes: answers typed, passwords masked, bad answers explained and asked again, the
 * copy and the reports produced; then a second run offers the saved instances and the last
 * answers, and the job's checkpoint (resume or restart). No password anywhere afterwards.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandboxPair, type TestSandboxPair } from './helpers/sandbox.js';
import { Terminal } from './helpers/tmux.js';
import { filesUnder, secretsFound } from './helpers/wizard.js';

const BIN = resolve(import.meta.dirname, '../bin/scancopy');
const SOURCE_PASSWORD = 'src-Pw-7c1e9a';
const TARGET_PASSWORD = 'tgt-Pw-52b0d4';
const WRONG_PASSWORD = 'wrong-Pw-0f3a';
/** A port nothing listens on: the API is not reached at once. */
const UNREACHABLE_API = 'http://127.0.0.1:9';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Scans the 4-scan job's checkpoint still counts as created (a declined restart leaves them). */
async function createdInFourScanJob(dir: string): Promise<number> {
  const results = join(dir, 'results');
  for (const run of (await readdir(results)).sort().reverse()) {
    const name = (await readdir(join(results, run))).find((n) => n.startsWith('checkpoint_'));
    if (!name) continue;
    const checkpoint = JSON.parse(await readFile(join(results, run, name), 'utf8')) as { scan_ids: number[]; scans: Record<string, { status: string }> };
    if (checkpoint.scan_ids.length === 4) return Object.values(checkpoint.scans).filter((scan) => scan.status === 'created').length;
  }
  return -1;
}

let pair: TestSandboxPair;
let cwd: string;
const terms: Terminal[] = [];

beforeAll(async () => {
  pair = await startTestSandboxPair({ scans: 4, source: { password: SOURCE_PASSWORD }, target: { password: TARGET_PASSWORD } });
  cwd = await mkdtemp(join(tmpdir(), 'scancopy-wizard-copy-'));
}, 60_000);

afterAll(async () => {
  await Promise.all(terms.map((t) => t.close()));
  await pair?.close();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

/**
 * No config file here: the wizard keeps its answers in the user's config file, under XDG_CONFIG_HOME.
 * `state`: the folder under cwd holding the ledger (never the user's state directory); a test that copies scans earlier tests copied has its own.
 */
async function wizard(state = 'state'): Promise<Terminal> {
  const term = await Terminal.start(`${process.execPath} ${BIN}`, { cwd, env: { SCANCOPY_DEBUG: '', XDG_CONFIG_HOME: join(cwd, 'xdg'), XDG_STATE_HOME: join(cwd, state) } });
  terms.push(term);
  return term;
}

describe('the Copy Scan wizard', () => {
  it('copies typed scans, asks again after each bad answer, and writes the reports', async () => {
    const term = await wizard();
    await term.reply('What do you want to do?', '1');

    await term.reply('Source instance:', '2');
    await term.reply('Source API URL', 'not a url');
    await term.waitFor('Expected an http:// or https:// URL');
    await term.keys('C-u');
    await term.answer(pair.source.apiUrl);
    await term.reply('Source DB URL', pair.source.dbUrl);
    await term.reply('Source username', pair.source.username);
    await term.reply('Source password', WRONG_PASSWORD);
    await term.reply('Source DB password', '');
    await term.waitFor('Source API login failed');
    expect(await term.capture()).toMatch(/✔ Source database OK/);
    await term.reply('Source username', '');
    await term.waitForPrompt('Source password');
    await term.type(SOURCE_PASSWORD);
    await term.waitFor('*'.repeat(SOURCE_PASSWORD.length));
    await term.keys('Enter');
    await term.waitFor('✔ Source API login OK');
    // Addresses are offered for saving once they work.
    await term.reply('Save this source as a named instance', 'demo-src');

    await term.reply('Target instance:', '2');
    // An address that is not reached: only that address is asked again, not the passwords.
    await term.reply('Target API URL', UNREACHABLE_API);
    await term.reply('Target DB URL', pair.target.dbUrl);
    await term.reply('Target username', pair.target.username);
    await term.reply('Target password', TARGET_PASSWORD);
    await term.reply('Target DB password', '');
    await term.waitFor('The target API was not reached: check its address.');
    expect(await term.capture()).toMatch(/✔ Target database OK/);
    await term.waitForPrompt('Target API URL:');
    await term.keys('C-u');
    await term.answer(pair.target.apiUrl);
    await term.waitFor('✔ Target API login OK');
    const reasked = await term.waitForPrompt('Save this target as a named instance');
    expect(reasked.slice(reasked.lastIndexOf('not reached'))).not.toMatch(/Target (username|password|DB password)/);
    await term.answer('demo-tgt');

    await term.reply('Results folder:', '2');
    await term.reply('Results folder path', 'results');

    await term.reply('Source scan ids:', '1');
    await term.reply('Source scan ids (comma-separated', '1,2,x');
    await term.waitFor('scan ids = "x": expected a positive whole number or a range such as 100-120');
    await term.keys('C-u');
    await term.answer('1,2,99');
    await term.waitFor('Not on the source instance: 99');
    await term.keys('C-u');
    await term.answer('3-2');
    await term.waitFor('the range runs backwards (write 2-3)');
    await term.keys('C-u');
    // An empty item is no error, a range is expanded, and the ids taken are said back.
    await term.answer('1,,2-3');
    await term.waitFor('3 scan id(s): 1-3 (3 in all)');

    await term.reply('Target store id', '999');
    await term.waitFor('Store 999 does not exist on the target instance');
    await term.keys('C-u');
    await term.answer('1');

    // Issue 17: 1 = mapped, 2 = auto, as the seed tool numbers them.
    await term.reply('Copy mode:', '2');
    const summary = await term.waitForPrompt('Start the copy?');
    expect(summary).toMatch(new RegExp(`Source: +demo-src \\(${escape(pair.source.apiUrl)}\\)`));
    expect(summary).toMatch(new RegExp(`Target: +demo-tgt \\(${escape(pair.target.apiUrl)}\\), store 1`));
    expect(summary).toMatch(/Scans: +3: 1-3 \(3 in all\)/);
    expect(summary).toMatch(/Mode: +auto/);
    await term.answer('y');
    await term.reply('Run the analysis', 'y', 60_000);
    await term.reply('Target scan ids:', '1');
    await term.reply('POG % tolerance in points', '2');
    await term.reply('first image in the HTML report', 'y');
    expect(await term.exitCode(90_000)).toBe(0);

    const screen = await term.capture();
    expect(screen).toMatch(/Created: {2}3/);
    const html = /Look first at the HTML report: (\S+\.html)/.exec(screen)?.[1];
    expect(html && existsSync(html)).toBe(true);
    const runDir = join(cwd, 'results', (/run_\d{8}_\d{6}/.exec(html ?? '') ?? [''])[0]);
    const names = (await filesUnder(runDir)).map((p) => p.slice(runDir.length + 1));
    for (const prefix of ['initial_scan_mapping_', 'scan_mapping_updated_', 'source_scandetails_', 'target_scandetails_', 'analysis_with_comments_', 'checkpoint_']) {
      expect(names.some((n) => n.startsWith(prefix)), prefix).toBe(true);
    }
    expect(names.some((n) => n.endsWith('_highlighted.xlsx'))).toBe(true);

    expect(existsSync(join(cwd, 'scancopy.config.json'))).toBe(false);
    const config = JSON.parse(await readFile(join(cwd, 'xdg', 'scancopy', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      instances: { 'demo-src': { api: pair.source.apiUrl, db: pair.source.dbUrl }, 'demo-tgt': { api: pair.target.apiUrl } },
      lastUsed: {
        source: 'demo-src', target: 'demo-tgt', scanIds: [1, 2, 3], targetStore: 1, resultsDir: join(cwd, 'results'),
        usernames: { [pair.source.apiUrl]: pair.source.username, [pair.target.apiUrl]: pair.target.username },
      },
    });
  }, 180_000);

  it('offers the saved instances, the last scan ids and the job checkpoint on a second run; a scan-id file and a mapping file are checked where given', async () => {
    const runs = (await readdir(join(cwd, 'results'))).filter((n) => n.startsWith('run_'));
    const runDir = join(cwd, 'results', runs[0] ?? '');
    const firstMapping = join(runDir, (await readdir(runDir)).find((n) => n.startsWith('scan_mapping_updated_')) ?? '');
    await writeFile(join(cwd, 'ids.txt'), '1\n2-3\n');
    await writeFile(join(cwd, 'other-run.csv'), 'Source_Scan_ID,Target_Scan_ID\n7,70\n8,80\n');
    await writeFile(join(cwd, 'other-target.csv'), 'Source_Scan_ID,Target_Scan_ID\n1,999999\n2,\n3,\n9,90\n');
    const term = await wizard();
    await term.reply('What do you want to do?', '1');
    const screen = await term.waitForPrompt('Source instance:');
    expect(screen).toContain(`demo-src (${pair.source.apiUrl})`);
    // The menu keeps its numbers: the two ways to type an instance, then the saved ones.
    expect(screen).toMatch(/1\. Type an instance name[^\n]*\n[^\n]*2\. Type an API URL[^\n]*\n[^\n]*3\. demo-src[^\n]*\n[^\n]*4\. demo-tgt/);
    await term.answer('');
    // The username typed last time is offered (Enter takes it); the password is asked.
    await term.reply('Source username', '');
    await term.reply('Source password', SOURCE_PASSWORD);
    await term.reply('Source DB password', '');
    // The source again as target: a warning, and the target is asked again.
    await term.reply('Target instance:', '3');
    await term.reply('Target username', '');
    await term.reply('Target password', SOURCE_PASSWORD);
    await term.reply('Target DB password', '');
    await term.waitFor('Warning: the source and the target are the same instance');
    await term.reply('Copy into the same instance anyway?', 'n');
    await term.reply('Target instance:', '4');
    await term.reply('Target username', '');
    await term.reply('Target password', TARGET_PASSWORD);
    await term.reply('Target DB password', '');
    await term.reply('Results folder:', '2');
    const scans = await term.waitForPrompt('Source scan ids:');
    expect(scans).toContain('5. Use the last ones (1, 2, 3)');
    await term.answer('4');
    await term.reply('Source scan id file path', 'no-such-ids.txt');
    await term.waitFor(/Cannot read .*no-such-ids\.txt: ENOENT/);
    await term.keys('C-u');
    await term.answer('ids.txt');
    await term.waitFor('3 scan id(s): 1-3 (3 in all)');
    await term.reply('Target store id', '');
    await term.reply('Copy mode:', '2');
    const checkpoint = await term.waitForPrompt('This job has a checkpoint');
    expect(checkpoint).toContain('(3 of 3 scans done)');
    await term.answer('1');
    expect(await term.waitForPrompt('Start the copy?')).toMatch(/Results: +resume the run in .*run_\d{8}_\d{6} \(3 of 3 scans done\)/);
    await term.answer('');
    await term.reply('Run the analysis', 'y', 60_000);
    // A mapping file is checked where it is given: one of another run, or of another target, is refused there.
    await term.reply('Target scan ids:', '2');
    await term.reply('Mapping file path', 'other-run.csv');
    await term.waitFor('the mapping has no copy of the 3 scan(s) chosen (1, 2, 3)');
    await term.keys('C-u');
    await term.answer('other-target.csv');
    await term.waitFor('The mapping names copies that are not on the target instance: 999999');
    await term.keys('C-u');
    await term.answer(firstMapping);
    await term.waitFor('3 of the 3 scan(s) of Step 2 have a copy in this mapping.');
    await term.reply('POG % tolerance in points', '');
    await term.reply('first image in the HTML report', 'n');
    expect(await term.exitCode(90_000)).toBe(0);
    expect(await term.capture()).toMatch(/Created: {2}3/);
  }, 180_000);

  it('stops the copy on Ctrl-C with 130, then resumes it from Step 0 on the next run; a restart warns once', async () => {
    const answerUpToCopy = async (term: Terminal, ids: string): Promise<void> => {
      await term.reply('What do you want to do?', '1');
      await term.reply('Source instance:', '');
      await term.reply('Source username', pair.source.username);
      await term.reply('Source password', SOURCE_PASSWORD);
      await term.reply('Source DB password', '');
      await term.reply('Target instance:', '');
      await term.reply('Target username', pair.target.username);
      await term.reply('Target password', TARGET_PASSWORD);
      await term.reply('Target DB password', '');
      await term.reply('Results folder:', '2');
      await term.reply('Source scan ids:', ids === 'last' ? '5' : '1');
      if (ids !== 'last') await term.reply('Source scan ids (comma-separated', ids);
      await term.reply('Target store id', '');
      await term.reply('Copy mode:', '2');
    };
    pair.source.setFaults('content:latency=1500ms');
    try {
      // The earlier tests copied these scans into this store: without a ledger of its own, this job would skip them.
      const first = await wizard('state-ctrl-c');
      await answerUpToCopy(first, '1,2,3,4');
      await first.reply('Start the copy?', 'y');
      await first.waitFor('[BATCH 1] Starting download');
      await first.keys('C-c');
      expect(await first.exitCode()).toBe(130);
      expect(await first.capture()).toMatch(/Stopped with \d+ scan\(s\) still to copy; the state is saved in/);
    } finally {
      pair.source.setFaults('');
    }

    // Step 0 offers the unfinished run (after the two workflows, whose numbers stay): only the passwords are asked again.
    const second = await wizard('state-ctrl-c');
    const menu = await second.waitForPrompt('What do you want to do?');
    expect(menu).toMatch(/3\. Resume run_\d{8}_\d{6}: demo-src → demo-tgt store 1, auto, \d of 4 scans done \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    await second.answer('3');
    await second.reply('Source username', '');
    await second.reply('Source password', SOURCE_PASSWORD);
    await second.reply('Source DB password', '');
    await second.reply('Target username', '');
    await second.reply('Target password', TARGET_PASSWORD);
    await second.reply('Target DB password', '');
    expect(await second.waitForPrompt('Start the copy?')).toMatch(/Results: +resume the run in .*run_\d{8}_\d{6} \(\d of 4 scans done\)/);
    await second.answer('');
    await second.reply('Run the analysis', 'n', 60_000);
    expect(await second.exitCode()).toBe(0);
    expect(await second.capture()).toMatch(/Scans: {4}4 \(resumed\)\nCreated: {2}4/);

    // Restart of a job whose scans were created: the ledger would skip them, so no warning that
    // they are created again; the summary says it restarts, and one "no" leaves everything as it was.
    const third = await wizard('state-ctrl-c');
    await answerUpToCopy(third, 'last');
    await third.reply('This job has a checkpoint', '2');
    const warned = await third.waitForPrompt('Start the copy?');
    expect(warned).not.toContain('Warning: restarting');
    expect(warned).toMatch(/Results: +restart the run in /);
    await third.answer('n');
    expect(await third.exitCode()).toBe(0);
    expect(await third.capture()).toContain('Nothing was copied.');
    expect(await createdInFourScanJob(cwd)).toBe(4);
  }, 150_000);

  it('leaves no password in the config, the results or anything shown', async () => {
    const passwords = [SOURCE_PASSWORD, TARGET_PASSWORD, WRONG_PASSWORD];
    const shown = terms.flatMap((t) => t.captures).join('\n');
    expect(secretsFound(shown, passwords)).toEqual([]);
    for (const file of await filesUnder(cwd)) {
      expect(secretsFound(await readFile(file, 'latin1'), passwords), file).toEqual([]);
    }
  });
});
