/**
 * Credentials never ride in a URL: an API URL with a user name or password, or a DB URL with
 * a password, is refused from flags, the environment, `.env` and the config file, with one
 * message that says where secrets go and never echoes the secret. A password command
 * (`passwordCommand` / `dbPasswordCommand`) is run without a shell; its first line is the
 * secret, and its failures are clear without showing its output.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig, runPasswordCommand, saveInstance, secretsFromCommands, type ResolveConfigInput } from '../src/config/index.js';
import { ScanCopyError } from '../src/core/errors.js';
import { redactText } from '../src/core/redact.js';
import { PlatformApi } from '../src/platform/api.js';
import { writePlantedInput } from './helpers/secret-audit.js';

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'scancopy-secrets-'));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const resolveIn = (input: Partial<ResolveConfigInput> = {}) => resolveConfig({ cwd, env: {}, ...input });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScanCopyError);
    expect((err as ScanCopyError).code).toBe('CONFIG_INVALID');
    return `${(err as ScanCopyError).message} ${(err as ScanCopyError).hint ?? ''}`;
  }
  throw new Error('expected CONFIG_INVALID');
}

const DB = 'postgres://reader@127.0.0.1:5/db';

describe('a credential in an API URL is refused wherever it comes from', () => {
  it.each([
    ['--source-api', { flags: { sourceApi: 'http://alice:url-pw-1a2b@127.0.0.1:9', sourceDb: DB } }],
    ['SCANCOPY_SOURCE_API', { env: { SCANCOPY_SOURCE_API: 'https://alice:url-pw-1a2b@stg.example.net', SCANCOPY_SOURCE_DB: DB } }],
    ['user name only', { flags: { sourceApi: 'http://url-pw-1a2b@127.0.0.1:9', sourceDb: DB } }],
  ])('%s', (_, input) => {
    const text = refusal(() => resolveIn(input));
    expect(text).toMatch(/must not hold a user name or password: secrets go in the SCANCOPY_<SOURCE\|TARGET>_USERNAME .*\.env.*prompt.*passwordCommand/);
    expect(text).not.toContain('url-pw-1a2b');
  });

  it('from ./.env', async () => {
    await writePlantedInput(join(cwd, '.env'), `SCANCOPY_TARGET_API=http://bob:dotenv-url-pw@127.0.0.1:9\nSCANCOPY_TARGET_DB=${DB}\n`);
    const text = refusal(() => resolveIn());
    expect(text).toMatch(/^SCANCOPY_TARGET_API: target API URL = .*must not hold a user name or password/);
    expect(text).not.toContain('dotenv-url-pw');
  });

  it('from the config file, and saving one is refused too', async () => {
    await writePlantedInput(join(cwd, 'scancopy.config.json'), JSON.stringify({ instances: { stg: { api: 'https://u:file-url-pw@stg.example.net' } } }));
    const text = refusal(() => resolveIn({ flags: { source: 'stg' } }));
    expect(text).toMatch(/instances\.stg\.api = .*must not hold a user name or password/);
    expect(text).not.toContain('file-url-pw');
    await rm(join(cwd, 'scancopy.config.json'));
    await expect(saveInstance({ cwd }, 'stg', { api: 'https://u:save-url-pw@stg.example.net' })).rejects.toThrow(/must not hold a user name or password/);
  });

  it('the API client refuses one too (the SDK path), without echoing it', () => {
    const err = (() => {
      try {
        new PlatformApi({ baseUrl: 'http://u:sdk-url-pw@127.0.0.1:9', username: 'u', password: 'p' });
      } catch (e) {
        return e as ScanCopyError;
      }
      throw new Error('expected a refusal');
    })();
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).not.toContain('sdk-url-pw');
  });

  it('the user info of any URL is redacted from text', () => {
    expect(redactText('see https://alice:s3cr3t-x@host/path and postgres://reader@db/x')).toBe('see https://***@host/path and postgres://reader@db/x');
  });
});

describe('a DB password inside a DB URL is refused', () => {
  it.each([
    ['--target-db', { flags: { targetApi: 'http://127.0.0.1:9', targetDb: 'postgres://u:db-url-pw-9@127.0.0.1:5/db' } }, /^--target-db must not hold the DB password \(a command line is visible/],
    ['SCANCOPY_TARGET_DB', { env: { SCANCOPY_TARGET_API: 'http://127.0.0.1:9', SCANCOPY_TARGET_DB: 'postgres://u:db-url-pw-9@127.0.0.1:5/db' } }, /^SCANCOPY_TARGET_DB must not hold the DB password/],
  ])('%s', (_, input, message) => {
    const text = refusal(() => resolveIn(input));
    expect(text).toMatch(message);
    expect(text).toMatch(/SCANCOPY_TARGET_DB_PASSWORD \(environment or \.\/\.env\), the instance's dbPasswordCommand in the config, or type it at the prompt/);
    expect(text).not.toContain('db-url-pw-9');
  });
});

describe('password commands', () => {
  const node = process.execPath;

  it('the first line of stdout is the secret, and it is registered for redaction', async () => {
    const secret = await runPasswordCommand([node, '-e', 'console.log("cmd-secret-71e2"); console.log("second line")'], 'test');
    expect(secret).toBe('cmd-secret-71e2');
    expect(redactText('got cmd-secret-71e2')).toBe('got ***');
  });

  it('runs without a shell: arguments reach the program as written', async () => {
    const secret = await runPasswordCommand([node, '-e', 'console.log(process.argv[1])', '$HOME;`id`'], 'test');
    expect(secret).toBe('$HOME;`id`');
  });

  it.each([
    ['a non-zero exit', ['-e', 'console.log("leaked-out-3f"); process.exit(3)'], /test: the password command `.*node.*` exited with code 3$/],
    ['no output', ['-e', ''], /printed nothing on its first line$/],
  ])('%s is one clear error that never shows the output', async (_, args, message) => {
    const err = await runPasswordCommand([node, ...args], 'test').catch((e: unknown) => e as ScanCopyError);
    expect(err).toBeInstanceOf(ScanCopyError);
    expect((err as ScanCopyError).code).toBe('CONFIG_INVALID');
    expect((err as ScanCopyError).message).toMatch(message);
    expect((err as ScanCopyError).message).not.toContain('leaked-out-3f');
  });

  it('a program that does not exist says so', async () => {
    await expect(runPasswordCommand(['no-such-program-scancopy'], 'source instance stg passwordCommand')).rejects.toThrow(
      /source instance stg passwordCommand: the password command `no-such-program-scancopy` was not found/,
    );
  });

  it('an instance of the config file gets its passwords from its commands, unless the environment has them', async () => {
    await writeFile(
      join(cwd, 'scancopy.config.json'),
      JSON.stringify({ instances: { stg: { api: 'http://127.0.0.1:9', db: DB, passwordCommand: [node, '-e', 'console.log("api-from-cmd")'], dbPasswordCommand: [node, '-e', 'console.log("db-from-cmd")'] } } }),
    );
    const fromCommands = resolveIn({ flags: { source: 'stg' } }).source;
    expect(await secretsFromCommands(fromCommands as NonNullable<typeof fromCommands>, 'source')).toEqual({ password: 'api-from-cmd', dbPassword: 'db-from-cmd' });
    const fromEnv = resolveIn({ flags: { source: 'stg' }, env: { SCANCOPY_SOURCE_PASSWORD: 'env-pw', SCANCOPY_SOURCE_DB_PASSWORD: '' } }).source;
    expect(await secretsFromCommands(fromEnv as NonNullable<typeof fromEnv>, 'source')).toEqual({});
  });

  it('a malformed command in the config names the key and shows the value (a command is no secret)', async () => {
    await writeFile(join(cwd, 'scancopy.config.json'), JSON.stringify({ instances: { stg: { passwordCommand: 'pass show stg' } } }));
    expect(refusal(() => resolveIn({ flags: { source: 'stg' } }))).toMatch(/instances\.stg\.passwordCommand = "pass show stg": /);
  });
});
