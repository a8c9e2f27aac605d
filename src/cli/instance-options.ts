/**
 * The instance flags every command shares (`--source NAME`, `--source-api URL`,
 * `--source-db URL`, the same for target, and `--config F`), and their resolution into one
 * config with the secrets filled in: from the environment or `.env`, else a masked prompt
 * on a terminal. Without a terminal a missing secret is an error naming its env var.
 */
import { input, password } from './ask.js';
import { Command, Option } from 'commander';
import { DEFAULTS, envNames, resolveConfig, secretsFromCommands, type ConfigFlags, type ResolvedConfig, type ResolvedInstance, type Role } from '../config/index.js';
import { ScanCopyError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import { isPostgresUrl } from '../platform/db.js';

/** The --results flag's help, for every command that writes or reads run folders. */
export const RESULTS_HELP = `results folder (default ${DEFAULTS.resultsDir}, or the config file's)`;

/** `{ "key": value, ... }` on one line, as the help's example writes an object. */
function inline(values: Readonly<Record<string, unknown>>): string {
  return `{ ${Object.entries(values).map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`).join(', ')} }`;
}

/** The example's numbers are the defaults (config DEFAULTS), so the help cannot drift from them. */
export const CONFIG_HELP = `
Config file (--config F, else ./scancopy.config.json, else ~/.config/scancopy/config.json or
$XDG_CONFIG_HOME/scancopy/config.json; scancopy config path says which), every key optional, no secrets:
  {
    "instances": { "stg": { "api": "https://stg.example.net", "db": "postgres://reader@db-host:5432/stg",
                            "passwordCommand": ["pass", "show", "scancopy/stg-api"], "dbPasswordCommand": ["pass", "show", "scancopy/stg-db"] },
                   "albt": { "dbUser": "proxyuser", "dbHost": "albt-maint.rebotics.net", "dbPort": 5432, "dbName": "albt" } },
    ${inline({ resultsDir: DEFAULTS.resultsDir, batchSize: DEFAULTS.batchSize }).slice(2, -2)},
    "limits": ${inline(DEFAULTS.limits)},
    "timeouts": ${inline(DEFAULTS.timeouts)},
    "retry": ${inline(DEFAULTS.retry)},
    "ledger": "postgres://scancopy@ledger-db:5432/scancopy", "ledgerPasswordCommand": ["pass", "show", "scancopy/ledger"]
  }
  Durations in seconds. An instance not in the file gets https://NAME.rebotics.net and
  postgres://proxyuser@NAME-maint.rebotics.net:5432/NAME. Flags beat env (SCANCOPY_SOURCE,
  SCANCOPY_SOURCE_API, SCANCOPY_SOURCE_DB; TARGET likewise; SCANCOPY_LEDGER; ./.env too), which
  beats the file. The ledger defaults to $XDG_STATE_HOME/scancopy (else ~/.local/state/scancopy).`;

export type InstanceCliOptions = ConfigFlags & Record<string, unknown>;

export interface ResolveCliOptions {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Whether secrets may be asked for. @default stdin and stderr are terminals */
  interactive?: boolean;
  /** Roles opened without their database (copy --no-target-db). */
  withoutDb?: readonly Role[];
}

/** Adds `--ROLE`, `--ROLE-api`, `--ROLE-db` (and `--config` once) to `cmd`. */
export function addInstanceOptions(cmd: Command, role: Role): Command {
  const env = envNames(role);
  cmd
    .addOption(new Option(`--${role} <name>`, `${role} instance name (a config file entry, or NAME for https://NAME.rebotics.net; env ${env.name})`))
    .addOption(new Option(`--${role}-api <url>`, `${role} API base URL (overrides the instance's)`))
    .addOption(new Option(`--${role}-db <url>`, `${role} database URL, postgres://user@host:port/db (overrides the instance's)`));
  if (!cmd.options.some((o) => o.long === '--config')) {
    cmd.addOption(new Option('--config <file>', 'config file (default ./scancopy.config.json, else the user config file, when present)'));
    cmd.addHelpText('after', CONFIG_HELP);
  }
  const secrets = `${env.username}, ${env.password}, ${env.dbPassword}`;
  cmd.addHelpText('after', `\n${role} secrets come from ${secrets} (environment or ./.env), else the instance's passwordCommand / dbPasswordCommand, else a masked prompt on a terminal. Never in a URL.`);
  return cmd;
}

/** A resolved config whose instances of `R` are there, secrets filled in. */
export type ConfigWith<R extends Role> = ResolvedConfig & { readonly [K in R]: ResolvedInstance };

/** Resolves the config and makes sure every role in `roles` has an instance and its secrets. */
export async function resolveCliInstances<R extends Role>(opts: InstanceCliOptions, roles: readonly R[], io: ResolveCliOptions = {}): Promise<ConfigWith<R>> {
  const env = io.env ?? process.env;
  const config = resolveConfig({ flags: pickFlags(opts), env, cwd: io.cwd ?? process.cwd(), withoutDb: io.withoutDb });
  const interactive = io.interactive ?? (process.stdin.isTTY === true && process.stderr.isTTY === true);
  const filled: Partial<Record<Role, ResolvedInstance>> = {};
  for (const role of roles) {
    const instance = config[role];
    if (!instance) {
      throw new ScanCopyError('CONFIG_INVALID', `no ${role} instance: give --${role} NAME (or --${role}-api URL and --${role}-db URL)`, {
        hint: `Or set ${envNames(role).name}.`,
      });
    }
    filled[role] = await fillSecrets(role, instance, interactive);
  }
  return Object.freeze({ ...config, ...filled }) as ConfigWith<R>;
}

function pickFlags(opts: InstanceCliOptions): ConfigFlags {
  const keys = ['config', 'source', 'sourceApi', 'sourceDb', 'target', 'targetApi', 'targetDb', 'resultsDir', 'batchSize', 'limits', 'timeouts', 'ledger'] as const;
  const flags: Record<string, unknown> = {};
  for (const key of keys) if (opts[key] !== undefined) flags[key] = opts[key];
  return flags as ConfigFlags;
}

async function fillSecrets(role: Role, given: ResolvedInstance, interactive: boolean): Promise<ResolvedInstance> {
  const names = envNames(role);
  const instance: ResolvedInstance = { ...given, ...(await secretsFromCommands(given, role)) };
  const wanted: Array<{ key: 'username' | 'password' | 'dbPassword'; env: string; label: string }> = [];
  if (instance.username === undefined) wanted.push({ key: 'username', env: names.username, label: 'API username' });
  if (instance.password === undefined) wanted.push({ key: 'password', env: names.password, label: 'API password' });
  if (instance.dbPassword === undefined && !instance.noDb && isPostgresUrl(instance.dbUrl)) wanted.push({ key: 'dbPassword', env: names.dbPassword, label: 'DB password' });
  if (wanted.length === 0) return instance;
  if (!interactive) {
    const list = wanted.map((w) => `${w.env} (${w.label})`).join(', ');
    throw new ScanCopyError('CONFIG_INVALID', `${role} instance ${instance.name}: missing ${list}`, {
      hint: `Set ${wanted.length > 1 ? 'them' : 'it'} in the environment or ./.env (an empty ${names.dbPassword} means no DB password), or give the instance a passwordCommand / dbPasswordCommand in the config.`,
    });
  }
  const answers: Partial<ResolvedInstance> = {};
  for (const w of wanted) {
    const message = `${role} ${instance.name} ${w.label}`;
    const value = await prompting(() =>
      w.key === 'username'
        ? input({ message, validate: (v) => (v.trim() ? true : 'Please type it.') }, { output: process.stderr })
        : password({ message: `${message}${w.key === 'dbPassword' ? ' (Enter for none)' : ''}`, mask: '*' }, { output: process.stderr }),
    );
    if (w.key !== 'username') registerSecret(value);
    answers[w.key] = w.key === 'username' ? value.trim() : value;
  }
  return Object.freeze({ ...instance, ...answers });
}

async function prompting(ask: () => Promise<string>): Promise<string> {
  try {
    return await ask();
  } catch (err) {
    if ((err as Error)?.name === 'ExitPromptError') throw new ScanCopyError('ABORTED', 'interrupted at a prompt', { cause: err });
    throw err;
  }
}
