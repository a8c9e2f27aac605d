/**
 * One resolved, frozen config from flags, environment (with `.env`), the config file and
 * defaults, in that order of precedence. Secrets only ever come from the environment (or a
 * password command, run by the CLI); they are registered for redaction here. A URL that
 * carries a credential is refused wherever it comes from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ScanCopyError } from '../core/errors.js';
import { expandHome } from '../core/paths.js';
import { registerSecret } from '../core/redact.js';
import type { RetryOptions } from '../core/retry.js';
import type { InstanceAddress } from '../platform/instance.js';
import {
  apiUrl,
  CONFIG_FILE_NAME,
  configFileSchema,
  dbTarget,
  DEFAULTS,
  instanceDefaults,
  instanceName,
  ledgerTarget,
  limitsSchema,
  retrySchema,
  timeoutsSchema,
  validate,
  type ConfigFile,
  type InstanceEntry,
  type LastUsed,
  type StageLimits,
  type TimeoutName,
  userConfigFile,
} from './schema.js';

export type Role = 'source' | 'target';
export const ROLES: readonly Role[] = ['source', 'target'];

/** An instance's address and secrets, as opening it (platform/instance) takes them. */
export interface ResolvedInstance extends InstanceAddress {
  /** From the config entry: run (by the CLI) when the environment gives no password. */
  passwordCommand?: readonly string[];
  dbPasswordCommand?: readonly string[];
}

export interface ResolvedConfig {
  /** The config file read, if any. */
  configPath?: string;
  source?: ResolvedInstance;
  target?: ResolvedInstance;
  /** Instances named in the config file. */
  instances: Readonly<Record<string, InstanceEntry>>;
  /** Absolute. */
  resultsDir: string;
  batchSize: number;
  limits: StageLimits;
  /** Milliseconds. */
  timeouts: Record<TimeoutName, number>;
  retry: Required<Pick<RetryOptions, 'retries' | 'baseMs' | 'capMs' | 'retryAfterCapMs' | 'budgetRatio' | 'budgetWindowMs'>>;
  lastUsed: LastUsed;
  ledger: ResolvedLedger;
}

/** Where copies are recorded across run folders (workflows/copy/ledger.ts). */
export interface ResolvedLedger {
  /** An absolute folder, or a postgres:// URL without its password. */
  location: string;
  password?: string;
  passwordCommand?: readonly string[];
}

/** Command-line values; `undefined` means not given. Durations in seconds, as in the file. */
export interface ConfigFlags {
  config?: string;
  source?: string;
  sourceApi?: string;
  sourceDb?: string;
  target?: string;
  targetApi?: string;
  targetDb?: string;
  resultsDir?: string;
  batchSize?: number;
  limits?: Partial<StageLimits>;
  timeouts?: Partial<Record<TimeoutName, number>>;
  ledger?: string;
}

export interface ResolveConfigInput {
  flags?: ConfigFlags;
  /** The process environment (the CLI passes process.env); `.env` in `cwd` fills what it lacks. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Else `flags.config`, else ./scancopy.config.json when it exists, else the user's config file when it exists. */
  configPath?: string;
  /** Roles run without their database (copy --no-target-db): no DB URL is needed, none is used. */
  withoutDb?: readonly Role[];
}

/** Env var names for a role: SCANCOPY_SOURCE_PASSWORD and so on. */
export function envNames(role: Role): { name: string; api: string; db: string; username: string; password: string; dbPassword: string } {
  const p = `SCANCOPY_${role.toUpperCase()}`;
  return { name: p, api: `${p}_API`, db: `${p}_DB`, username: `${p}_USERNAME`, password: `${p}_PASSWORD`, dbPassword: `${p}_DB_PASSWORD` };
}

export function resolveConfig(input: ResolveConfigInput): ResolvedConfig {
  const flags = input.flags ?? {};
  const env = { ...readDotEnv(input.cwd), ...dropUndefined(input.env ?? {}) };
  const configPath = input.configPath ?? flags.config;
  const { file, path } = readConfigFile(input.cwd, configPath, input.env ?? {});

  const limits = validate(limitsSchema, { ...DEFAULTS.limits, ...file.limits, ...dropUndefined(flags.limits ?? {}) }, 'limits');
  const timeoutSeconds = validate(timeoutsSchema, { ...DEFAULTS.timeouts, ...file.timeouts, ...dropUndefined(flags.timeouts ?? {}) }, 'timeouts');
  const retry = validate(retrySchema, { ...DEFAULTS.retry, ...file.retry }, 'retry');
  const batchSize = flags.batchSize ?? file.batchSize ?? DEFAULTS.batchSize;
  validate(configFileSchema.shape.batchSize, batchSize, '--batch-size', () => 'batchSize');
  const resultsDir = flags.resultsDir ?? file.resultsDir ?? DEFAULTS.resultsDir;

  const instances = file.instances ?? {};
  const resolved: ResolvedConfig = {
    configPath: path,
    instances,
    resultsDir: resolve(input.cwd, expandHome(resultsDir)),
    batchSize,
    limits,
    timeouts: Object.fromEntries(
      Object.entries({ ...timeoutSeconds, commitHorizon: timeoutSeconds.commitHorizon ?? timeoutSeconds.create + DEFAULTS.commitMargin }).map(([k, s]) => [k, Math.round(s * 1000)]),
    ) as Record<TimeoutName, number>,
    retry: {
      retries: retry.retries,
      baseMs: retry.base * 1000,
      capMs: retry.cap * 1000,
      retryAfterCapMs: retry.retryAfterCap * 1000,
      budgetRatio: retry.budget,
      budgetWindowMs: retry.budgetWindow * 1000,
    },
    lastUsed: file.lastUsed ?? {},
    ledger: resolveLedger(flags, env, file, input.cwd),
  };
  for (const role of ROLES) {
    const instance = resolveInstance(role, flags, env, instances, input.withoutDb?.includes(role) === true);
    if (instance) resolved[role] = instance;
  }
  return deepFreeze(resolved);
}

function resolveInstance(role: Role, flags: ConfigFlags, env: Record<string, string>, instances: Record<string, InstanceEntry>, noDb: boolean): ResolvedInstance | undefined {
  const names = envNames(role);
  const flagName = flags[role];
  const flagApi = flags[`${role}Api`];
  const flagDb = flags[`${role}Db`];
  const given = (flag: string | undefined, flagLabel: string, envName: string) =>
    flag !== undefined ? { value: flag, where: flagLabel } : env[envName] !== undefined && env[envName] !== '' ? { value: env[envName] as string, where: envName } : undefined;

  const nameSource = given(flagName, `--${role}`, names.name);
  const api = given(flagApi, `--${role}-api`, names.api);
  const db = noDb ? undefined : given(flagDb, `--${role}-db`, names.db);
  if (!nameSource && !api && !db) return undefined;
  const name = nameSource ? validate(instanceName, nameSource.value, nameSource.where, () => role) : role;
  const entry = instances[name] ?? {};
  if (!nameSource && !instances[name] && !(api && (db || noDb))) {
    const missing = api ? `--${role}-db` : `--${role}-api`;
    throw new ScanCopyError('CONFIG_INVALID', `${role}: ${missing} is missing (or name the instance with --${role} NAME)`, {
      hint: `Give both --${role}-api and --${role}-db, or --${role} NAME for an instance of the config file or the defaults.`,
    });
  }
  const defaults = instanceDefaults(name);
  const apiUrlValue = api ? validate(apiUrl, api.value, api.where, () => `${role} API URL`) : (entry.api ?? defaults.api);

  let dbUrl: string;
  if (noDb) dbUrl = '';
  else if (db) {
    refuseDbPassword(role, db.value, db.where);
    dbUrl = validate(dbTarget, db.value, db.where, () => `${role} DB URL`);
  } else {
    dbUrl = entry.db ?? `postgres://${defaults.dbUser}@${defaults.dbHost}:${defaults.dbPort}/${defaults.dbName}`;
    dbUrl = adjustDbUrl(dbUrl, entry);
  }
  // An empty API username or password is as good as none; an empty DB password means "no password".
  const secret = (key: string): string | undefined => (env[key] === '' ? undefined : env[key]);
  const password = secret(names.password);
  const dbPassword = env[names.dbPassword];
  registerSecret(password);
  registerSecret(dbPassword);
  return {
    name,
    apiUrl: apiUrlValue.replace(/\/+$/, ''),
    dbUrl,
    ...(noDb ? { noDb: true } : {}),
    ...(secret(names.username) !== undefined ? { username: secret(names.username) } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(dbPassword !== undefined ? { dbPassword } : {}),
    ...(entry.passwordCommand ? { passwordCommand: entry.passwordCommand } : {}),
    ...(entry.dbPasswordCommand ? { dbPasswordCommand: entry.dbPasswordCommand } : {}),
  };
}

export const LEDGER_ENV = { location: 'SCANCOPY_LEDGER', password: 'SCANCOPY_LEDGER_DB_PASSWORD' } as const;

/** --ledger, else SCANCOPY_LEDGER, else the file's `ledger`, else the user's state folder (XDG_STATE_HOME, or ~/.local/state). */
function resolveLedger(flags: ConfigFlags, env: Record<string, string>, file: ConfigFile, cwd: string): ResolvedLedger {
  const given =
    flags.ledger !== undefined ? { value: flags.ledger, where: '--ledger' }
    : env[LEDGER_ENV.location] ? { value: env[LEDGER_ENV.location] as string, where: LEDGER_ENV.location }
    : file.ledger !== undefined ? { value: file.ledger, where: 'ledger' }
    : undefined;
  if (given && isPostgresUrlText(given.value) && URL.canParse(given.value) && new URL(given.value).password !== '') {
    registerSecret(decodeURIComponent(new URL(given.value).password));
    throw new ScanCopyError('CONFIG_INVALID', `${given.where} must not hold the ledger's DB password`, {
      hint: `Give the URL without it (postgres://user@host:port/db) and put the password in ${LEDGER_ENV.password} (environment or ./.env) or ledgerPasswordCommand in the config.`,
    });
  }
  const value = given ? validate(ledgerTarget, given.value, given.where, () => 'ledger') : join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'scancopy');
  const password = env[LEDGER_ENV.password];
  registerSecret(password);
  return {
    location: isPostgresUrlText(value) ? value : resolve(cwd, expandHome(value)),
    ...(password !== undefined ? { password } : {}),
    ...(file.ledgerPasswordCommand ? { passwordCommand: file.ledgerPasswordCommand } : {}),
  };
}

function isPostgresUrlText(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** Applies dbHost/dbPort/dbUser/dbName of a config entry to a postgres:// URL. */
function adjustDbUrl(url: string, entry: InstanceEntry): string {
  if (!/^postgres(ql)?:\/\//i.test(url)) return url;
  const parsed = new URL(url);
  if (entry.dbHost) parsed.hostname = entry.dbHost;
  if (entry.dbPort) parsed.port = String(entry.dbPort);
  if (entry.dbUser) parsed.username = encodeURIComponent(entry.dbUser);
  if (entry.dbName) parsed.pathname = `/${encodeURIComponent(entry.dbName)}`;
  return parsed.toString();
}

/**
 * A password inside a DB URL given as a flag is readable by anyone who lists processes for
 * the whole run, and one in an env var ends up in shell history: refuse both, naming where it goes.
 */
function refuseDbPassword(role: Role, url: string, where: string): void {
  if (!/^postgres(ql)?:\/\//i.test(url) || !URL.canParse(url) || new URL(url).password === '') return;
  registerSecret(decodeURIComponent(new URL(url).password));
  const names = envNames(role);
  const why = where.startsWith('--') ? ' (a command line is visible to anyone listing processes)' : '';
  throw new ScanCopyError('CONFIG_INVALID', `${where} must not hold the DB password${why}`, {
    hint: `Give the URL without it (postgres://user@host:port/db) and put the password in ${names.dbPassword} (environment or ./.env), the instance's dbPasswordCommand in the config, or type it at the prompt.`,
  });
}

/**
 * Reads the config file: an explicit path must exist; else ./scancopy.config.json, else the
 * user's (XDG) config file, whichever exists first; none is fine.
 */
export function readConfigFile(cwd: string, configPath?: string, env: Readonly<Record<string, string | undefined>> = {}): { file: ConfigFile; path?: string } {
  const path = configPath !== undefined ? resolve(cwd, configPath) : [resolve(cwd, CONFIG_FILE_NAME), userConfigFile(env, homedir())].find((p) => existsSync(p));
  if (path === undefined) return { file: {} };
  if (!existsSync(path)) throw new ScanCopyError('CONFIG_INVALID', `config file ${path} not found`, { hint: 'Check the --config path.' });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ScanCopyError('CONFIG_INVALID', `config file ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return { file: validate(configFileSchema, raw, path), path };
}

/** `.env` in `cwd`, parsed by node (no dependency); absent or unreadable means empty. */
export function readDotEnv(cwd: string): Record<string, string> {
  const path = resolve(cwd, '.env');
  if (!existsSync(path)) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ScanCopyError('CONFIG_INVALID', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return dropUndefined(parseEnv(text));
}

function dropUndefined<T>(record: Readonly<Record<string, T | undefined>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Record<string, T>;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
