/**
 * A fresh database with the platform schema on one test engine, and the table fingerprints
 * the determinism tests compare.
 */
import type { Db, Queryable } from '../../src/platform/db.js';
import { openDb } from '../../src/platform/db.js';
import { loadSchema } from '../../src/sandbox/schema.js';
import type { TestEngine } from './databases.js';

export interface FreshDb {
  db: Db;
  url: string;
  close(): Promise<void>;
}

export async function openFreshDb(engine: TestEngine): Promise<FreshDb> {
  const url = await engine.create();
  const db = await openDb(url);
  await loadSchema(db);
  return {
    db,
    url,
    close: async () => {
      await db.close();
      await engine.drop(url);
    },
  };
}

/** Every table of the sandbox's schema (the platform's and the sandbox's own), parents first. */
export const PLATFORM_TABLES = [
  'master_data_implementation_store',
  'master_data_implementation_category',
  'sandbox_fileupload',
  'planograms_implementation_planogram',
  'planograms_implementation_planogramsection',
  'planograms_implementation_planogramsectionproduct',
  'planograms_implementation_planogramstore',
  'realograms_implementation_realogram',
  'realograms_implementation_realogrambay',
  'realograms_implementation_scan',
  'realograms_implementation_scanfile',
  'planograms_compliance_planogramcompliancereport',
  'planograms_compliance_storeplanogramcompliance',
  'planograms_compliance_majorityv2log',
  'sandbox_report_figures',
] as const;

/** md5 of each table's rows (as text, in text order, timestamps in UTC): equal fingerprints, equal contents. */
export async function fingerprintTables(db: Db, tables: readonly string[] = PLATFORM_TABLES): Promise<Record<string, string>> {
  return db.transaction(async (tx) => {
    await tx.query("SET LOCAL TimeZone = 'UTC'");
    const out: Record<string, string> = {};
    for (const table of tables) {
      const [row] = await tx.query<{ n: number; digest: string | null }>(
        `SELECT count(*)::int AS n, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS digest FROM ${table} t`,
      );
      out[table] = `${row?.n}:${row?.digest ?? ''}`;
    }
    return out;
  });
}

/** Empties every platform table and restarts its ids at 1, as in a fresh database. */
export async function emptyTables(db: Queryable): Promise<void> {
  await db.query(`TRUNCATE ${PLATFORM_TABLES.join(', ')} RESTART IDENTITY`);
}

/** Runs `fn` in a transaction that is always rolled back: a scratch change for one test. */
export async function withRollback<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const sentinel = Symbol('rollback');
  let result: T | undefined;
  try {
    await db.transaction(async (tx) => {
      result = await fn(tx);
      throw sentinel;
    });
  } catch (err) {
    if (err !== sentinel) throw err;
  }
  return result as T;
}
