/**
 * Config resolution: flags > env > .env > file > defaults, instance defaults of platform.md
 * section 1, validation errors naming the key and the value, secrets kept out of URLs and
 * files, and lastUsed written atomically without a secret.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { copyCommand } from '../src/cli/commands/copy.js';
import { verifyCommand } from '../src/cli/commands/verify.js';
import { CONFIG_HELP } from '../src/cli/instance-options.js';
import { resolveConfig, saveLastUsed, type ResolveConfigInput } from '../src/config/index.js';
import { ScanCopyError } from '../src/core/errors.js';
import { expandHome } from '../src/core/paths.js';
import { redactText } from '../src/core/redact.js';
import { RetryPolicy } from '../src/core/retry.js';
import { API_TIMEOUT_DEFAULTS, STAGE_LIMIT_DEFAULTS } from '../src/platform/api.js';
import { dbUrlWithPassword } from '../src/platform/instance.js';
import { COPY_DEFAULTS } from '../src/workflows/copy.js';
import { DOWNLOAD_DEFAULTS } from '../src/workflows/download.js';
import { writePlantedInput } from './helpers/secret-audit.js';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'scancopy-config-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const writeConfig = (value: unknown, name = 'scancopy.config.json') => writeFile(join(cwd, name), typeof value === 'string' ? value : JSON.stringify(value));
const resolveIn = (input: Partial<ResolveConfigInput> = {}) => resolveConfig({ cwd, env: {}, ...input });

function configError(fn: () => unknown): ScanCopyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScanCopyError);
    expect((err as ScanCopyError).code).toBe('CONFIG_INVALID');
    return err as ScanCopyError;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('defaults', () => {
  it('an instance name alone gives the platform defaults', () => {
    const config = resolveIn({ flags: { source: 'albt' } });
    expect(config.source).toEqual({ name: 'albt', apiUrl: 'https://albt.rebotics.net', dbUrl: 'postgres://proxyuser@albt-maint.rebotics.net:5432/albt' });
    expect(config.target).toBeUndefined();
  });

  it('stage limits, batch size, timeouts (ms) and retry settings have the documented defaults', () => {
    const config = resolveIn();
    expect(config.limits).toEqual({ download: 20, upload: 20, create: 10 });
    expect(config.batchSize).toBe(10);
    expect(config.resultsDir).toBe(join(cwd, 'testResults'));
    expect(config.timeouts).toEqual({ login: 30_000, meta: 60_000, content: 120_000, upload: 120_000, create: 60_000, batch: 1_800_000, commitHorizon: 90_000 });
    expect(config.retry).toEqual({ retries: 3, baseMs: 1000, capMs: 60_000, retryAfterCapMs: 60_000, budgetRatio: 0.2, budgetWindowMs: 60_000 });
    expect(config.configPath).toBeUndefined();
  });

  it('every layer defaults to the one table: the copy, the client, the retry policy, the download and the commands\' help say what a config resolves to', () => {
    const config = resolveIn();
    const { batch, commitHorizon, ...callTimeouts } = config.timeouts;
    expect(COPY_DEFAULTS).toMatchObject({ limits: config.limits, batchSize: config.batchSize, batchDeadlineMs: batch, commitHorizonMs: commitHorizon });
    expect(join(cwd, COPY_DEFAULTS.resultsDir)).toBe(config.resultsDir);
    expect(STAGE_LIMIT_DEFAULTS).toEqual(config.limits);
    expect(API_TIMEOUT_DEFAULTS).toEqual(callTimeouts);
    const { budgetRatio: _ratio, budgetWindowMs: _window, ...perCall } = config.retry;
    expect(new RetryPolicy()).toMatchObject(perCall);
    expect(DOWNLOAD_DEFAULTS).toMatchObject({ batchSize: config.batchSize, workers: config.limits.download });
    const help = (command: Command): string => command.helpInformation().replace(/\s+/g, ' ');
    expect(help(copyCommand())).toContain(`scans per batch (default ${config.batchSize})`);
    expect(help(copyCommand())).toContain(`files downloading at once (default ${config.limits.download})`);
    expect(help(copyCommand())).toContain(`files uploading at once (default ${config.limits.upload})`);
    expect(help(copyCommand())).toContain(`scans being created at once (default ${config.limits.create})`);
    expect(help(copyCommand())).toContain(`the create timeout + ${(commitHorizon - callTimeouts.create) / 1000}s`);
    expect(help(verifyCommand())).toContain(`files fetched at once (default: ${config.limits.download})`);
  });

  it('the commit horizon is the create timeout plus 30 s unless timeouts.commitHorizon sets it', async () => {
    await writeConfig({ timeouts: { create: 10 } });
    expect(resolveIn().timeouts).toMatchObject({ create: 10_000, commitHorizon: 40_000 });
    await writeConfig({ timeouts: { create: 10, commitHorizon: 5 } });
    expect(resolveIn().timeouts).toMatchObject({ create: 10_000, commitHorizon: 5_000 });
  });

  it('the example in the help is a valid config file with the default values', async () => {
    const example = CONFIG_HELP.slice(CONFIG_HELP.indexOf('{'), CONFIG_HELP.lastIndexOf('}') + 1);
    await writeConfig(example);
    const config = resolveIn({ flags: { source: 'stg', target: 'albt' } });
    expect(config.source?.dbUrl).toBe('postgres://reader@db-host:5432/stg');
    expect(config.target?.dbUrl).toBe('postgres://proxyuser@albt-maint.rebotics.net:5432/albt');
    expect(config.retry).toEqual({ retries: 3, baseMs: 1000, capMs: 60_000, retryAfterCapMs: 60_000, budgetRatio: 0.2, budgetWindowMs: 60_000 });
    expect(config.limits).toEqual({ download: 20, upload: 20, create: 10 });
  });

  it('without ./scancopy.config.json the user config file is read: $XDG_CONFIG_HOME/scancopy/config.json, else ~/.config/scancopy/config.json', async () => {
    const xdg = join(cwd, 'xdg');
    await mkdir(join(xdg, 'scancopy'), { recursive: true });
    await writeFile(join(xdg, 'scancopy', 'config.json'), JSON.stringify({ batchSize: 7 }));
    expect(resolveIn({ env: { XDG_CONFIG_HOME: xdg } })).toMatchObject({ batchSize: 7, configPath: join(xdg, 'scancopy', 'config.json') });
    const home = join(cwd, 'home');
    await mkdir(join(home, '.config', 'scancopy'), { recursive: true });
    await writeFile(join(home, '.config', 'scancopy', 'config.json'), JSON.stringify({ batchSize: 8 }));
    expect(resolveIn({ env: { HOME: home } }).batchSize).toBe(8);
    // ./scancopy.config.json, where scancopy always looked, still comes first.
    await writeConfig({ batchSize: 9 });
    expect(resolveIn({ env: { XDG_CONFIG_HOME: xdg } })).toMatchObject({ batchSize: 9, configPath: join(cwd, 'scancopy.config.json') });
  });

  it('is frozen', () => {
    const config = resolveIn({ flags: { source: 'albt' } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.source)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
  });
});

describe('precedence: flags > env > .env > file > defaults', () => {
  beforeEach(async () => {
    await writeConfig({
      instances: { stg: { api: 'http://file-api:1', dbHost: 'file-db', dbPort: 6543, dbUser: 'reader', dbName: 'stgdb' } },
      resultsDir: 'from-file',
      batchSize: 5,
      limits: { download: 7 },
      timeouts: { meta: 2.5 },
      retry: { retries: 5, base: 0.5 },
    });
  });

  it('the file overrides defaults, key by key', () => {
    const config = resolveIn({ flags: { source: 'stg' } });
    expect(config.source).toMatchObject({ apiUrl: 'http://file-api:1', dbUrl: 'postgres://reader@file-db:6543/stgdb' });
    expect(config.resultsDir).toBe(join(cwd, 'from-file'));
    expect(config.batchSize).toBe(5);
    expect(config.limits).toEqual({ download: 7, upload: 20, create: 10 });
    expect(config.timeouts.meta).toBe(2500);
    expect(config.retry).toMatchObject({ retries: 5, baseMs: 500, capMs: 60_000 });
    expect(config.configPath).toBe(join(cwd, 'scancopy.config.json'));
  });

  it('.env overrides the file, the environment overrides .env, flags override both', async () => {
    await writeFile(join(cwd, '.env'), 'SCANCOPY_SOURCE=stg\nSCANCOPY_SOURCE_API=http://dotenv-api:2\nSCANCOPY_SOURCE_DB=postgres://d@dotenv-db/x\n');
    expect(resolveIn().source).toMatchObject({ name: 'stg', apiUrl: 'http://dotenv-api:2', dbUrl: 'postgres://d@dotenv-db/x' });
    const env = { SCANCOPY_SOURCE_API: 'http://env-api:3' };
    expect(resolveIn({ env }).source).toMatchObject({ apiUrl: 'http://env-api:3', dbUrl: 'postgres://d@dotenv-db/x' });
    const flags = { sourceApi: 'http://flag-api:4/', sourceDb: 'postgres://f@flag-db:1/y', resultsDir: 'out', batchSize: 3, limits: { create: 2 } };
    const config = resolveIn({ env, flags });
    expect(config.source).toMatchObject({ name: 'stg', apiUrl: 'http://flag-api:4', dbUrl: 'postgres://f@flag-db:1/y' });
    expect(config.resultsDir).toBe(join(cwd, 'out'));
    expect(config.batchSize).toBe(3);
    expect(config.limits).toEqual({ download: 7, upload: 20, create: 2 });
  });

  it('secrets come from the environment or .env, and are redacted from then on', async () => {
    await writeFile(join(cwd, '.env'), 'SCANCOPY_TARGET_PASSWORD=dotenv-secret-91\nSCANCOPY_TARGET_USERNAME=alice\nSCANCOPY_TARGET_DB_PASSWORD="db secret 77"\n');
    const config = resolveIn({ flags: { target: 'stg' }, env: { SCANCOPY_TARGET_USERNAME: 'bob' } });
    expect(config.target).toMatchObject({ username: 'bob', password: 'dotenv-secret-91', dbPassword: 'db secret 77' });
    expect(redactText('login with dotenv-secret-91 and db secret 77')).toBe('login with *** and ***');
    expect(dbUrlWithPassword(config.target as { dbUrl: string; dbPassword: string })).toBe('postgres://reader:db%20secret%2077@file-db:6543/stgdb');
  });

  it('an empty API password counts as missing; an empty DB password means none', () => {
    const config = resolveIn({ flags: { source: 'albt' }, env: { SCANCOPY_SOURCE_USERNAME: '', SCANCOPY_SOURCE_PASSWORD: '', SCANCOPY_SOURCE_DB_PASSWORD: '' } });
    expect(config.source).not.toHaveProperty('password');
    expect(config.source).not.toHaveProperty('username');
    expect(config.source?.dbPassword).toBe('');
    expect(dbUrlWithPassword(config.source as { dbUrl: string; dbPassword: string })).toBe('postgres://proxyuser@albt-maint.rebotics.net:5432/albt');
  });

  // Issue 17 changed this: a password on the command line is visible in `ps` for the whole run.
  it('a DB URL flag carrying the password is refused, naming where the password goes', () => {
    const err = configError(() => resolveIn({ flags: { sourceApi: 'http://127.0.0.1:9', sourceDb: 'postgres://u:flag-pass-55@127.0.0.1:5/db' } }));
    expect(err.message).toMatch(/^--source-db must not hold the DB password/);
    expect(err.hint).toMatch(/SCANCOPY_SOURCE_DB_PASSWORD.*\.env.*dbPasswordCommand.*prompt/);
    expect(`${err.message} ${err.hint}`).not.toContain('flag-pass-55');
    expect(redactText('flag-pass-55')).toBe('***');
  });

  it('the ledger: the user state folder by default, else the file, SCANCOPY_LEDGER, --ledger; never a password in its URL', async () => {
    expect(resolveIn({ env: { XDG_STATE_HOME: '/var/state' } }).ledger).toEqual({ location: '/var/state/scancopy' });
    expect(resolveIn().ledger.location).toBe(join(homedir(), '.local', 'state', 'scancopy'));
    await writeConfig({ ledger: 'ledger-here', ledgerPasswordCommand: ['pass', 'show', 'ledger'] });
    expect(resolveIn().ledger).toEqual({ location: join(cwd, 'ledger-here'), passwordCommand: ['pass', 'show', 'ledger'] });
    expect(resolveIn({ env: { SCANCOPY_LEDGER: 'postgres://team@db:5432/ledger', SCANCOPY_LEDGER_DB_PASSWORD: 'led-pw-1' } }).ledger).toMatchObject({
      location: 'postgres://team@db:5432/ledger', password: 'led-pw-1',
    });
    expect(resolveIn({ env: { SCANCOPY_LEDGER: '/elsewhere' }, flags: { ledger: '~/mine' } }).ledger.location).toBe(join(homedir(), 'mine'));
    const err = configError(() => resolveIn({ flags: { ledger: 'postgres://team:ledger-pass-77@db/ledger' } }));
    expect(err.message).toBe("--ledger must not hold the ledger's DB password");
    expect(err.hint).toContain('SCANCOPY_LEDGER_DB_PASSWORD');
    expect(`${err.message} ${err.hint}`).not.toContain('ledger-pass-77');
    expect(configError(() => resolveIn({ flags: { ledger: 'http://nope' } })).message).toContain('ledger = "http://nope": expected a folder or a postgres:// URL');
  });

  it('a results folder starting with ~ is under the home folder', () => {
    expect(resolveIn({ flags: { resultsDir: '~/runs' } }).resultsDir).toBe(join(homedir(), 'runs'));
    expect(expandHome('~', '/h')).toBe('/h');
    expect(expandHome('~/a/b', '/h')).toBe('/h/a/b');
    expect(expandHome('a/~/b', '/h')).toBe('a/~/b');
  });

  it('an explicit --config path wins over ./scancopy.config.json', async () => {
    await writeConfig({ batchSize: 42 }, 'other.json');
    expect(resolveIn({ flags: { config: 'other.json' } }).batchSize).toBe(42);
    expect(resolveIn({ configPath: join(cwd, 'other.json') }).batchSize).toBe(42);
  });
});

describe('validation names the key and the value', () => {
  it.each([
    [{ limits: { download: -3 } }, /limits\.download = -3: /],
    [{ batchSize: 'ten' }, /batchSize = "ten": /],
    [{ timeouts: { meta: 0 } }, /timeouts\.meta = 0: /],
    [{ retry: { budget: 2 } }, /retry\.budget = 2: /],
    [{ colour: 'red' }, /colour = "red": unknown key/],
    [{ limits: { downlaod: 3 } }, /limits\.downlaod = 3: unknown key/],
    [{ instances: { stg: { api: 'ftp://x' } } }, /instances\.stg\.api = "ftp:\/\/x": expected an http/],
    [{ instances: { 'bad name!': {} } }, /instances\.bad name!/],
    [{ instances: { stg: { dbPort: 70000 } } }, /instances\.stg\.dbPort = 70000/],
    [{ lastUsed: { scanIds: [1, -2] } }, /lastUsed\.scanIds\.1 = -2/],
  ])('%j', async (file, message) => {
    await writeConfig(file);
    const err = configError(() => resolveIn());
    expect(err.message).toMatch(message);
    expect(err.message).toContain('scancopy.config.json');
  });

  it('a password in a DB URL of the file is refused, and not echoed', async () => {
    await writePlantedInput(join(cwd, 'scancopy.config.json'), JSON.stringify({ instances: { stg: { db: 'postgres://u:hunter2-file@h/db' } } }));
    const err = configError(() => resolveIn());
    expect(err.message).toMatch(/instances\.stg\.db = .*must not hold a password/);
    expect(err.message).not.toContain('hunter2-file');
  });

  it('a password key in the file is refused and its value never echoed', async () => {
    await writeConfig({ instances: { stg: { password: 'hunter2XYZ' } } });
    const secret = configError(() => resolveIn());
    expect(secret.message).toMatch(/instances\.stg\.password = \(value hidden\): unknown key \(secrets never go in the config file/);
    expect(secret.message).not.toContain('hunter2XYZ');
  });

  it('a file that is not JSON, and a --config that does not exist', async () => {
    await writeConfig('{ "batchSize": 3,');
    expect(configError(() => resolveIn()).message).toMatch(/is not valid JSON/);
    expect(configError(() => resolveIn({ flags: { config: 'missing.json' } })).message).toMatch(/missing\.json not found/);
  });

  it('bad flags and env values name where they came from', () => {
    expect(configError(() => resolveIn({ flags: { sourceApi: 'not a url', sourceDb: 'postgres://h/db' } })).message).toMatch(/^--source-api: source API URL = "not a url"/);
    expect(configError(() => resolveIn({ env: { SCANCOPY_TARGET: 'no/slashes' } })).message).toMatch(/^SCANCOPY_TARGET: target = "no\/slashes"/);
    expect(configError(() => resolveIn({ flags: { batchSize: 0 } })).message).toMatch(/batchSize = 0/);
    expect(configError(() => resolveIn({ flags: { limits: { upload: 1.5 } } })).message).toMatch(/limits: upload = 1\.5/);
  });

  it('an API URL without a DB (or the reverse) and no name is incomplete', () => {
    expect(configError(() => resolveIn({ flags: { sourceApi: 'http://127.0.0.1:1' } })).message).toMatch(/--source-db is missing/);
  });
});

describe('saveLastUsed', () => {
  it('merges lastUsed into the file, keeping everything else, atomically', async () => {
    await writeConfig({ instances: { stg: { api: 'http://h:1' } }, batchSize: 4, lastUsed: { source: 'old', targetStore: 3 } });
    const path = await saveLastUsed({ cwd }, { source: 'stg', target: 'prod', scanIds: [3, 1, 2], resultsDir: 'r' });
    expect(path).toBe(join(cwd, 'scancopy.config.json'));
    const written = JSON.parse(await readFile(path, 'utf8'));
    expect(written).toEqual({ instances: { stg: { api: 'http://h:1' } }, batchSize: 4, lastUsed: { source: 'stg', target: 'prod', targetStore: 3, scanIds: [3, 1, 2], resultsDir: 'r' } });
    expect((await readdir(cwd)).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(resolveIn().lastUsed).toMatchObject({ source: 'stg', targetStore: 3 });
  });

  it('writes the user config file (creating its folder) when no config file was read and there is none here', async () => {
    const xdg = join(cwd, 'xdg');
    const path = await saveLastUsed({ cwd, env: { XDG_CONFIG_HOME: xdg } }, { targetStore: 5 });
    expect(path).toBe(join(xdg, 'scancopy', 'config.json'));
    expect(resolveIn({ env: { XDG_CONFIG_HOME: xdg } }).lastUsed).toEqual({ targetStore: 5 });
    expect(await readdir(cwd)).toEqual(['xdg']);
  });

  it('creates the file when there is none', async () => {
    await saveLastUsed({ cwd, configPath: 'sub.json' }, { targetStore: 9 });
    expect(JSON.parse(await readFile(join(cwd, 'sub.json'), 'utf8'))).toEqual({ lastUsed: { targetStore: 9 } });
  });

  it('refuses anything but the known fields, so no secret can ride along', async () => {
    await expect(saveLastUsed({ cwd }, { password: 'x' } as never)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/lastUsed: password = .*unknown key/) });
  });

  it('refuses to write a registered secret even in an allowed field', async () => {
    resolveIn({ env: { SCANCOPY_SOURCE: 'albt', SCANCOPY_SOURCE_PASSWORD: 'registered-pw-3' } });
    await expect(saveLastUsed({ cwd }, { resultsDir: 'registered-pw-3' })).rejects.toThrow(/would hold a secret/);
  });

  it('leaves a file that is not JSON alone', async () => {
    await writeConfig('not json');
    await expect(saveLastUsed({ cwd }, { targetStore: 1 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await readFile(join(cwd, 'scancopy.config.json'), 'utf8')).toBe('not json');
  });
});
