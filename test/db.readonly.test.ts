import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../src/platform/db.js';
import { selectScansWithFiles, selectStoreExists } from '../src/platform/queries.js';
import { loadSchema } from '../src/sandbox/schema.js';
import { seedDemo } from '../src/sandbox/seed.js';
import { testEngines } from './helpers/databases.js';

const WRITES = [
  "INSERT INTO master_data_implementation_store (name) VALUES ('intruder')",
  "UPDATE realograms_implementation_scan SET status = 'failed'",
  'DELETE FROM realograms_implementation_scanfile',
  'CREATE TABLE intruder (id int)',
];

describe.each(testEngines())('read-only instance session on $name', (engine) => {
  let target: string;
  let folder: string | undefined;
  let readOnly: Db;

  beforeAll(async () => {
    // Two PGlite handles cannot share memory://: the embedded case uses a folder, written then reopened.
    folder = engine.name === 'pglite' ? await mkdtemp(join(tmpdir(), 'scancopy-ro-')) : undefined;
    target = folder ?? (await engine.create());
    const writable = await openDb(target);
    await loadSchema(writable);
    await seedDemo(writable, { scans: 3 });
    await writable.close();
    readOnly = await openDb(target, { readOnly: true, statementTimeoutMs: 300 });
  });
  afterAll(async () => {
    await readOnly?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
    else if (target) await engine.drop(target);
  });

  it('reads instance data', async () => {
    expect(await selectStoreExists(readOnly, 1)).toBe(true);
    expect((await selectScansWithFiles(readOnly, [1, 2, 3])).map((s) => s.id)).toEqual([1, 2, 3]);
  });

  it.each(WRITES)('refuses a write statement with DB_ERROR: %s', async (sql) => {
    await expect(readOnly.query(sql)).rejects.toMatchObject({ code: 'DB_ERROR', context: { sqlState: '25006' } });
  });

  it('refuses a write smuggled after a COMMIT in the same statement string', async () => {
    await expect(
      readOnly.query("COMMIT; INSERT INTO master_data_implementation_store (name) VALUES ('smuggled')"),
    ).rejects.toMatchObject({ code: 'DB_ERROR' });
    const stores = await readOnly.query<{ name: string }>('SELECT name FROM master_data_implementation_store');
    expect(stores.map((s) => s.name)).not.toContain('smuggled');
  });

  it('refuses a write inside a transaction and leaves the data as it was', async () => {
    await expect(
      readOnly.transaction(async (tx) => {
        await tx.query('SELECT 1');
        await tx.query("UPDATE master_data_implementation_store SET name = 'renamed'");
      }),
    ).rejects.toMatchObject({ code: 'DB_ERROR' });
    const stores = await readOnly.query<{ name: string }>('SELECT name FROM master_data_implementation_store ORDER BY id');
    expect(stores.map((s) => s.name)).not.toContain('renamed');
    const [count] = await readOnly.query<{ n: number }>('SELECT count(*)::int AS n FROM realograms_implementation_scan');
    expect(count?.n).toBe(3);
  });

  it.runIf(engine.name === 'postgres')('stops a statement that runs past the statement timeout', async () => {
    await expect(readOnly.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: 'DB_ERROR', context: { sqlState: '57014' } });
  });
});
