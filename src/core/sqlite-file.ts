/**
 * A SQLite database kept in one file, used for one short transaction at a time: the file is
 * read whole into sql.js (SQLite compiled to wasm, some 60 MB of process memory at most),
 * changed in memory, and written back atomically (temp file, fsync, rename) only when the
 * transaction commits. The caller serialises processes (a lock file): two processes then never
 * lose each other's writes, and a kill leaves the old file or the new one.
 *
 * Why not PGlite, which the sandbox embeds: opening it costs a copy process 300-900 MB of
 * resident memory and 0.5-7 s (initdb on first use), more than the whole copy of a 500 MB
 * video may use.
 */
import { readFile } from 'node:fs/promises';
import type { Database, SqlJsStatic } from 'sql.js';
import { writeFileAtomic } from './atomic-file.js';
import { ScanCopyError } from './errors.js';

export interface SqliteTx {
  /** `$1`-style parameters, as PostgreSQL takes them, so one SQL text serves both engines. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

let engine: Promise<SqlJsStatic> | undefined;

/** Loaded on first use: a copy without a local ledger never pays for the wasm build. */
function sqlJs(): Promise<SqlJsStatic> {
  engine ??= import('sql.js').then((m) => m.default());
  return engine;
}

/** Runs `fn` in one transaction on the database in `path` (created when missing); rolled back, and the file untouched, if it throws. */
export async function withSqliteFile<T>(path: string, setup: string, fn: (tx: SqliteTx) => Promise<T>): Promise<T> {
  const SQL = await sqlJs();
  let bytes: Buffer | undefined;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ScanCopyError('IO_ERROR', `cannot read ${path}`, { cause: err });
  }
  let db: Database;
  try {
    db = new SQL.Database(bytes);
    db.exec(setup);
  } catch (cause) {
    throw new ScanCopyError('DB_ERROR', `${path} is not a readable SQLite database: ${(cause as Error).message}`, { cause, hint: 'Move the file away; it is rebuilt empty on the next run.' });
  }
  // Nothing reaches the file before the commit: a throw leaves it as it was, whatever ran.
  try {
    db.exec('BEGIN');
    const result = await fn({ query: async <R>(sql: string, params: readonly unknown[] = []) => run<R>(db, sql, params) });
    db.exec('COMMIT');
    await writeFileAtomic(path, db.export());
    return result;
  } finally {
    db.close();
  }
}

function run<R>(db: Database, sql: string, params: readonly unknown[]): R[] {
  // SQLite numbers its parameters ?1, ?2; PostgreSQL $1, $2. The SQL handed here holds no `$` otherwise.
  const statement = db.prepare(sql.replace(/\$(\d+)/g, '?$1'));
  try {
    statement.bind(params.map(bindable));
    const rows: R[] = [];
    while (statement.step()) rows.push(statement.getAsObject() as R);
    return rows;
  } catch (cause) {
    throw new ScanCopyError('DB_ERROR', `SQLite refused a statement: ${(cause as Error).message}`, { cause, context: { sql } });
  } finally {
    statement.free();
  }
}

function bindable(value: unknown): number | string | null | Uint8Array {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'string' || value instanceof Uint8Array) return value;
  return JSON.stringify(value);
}
