/**
 * The one database interface scancopy and the sandbox use: `query(sql, params)`,
 * `transaction(fn)`, `exec(script)`, `close()`. Two drivers behind it: node-postgres for
 * `postgres://` URLs, PGlite for the embedded default (`memory://` or a folder).
 *
 * Both drivers return the same JS types: bigint and numeric as numbers, date as
 * `YYYY-MM-DD`, timestamptz as Date, jsonb as objects.
 */
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { ScanCopyError } from '../core/errors.js';
import { redactText } from '../core/redact.js';

export type Row = Record<string, unknown>;

export interface Queryable {
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction; read-only when the session is. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script (the schema). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  /** Instance reads: every statement runs in a `BEGIN READ ONLY` transaction. @default false */
  readOnly?: boolean;
  /** Enforced by PostgreSQL; PGlite ignores it. @default 30000 */
  statementTimeoutMs?: number;
  /** Pool size for postgres:// URLs. @default 10 */
  maxConnections?: number;
  /**
   * postgres://: one connection, kept open while the Db is (never closed for being idle), so
   * a session-level advisory lock taken on it lasts until close() or the process's death.
   */
  session?: boolean;
}

export interface PgliteDb extends Db {
  readonly kind: 'pglite';
  /** The PGlite instance, for the sandbox's wire-protocol server. */
  readonly pglite: PGlite;
}

const OID = { int8: 20, numeric: 1700, date: 1082, int8Array: 1016, numericArray: 1231 } as const;
const toNumber = (v: string): number => Number(v);
const keepDate = (v: string): string => v;

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** `postgres://...` opens node-postgres; `memory://` or a folder path opens PGlite. */
export async function openDb(target: string, options: OpenDbOptions = {}): Promise<Db> {
  return isPostgresUrl(target) ? openPostgres(target, options) : openPglite(target, options);
}

export async function openPglite(dataDir = 'memory://', options: OpenDbOptions = {}): Promise<PgliteDb> {
  let instance: PGlite;
  try {
    // Loaded on first use: a client of postgres:// instances never pays for the wasm build.
    const { PGlite } = await import('@electric-sql/pglite');
    instance = await PGlite.create({
      dataDir: dataDir === 'memory://' ? undefined : dataDir,
      parsers: { [OID.int8]: toNumber, [OID.numeric]: toNumber, [OID.date]: keepDate },
    });
  } catch (cause) {
    throw dbError(`cannot open the embedded database at ${dataDir}`, cause);
  }
  const readOnly = options.readOnly ?? false;
  const transaction = async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> =>
    instance.transaction(async (tx) => {
      if (readOnly) await tx.query('SET TRANSACTION READ ONLY');
      return fn({ query: async <R>(sql: string, params?: readonly unknown[]) => wrap(sql, async () => (await tx.query<R>(sql, params as unknown[])).rows) });
    });
  return {
    kind: 'pglite',
    pglite: instance,
    query: async <T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> =>
      readOnly
        ? transaction((tx) => tx.query<T>(sql, params))
        : wrap(sql, async () => (await instance.query<T>(sql, params as unknown[])).rows),
    transaction,
    exec: async (script) => {
      await wrap('schema script', () => instance.exec(script));
    },
    close: async () => {
      if (!instance.closed) await instance.close();
    },
  };
}

async function openPostgres(url: string, options: OpenDbOptions): Promise<Db> {
  const readOnly = options.readOnly ?? false;
  // node-postgres is loaded, and the pool made, on the first query: on Node 20 loading pg
  // costs a copy's start 40-50 ms of CPU (it probes the global Response, which loads Node's
  // own fetch), and the first call of a copy is the API login, which need not wait for it.
  let pool: Promise<pg.Pool> | undefined;
  let closed = false;
  const poolOf = async (): Promise<pg.Pool> => {
    // As node-postgres's own pool does after end(), rather than open a new one no one closes.
    if (closed) throw new Error('Cannot use a pool after calling end on the pool');
    return (pool ??= import('pg').then(({ default: driver }) => {
      const made = new driver.Pool({
        connectionString: url,
        max: options.session ? 1 : (options.maxConnections ?? 10),
        ...(options.session ? { idleTimeoutMillis: 0 } : {}),
        statement_timeout: options.statementTimeoutMs ?? 30_000,
        connectionTimeoutMillis: 10_000,
        types: { getTypeParser: pgTypeParser(driver.types) },
        // The server refuses writes in every transaction of a read-only session; servers that
        // ignore startup options (pglite-socket) still get BEGIN READ ONLY below.
        ...(readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
      });
      // An idle client's network error must not crash the process; the next query reports it.
      made.on('error', () => undefined);
      return made;
    }));
  };
  // The extended protocol takes one statement per query, so `COMMIT; INSERT ...` cannot end
  // the read-only transaction early.
  const run = (client: pg.PoolClient, sql: string, params?: readonly unknown[]) => {
    const config: pg.QueryConfig & { queryMode: 'extended' } = { text: sql, values: params as unknown[], queryMode: 'extended' };
    return client.query<Row>(config);
  };

  const transaction = async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
    const client = await connect(poolOf, url);
    try {
      await client.query(readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
      const result = await fn({ query: async <R>(sql: string, params?: readonly unknown[]) => wrap(sql, async () => (await run(client, sql, params)).rows as R[]) });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
  return {
    kind: 'postgres',
    query: async <T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> => {
      if (readOnly) return transaction((tx) => tx.query<T>(sql, params));
      const client = await connect(poolOf, url);
      try {
        return await wrap(sql, async () => (await run(client, sql, params)).rows as T[]);
      } finally {
        client.release();
      }
    },
    transaction,
    exec: async (script) => {
      const client = await connect(poolOf, url);
      try {
        await wrap('schema script', () => client.query(script));
      } finally {
        client.release();
      }
    },
    close: async () => {
      closed = true;
      if (pool) await (await pool).end();
    },
  };
}

function pgTypeParser(types: typeof pg.types): (oid: number, format?: string) => (value: string) => unknown {
  return (oid, format) => {
    if (oid === OID.int8 || oid === OID.numeric) return toNumber;
    if (oid === OID.date) return keepDate;
    const base = types.getTypeParser(oid, format as 'text');
    if (oid === OID.int8Array || oid === OID.numericArray) return (value) => (base(value) as Array<string | null>).map((v) => (v === null ? null : Number(v)));
    return base;
  };
}

async function connect(pool: () => Promise<pg.Pool>, url: string): Promise<pg.PoolClient> {
  try {
    return await (await pool()).connect();
  } catch (cause) {
    throw dbError(`cannot connect to the database at ${safeUrl(url)}: ${(cause as Error).message}`, cause, {
      hint: 'Check the DB host, port, name, user and password (SCANCOPY_*_DB_PASSWORD), and that the server is reachable.',
    });
  }
}

async function wrap<T>(sql: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (cause) {
    if (cause instanceof ScanCopyError) throw cause;
    const err = cause as { message?: string; code?: string };
    throw dbError(`database error: ${err.message ?? String(cause)}`, cause, {
      context: { sql: sql.replace(/\s+/g, ' ').slice(0, 200), sqlState: err.code },
    });
  }
}

function dbError(message: string, cause: unknown, extra: { hint?: string; context?: Record<string, unknown> } = {}): ScanCopyError {
  return new ScanCopyError('DB_ERROR', redactText(message), { cause, ...extra });
}

/** The database of an instance opened without one (copy --no-target-db): every use says so. */
export function noDatabase(instance: string): Db {
  const refuse = async (): Promise<never> => {
    throw new ScanCopyError('USAGE', `${instance} was opened without its database (--no-target-db)`, { hint: 'Run without --no-target-db to use it.' });
  };
  return { kind: 'postgres', query: refuse, transaction: refuse, exec: refuse, close: async () => undefined };
}

/** The URL without its password, for messages. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return redactText(url);
  }
}
