import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from './helpers/databases.js';
import { CONTRACT_COLUMNS } from './helpers/contract-schema.js';
import { openFreshDb, type FreshDb } from './helpers/platform-db.js';

describe.each(testEngines())('platform schema on $name', (engine) => {
  let fresh: FreshDb;
  beforeAll(async () => {
    fresh = await openFreshDb(engine);
  });
  afterAll(async () => fresh?.close());

  it("holds exactly the contract's columns in the platform tables, with the platform types, and only sandbox_* tables besides", async () => {
    const rows = await fresh.db.query<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name NOT LIKE 'sandbox\\_%'
        ORDER BY table_name, column_name`,
    );
    const expected = Object.entries(CONTRACT_COLUMNS)
      .flatMap(([table, columns]) => Object.entries(columns).map(([column, type]) => `${table}.${column}: ${type}`))
      .sort();
    expect(rows.map((r) => `${r.table_name}.${r.column_name}: ${r.data_type}`).sort()).toEqual(expected);
  });

  it('makes ids identity columns that count from 1', async () => {
    const rows = await fresh.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'`,
    );
    expect(rows.map((r) => r.table_name).sort()).toEqual([...Object.keys(CONTRACT_COLUMNS), 'sandbox_fileupload'].sort());
  });

  it('enforces the foreign keys between scans, files and stores', async () => {
    await expect(fresh.db.query('INSERT INTO realograms_implementation_scan (store_id) VALUES (424242)')).rejects.toMatchObject({ code: 'DB_ERROR' });
    await expect(fresh.db.query('INSERT INTO realograms_implementation_scanfile (scan_id, file_id) VALUES (1, 1)')).rejects.toMatchObject({ code: 'DB_ERROR' });
  });

  it('keeps one store-planogram compliance row per store POG and day', async () => {
    const [constraint] = await fresh.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.table_constraints
        WHERE table_name = 'planograms_compliance_storeplanogramcompliance' AND constraint_type = 'UNIQUE'`,
    );
    expect(constraint?.n).toBe(1);
  });
});
