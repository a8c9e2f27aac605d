import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from './helpers/databases.js';
import { openFreshDb, type FreshDb } from './helpers/platform-db.js';

const BIGINT = 'bigint';
const TEXT = 'character varying';
const JSONB = 'jsonb';
const NUMERIC = 'numeric';
const DATE = 'date';

/** platform.md section 3 (and the realogram counts of section 6), typed as the platform's Django app has them. */
const PLATFORM_COLUMNS: Record<string, Record<string, string>> = {
  realograms_implementation_scan: {
    id: BIGINT, provided_values: JSONB, store_id: BIGINT, created_at: 'timestamp with time zone',
    selected_category_id: BIGINT, active_realogram_id: BIGINT, status: TEXT, has_report: 'boolean',
  },
  realograms_implementation_scanfile: { scan_id: BIGINT, file_id: BIGINT, file_type: TEXT },
  master_data_implementation_store: { id: BIGINT, name: TEXT },
  master_data_implementation_category: { id: BIGINT, name: TEXT },
  realograms_implementation_realogram: {
    id: BIGINT, planogram_unique_count: 'integer', planogram_all_count: 'integer',
    realogram_unique_count: 'integer', realogram_all_count: 'integer',
  },
  realograms_implementation_realogrambay: { id: BIGINT, realogram_id: BIGINT },
  planograms_implementation_planogram: { id: BIGINT, name: TEXT, category_id: BIGINT },
  planograms_implementation_planogramstore: { id: BIGINT, planogram_id: BIGINT, store_id: BIGINT },
  planograms_implementation_planogramsection: { id: BIGINT, planogram_id: BIGINT, name: TEXT },
  planograms_implementation_planogramsectionproduct: { section_id: BIGINT, action: TEXT, merch_method: TEXT },
  planograms_compliance_planogramcompliancereport: {
    id: BIGINT, realogram_id: BIGINT, section_id: BIGINT, section_name: TEXT, store_planogram_id: BIGINT,
    planogram_id: BIGINT, aisle_name: TEXT, compliance_rate: NUMERIC, facing_compliance_rate: NUMERIC,
    sequence_compliance_rate: NUMERIC, initial_pre_compliance: NUMERIC, compliance_rates: JSONB, scan_created_date: DATE,
  },
  planograms_compliance_storeplanogramcompliance: {
    store_planogram_id: BIGINT, date: DATE, pre_compliance: NUMERIC, post_compliance: NUMERIC, pre_osa: NUMERIC,
    post_osa: NUMERIC, facing_compliance: NUMERIC, sequence_pre_compliance: NUMERIC, sequence_post_compliance: NUMERIC,
    initial_pre_compliance: NUMERIC,
  },
  planograms_compliance_majorityv2log: { id: BIGINT, store_planogram_id: BIGINT, scan_created_date: DATE, data: JSONB },
  master_data_implementation_fileupload: {
    id: BIGINT, original_filename: TEXT, content_type: TEXT, input_type: TEXT, size: BIGINT, sha256: 'character',
    content: 'bytea', storage_path: 'text',
  },
};

describe.each(testEngines())('platform schema on $name', (engine) => {
  let fresh: FreshDb;
  beforeAll(async () => {
    fresh = await openFreshDb(engine);
  });
  afterAll(async () => fresh?.close());

  it('has every column the tooling uses, with the platform type', async () => {
    const rows = await fresh.db.query<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()`,
    );
    const actual = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r.data_type]));
    const expected = Object.entries(PLATFORM_COLUMNS).flatMap(([table, columns]) =>
      Object.entries(columns).map(([column, type]) => [`${table}.${column}`, type] as const),
    );
    expect(expected.map(([key]) => [key, actual.get(key)])).toEqual(expected);
  });

  it('makes ids identity columns that count from 1', async () => {
    const rows = await fresh.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'`,
    );
    expect(rows.map((r) => r.table_name).sort()).toEqual(Object.keys(PLATFORM_COLUMNS).sort());
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
