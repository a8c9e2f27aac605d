/**
 * Readies a sandbox database: loads the platform schema into an empty database, accepts one
 * that already holds exactly the sandbox's tables (a restart), refuses anything else, and
 * seeds demo data when asked and the database holds none yet.
 */
import { readFile } from 'node:fs/promises';
import { ScanCopyError } from '../core/errors.js';
import type { Db } from '../platform/db.js';
import { loadSchema, SCHEMA_PATH } from './schema.js';
import { seedCatalog, seedDemo } from './seed.js';

export interface PrepareOptions {
  /** How to name the database in messages (no password). */
  label: string;
  seedDemo?: { scans?: number; seed?: number } | false;
  log(line: string): void;
}

export async function prepareDatabase(db: Db, opts: PrepareOptions): Promise<void> {
  const expected = [...(await readFile(SCHEMA_PATH, 'utf8')).matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1] as string);
  const present = (
    await db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY table_name`,
    )
  ).map((r) => r.name);
  if (present.length === 0) {
    await loadSchema(db);
    opts.log(`sandbox: loaded the platform schema into ${opts.label}`);
  } else {
    const foreign = present.filter((name) => !expected.includes(name));
    const missing = expected.filter((name) => !present.includes(name));
    if (foreign.length > 0 || missing.length > 0) {
      const shown = (foreign.length > 0 ? foreign : present).slice(0, 5).join(', ');
      throw new ScanCopyError('CONFIG_INVALID', `refusing to use ${opts.label}: it holds tables that are not the sandbox's (${shown}${present.length > 5 ? ', ...' : ''})`, {
        hint: 'Give the sandbox an empty database (CREATE DATABASE ...), or one a sandbox created before.',
      });
    }
    opts.log(`sandbox: reusing the sandbox tables in ${opts.label}`);
  }
  if (opts.seedDemo) await seed(db, opts.seedDemo, opts.log);
}

async function seed(db: Db, options: { scans?: number; seed?: number }, log: (line: string) => void): Promise<void> {
  const [row] = await db.query<{ used: boolean }>('SELECT EXISTS (SELECT 1 FROM master_data_implementation_store) AS used');
  if (row?.used) {
    log('sandbox: the database already holds data; not seeding demo data again');
    return;
  }
  if (options.scans === 0) {
    const catalog = await seedCatalog(db, { seed: options.seed });
    log(`sandbox: seeded the demo catalog (seed ${options.seed ?? 1}): ${catalog.stores.length} stores, ${catalog.planograms.length} planograms`);
    return;
  }
  const summary = await seedDemo(db, { scans: options.scans, seed: options.seed });
  log(`sandbox: seeded demo data (seed ${summary.seed}): ${summary.scans} scans, ${summary.files} files, scan ids ${summary.firstScanId ?? '-'}..${summary.lastScanId ?? '-'}`);
}
