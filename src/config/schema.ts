/**
 * `scancopy.config.json`: instance addresses, defaults and last-used values. Never a secret:
 * passwords come from the environment, `.env` or a prompt, so a config file can be shared.
 * Durations in the file are in seconds; the resolved config carries milliseconds.
 */
import { isAbsolute, join } from 'node:path';
import * as z from 'zod';
import { RUN_DEFAULTS } from '../core/defaults.js';
import { ScanCopyError } from '../core/errors.js';
import { redactText, urlHasCredentials } from '../core/redact.js';

export const CONFIG_FILE_NAME = 'scancopy.config.json';

/** The user's config file: `$XDG_CONFIG_HOME/scancopy/config.json`, else `~/.config/scancopy/config.json`. */
export function userConfigFile(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(env.HOME || home, '.config'), 'scancopy', 'config.json');
}

export const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export const instanceName = z.string().regex(INSTANCE_NAME, 'expected an instance name (letters, digits, - and _)');

/** Where a secret goes instead of a URL, for the one line that refuses one. */
export const SECRETS_GO =
  'secrets go in the SCANCOPY_<SOURCE|TARGET>_USERNAME / _PASSWORD / _DB_PASSWORD environment variables, ./.env, the prompt, or the instance\'s passwordCommand in the config';


export const apiUrl = z
  .string()
  .refine((v) => /^https?:\/\/[^/\s]+/i.test(v) && URL.canParse(v), 'expected an http:// or https:// URL')
  .refine((v) => !urlHasCredentials(v), `must not hold a user name or password: ${SECRETS_GO}`);

/** A postgres:// URL (no password in it), `memory://`, or the folder of an embedded database. */
export const dbTarget = z
  .string()
  .min(1)
  .refine((v) => /^postgres(ql)?:\/\//i.test(v) ? URL.canParse(v) : v === 'memory://' || !v.includes('://'), 'expected a postgres:// URL, memory:// or a folder')
  .refine((v) => !/^postgres(ql)?:\/\//i.test(v) || !URL.canParse(v) || new URL(v).password === '', `must not hold a password: ${SECRETS_GO}`);

/** The ledger: a folder (the local, embedded one) or a shared postgres:// URL without a password. */
export const ledgerTarget = z
  .string()
  .min(1)
  .refine((v) => (/^postgres(ql)?:\/\//i.test(v) ? URL.canParse(v) : !v.includes('://')), 'expected a folder or a postgres:// URL')
  .refine((v) => !/^postgres(ql)?:\/\//i.test(v) || !URL.canParse(v) || new URL(v).password === '', 'must not hold a password: it goes in SCANCOPY_LEDGER_DB_PASSWORD, ./.env or ledgerPasswordCommand');

const positiveInt = z.int().min(1);
const seconds = z.number().positive();

export const instanceEntrySchema = z.strictObject({
  /** API base URL. @default https://NAME.rebotics.net */
  api: apiUrl.optional(),
  /** Whole DB URL (without password); dbHost, dbPort, dbUser, dbName then adjust it. */
  db: dbTarget.optional(),
  /** @default NAME-maint.rebotics.net */
  dbHost: z.string().min(1).optional(),
  /** @default 5432 */
  dbPort: z.int().min(1).max(65535).optional(),
  /** @default proxyuser */
  dbUser: z.string().min(1).optional(),
  /** @default NAME */
  dbName: z.string().min(1).optional(),
  /** Prints the API password as its first line: an argv, run without a shell. */
  passwordCommand: z.array(z.string().min(1)).min(1).optional(),
  /** Prints the DB password as its first line: an argv, run without a shell. */
  dbPasswordCommand: z.array(z.string().min(1)).min(1).optional(),
});

export const limitsSchema = z.strictObject({
  download: positiveInt.max(500),
  upload: positiveInt.max(500),
  create: positiveInt.max(500),
});

export const timeoutsSchema = z.strictObject({
  login: seconds,
  meta: seconds,
  content: seconds,
  upload: seconds,
  create: seconds,
  batch: seconds,
  /** How long a create whose answer was lost may still commit. @default create + COMMIT_MARGIN */
  commitHorizon: seconds.optional(),
});

export const retrySchema = z.strictObject({
  retries: z.int().min(0).max(20),
  base: z.number().min(0),
  cap: z.number().min(0),
  retryAfterCap: z.number().min(0),
  /** Share of requests that may be retries, in a sliding window. */
  budget: z.number().min(0).max(1),
  budgetWindow: seconds,
});

export const lastUsedSchema = z.strictObject({
  scanIds: z.array(positiveInt).max(100_000).optional(),
  targetStore: positiveInt.optional(),
  resultsDir: z.string().min(1).optional(),
  source: instanceName.optional(),
  target: instanceName.optional(),
  /** The download wizard's folder. */
  downloadDir: z.string().min(1).optional(),
  /** API usernames typed in the wizard, by API URL (never a password). */
  usernames: z.record(z.string().min(1), z.string().min(1).max(200)).optional(),
});

export const configFileSchema = z.strictObject({
  $schema: z.string().optional(),
  instances: z.record(instanceName, instanceEntrySchema).optional(),
  /** @default ./testResults */
  resultsDir: z.string().min(1).optional(),
  /** @default 10 */
  batchSize: positiveInt.max(10_000).optional(),
  limits: limitsSchema.partial().optional(),
  timeouts: timeoutsSchema.partial().optional(),
  retry: retrySchema.partial().optional(),
  lastUsed: lastUsedSchema.optional(),
  /** @default $XDG_STATE_HOME/scancopy (else ~/.local/state/scancopy) */
  ledger: ledgerTarget.optional(),
  /** Prints the shared ledger's DB password as its first line: an argv, run without a shell. */
  ledgerPasswordCommand: z.array(z.string().min(1)).min(1).optional(),
});

export type InstanceEntry = z.infer<typeof instanceEntrySchema>;
export type ConfigFile = z.infer<typeof configFileSchema>;
export type LastUsed = z.infer<typeof lastUsedSchema>;
export type StageLimits = z.infer<typeof limitsSchema>;
export type TimeoutName = keyof z.infer<typeof timeoutsSchema>;

const inSeconds = (ms: number): number => ms / 1000;
const { callTimeoutsMs: callMs, retry: retryMs } = RUN_DEFAULTS;

/** The config file's defaults, in its units (durations in seconds): core/defaults RUN_DEFAULTS, the one place each is written. */
export const DEFAULTS = {
  resultsDir: RUN_DEFAULTS.resultsDir,
  batchSize: RUN_DEFAULTS.batchSize,
  limits: RUN_DEFAULTS.limits,
  timeouts: {
    login: inSeconds(callMs.login),
    meta: inSeconds(callMs.meta),
    content: inSeconds(callMs.content),
    upload: inSeconds(callMs.upload),
    create: inSeconds(callMs.create),
    batch: inSeconds(RUN_DEFAULTS.batchDeadlineMs),
  },
  retry: {
    retries: retryMs.retries,
    base: inSeconds(retryMs.baseMs),
    cap: inSeconds(retryMs.capMs),
    retryAfterCap: inSeconds(retryMs.retryAfterCapMs),
    budget: retryMs.budgetRatio,
    budgetWindow: inSeconds(retryMs.budgetWindowMs),
  },
  /** Seconds beyond the create timeout that a backend may still commit in. */
  commitMargin: inSeconds(RUN_DEFAULTS.commitMarginMs),
} as const;

/** Defaults of platform.md section 1 for an instance called `name`. */
export function instanceDefaults(name: string): { api: string; dbHost: string; dbPort: number; dbUser: string; dbName: string } {
  return { api: `https://${name}.rebotics.net`, dbHost: `${name}-maint.rebotics.net`, dbPort: 5432, dbUser: 'proxyuser', dbName: name };
}

/**
 * Validates `value` against `schema`; the error names the first bad key and its value.
 * `where` says where the value came from (a file, `--flag`, an env var).
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string, keyName: (path: PropertyKey[]) => string = dotted): z.infer<S> {
  // Each config value is checked once: compiling zod's fast path for an object schema costs
  // more than checking it the plain way.
  const result = schema.safeParse(value, { jitless: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const key = keyName(path);
  const found = valueAt(value, path);
  const unknownKey = issue.code === 'unrecognized_keys';
  const secret = path.some((p) => SECRET_KEY.test(String(p)) && !String(p).endsWith('Command'));
  const problem = unknownKey ? 'unknown key' : issue.message;
  const advice = secret ? ' (secrets never go in the config file: use the SCANCOPY_*_PASSWORD env vars, .env or the prompt)' : '';
  // A secret-named key holds a password typed in the wrong place: never echo it.
  const shown = found === undefined ? '(missing)' : secret ? '(value hidden)' : describeValue(found);
  return fail(`${where}: ${key} = ${shown}: ${problem}${advice}`, { key, where });
}

const SECRET_KEY = /pass|secret|token/i;

function fail(message: string, context: Record<string, unknown>): never {
  throw new ScanCopyError('CONFIG_INVALID', redactText(message), { context, hint: 'The config file format is in `scancopy <command> --help`.' });
}

function dotted(path: PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
