/**
 * One platform instance opened for work: its API client and a read-only session on its
 * database (statement timeout where the server enforces one). The DB password joins the
 * URL only here, in memory, and is registered for redaction.
 */
import { ScanCopyError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { RetryOptions, RetryPolicy } from '../core/retry.js';
import { PlatformApi, type ApiEvent, type ApiTimeouts } from './api.js';
import type { Stage } from './stages.js';
import { isPostgresUrl, noDatabase, openDb, type Db } from './db.js';

/** What opening an instance needs: the fields of a resolved config instance. */
export interface InstanceAddress {
  name: string;
  /** Without a trailing slash. */
  apiUrl: string;
  /** Never holds the password: openInstance adds `dbPassword`. */
  dbUrl: string;
  username?: string;
  password?: string;
  /** `''` means "no password" (set explicitly to empty). */
  dbPassword?: string;
  /** Opened without its database (copy --no-target-db): `dbUrl` is unused, and any query is an error. */
  noDb?: boolean;
}

export interface OpenInstanceOptions {
  timeouts?: Partial<ApiTimeouts>;
  retry?: RetryPolicy | RetryOptions;
  limits?: Partial<Record<Stage, number>>;
  adaptive?: boolean;
  /** @default 30000 */
  statementTimeoutMs?: number;
  /** DB pool size. @default 5 */
  maxConnections?: number;
  onEvent?: (event: ApiEvent) => void;
}

export interface Instance {
  name: string;
  api: PlatformApi;
  /** Read-only: every statement runs in a read-only transaction. */
  db: Db;
  close(): Promise<void>;
}

/** Opens API and DB; nothing is contacted until the first call (`api.login()` checks credentials). */
export async function openInstance(inst: InstanceAddress, opts: OpenInstanceOptions = {}): Promise<Instance> {
  if (inst.username === undefined || inst.password === undefined) {
    throw new ScanCopyError('CONFIG_INVALID', `instance ${inst.name}: the API ${inst.username === undefined ? 'username' : 'password'} is missing`, {
      hint: 'Set it in the environment or .env (SCANCOPY_SOURCE_USERNAME / SCANCOPY_SOURCE_PASSWORD, or TARGET).',
    });
  }
  const api = new PlatformApi({
    baseUrl: inst.apiUrl,
    username: inst.username,
    password: inst.password,
    name: inst.name,
    timeouts: opts.timeouts,
    retry: opts.retry,
    limits: opts.limits,
    adaptive: opts.adaptive,
    onEvent: opts.onEvent,
  });
  let db: Db;
  try {
    db = inst.noDb ? noDatabase(inst.name) : await openDb(dbUrlWithPassword(inst), { readOnly: true, statementTimeoutMs: opts.statementTimeoutMs ?? 30_000, maxConnections: opts.maxConnections ?? 5 });
  } catch (err) {
    await api.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    name: inst.name,
    api,
    db,
    close: () => {
      closing ??= Promise.allSettled([api.close(), db.close()]).then(() => undefined);
      return closing;
    },
  };
}

/** The DB URL to connect with: the resolved URL plus the DB password, when there is one. */
export function dbUrlWithPassword(inst: Pick<InstanceAddress, 'dbUrl' | 'dbPassword'>): string {
  if (!isPostgresUrl(inst.dbUrl) || !inst.dbPassword) return inst.dbUrl;
  registerSecret(inst.dbPassword);
  const url = new URL(inst.dbUrl);
  url.password = encodeURIComponent(inst.dbPassword);
  return url.toString();
}
