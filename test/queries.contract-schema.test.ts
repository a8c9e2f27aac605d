/**
 * Every query scancopy runs against an instance, on a database that has the contract's
 * columns and nothing else (no sandbox extras, no defaults, no foreign keys): a query that
 * names a column a real instance may not have fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/platform/db.js';
import { openDb } from '../src/platform/db.js';
import * as queries from '../src/platform/queries.js';
import { contractSchemaSql } from './helpers/contract-schema.js';
import { testEngines } from './helpers/databases.js';

const DAY = '2026-11-20';

/** One call per exported query, with what it must find in the rows inserted below. */
const CALLS: Record<keyof typeof queries, (db: Db) => Promise<unknown>> = {
  selectScansWithFiles: async (db) => {
    const [scan] = await queries.selectScansWithFiles(db, [10]);
    expect(scan?.files.map((f) => f.fileId)).toEqual([501, 502]);
  },
  findScanSummaries: async (db) => {
    const found = await queries.findScanSummaries(db, { storeId: 1, from: DAY, to: DAY, doneOnly: true });
    expect(found.map((s) => [s.id, s.fileCount])).toEqual([[10, 2]]);
  },
  selectScanDetails: async (db) => {
    const rows = await queries.selectScanDetails(db, [10]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      planogram_name: 'Soda', section_name: 'Bay 1', is_additional_section: true,
      pre_pog_percentage: 71.5, post_pog_percentage: 80, pre_osa_percentage: 90, post_osa_percentage: 95,
      ok_count: 7, planogram_unique_count: 1, planogram_all_count: 1, realogram_unique_count: 1, realogram_all_count: 1,
      majority_v2_id: 2, majority_created_at: DAY, map_by_value: 'majority_v2',
    });
  },
  selectAdditionalSectionIds: async (db) => expect(await queries.selectAdditionalSectionIds(db, [40, 41])).toEqual([40]),
  selectScansByFileIds: async (db) => expect(await queries.selectScansByFileIds(db, [502])).toEqual([{ scanId: 10, fileIds: [501, 502] }]),
  selectScanStates: async (db) => expect(await queries.selectScanStates(db, [10])).toEqual([{ id: 10, status: 'done', hasReport: true }]),
  selectStoreExists: async (db) => expect([await queries.selectStoreExists(db, 1), await queries.selectStoreExists(db, 2)]).toEqual([true, false]),
  selectStorePlanograms: async (db) => {
    const soda = { id: 30, planogramId: 20, storeId: 1, planogramName: 'Soda' };
    expect(await queries.selectStorePlanograms(db, { ids: [30, 31] })).toEqual([soda]);
    expect(await queries.selectStorePlanograms(db, { storeId: 1 })).toEqual([soda]);
    expect(await queries.selectStorePlanograms(db, { ids: [30], storeId: 2 })).toEqual([]);
  },
  selectFirstSectionNames: async (db) => expect(await queries.selectFirstSectionNames(db, [10])).toEqual(new Map([[10, 'Bay 1']])),
  selectDatabaseIdentity: async (db) => {
    const identity = await queries.selectDatabaseIdentity(db);
    expect(identity.systemIdentifier).toMatch(/^\d{10,}$/);
    expect(identity.database).toBe((await db.query<{ d: string }>('SELECT current_database() AS d'))[0]?.d);
  },
};

const ROWS = `
  INSERT INTO master_data_implementation_store (id, name) VALUES (1, 'Store 1');
  INSERT INTO master_data_implementation_category (id, name) VALUES (3, 'Drinks');
  INSERT INTO planograms_implementation_planogram (id, name, category_id) VALUES (20, 'Soda', 3);
  INSERT INTO planograms_implementation_planogramstore (id, planogram_id, store_id) VALUES (30, 20, 1);
  INSERT INTO planograms_implementation_planogramsection (id, planogram_id, name) VALUES (40, 20, 'Bay 1'), (41, 20, 'Bay 2');
  INSERT INTO planograms_implementation_planogramsectionproduct (id, section_id, action, merch_method)
    VALUES (1, 40, 'Additional display', NULL), (2, 41, NULL, 'shelf');
  INSERT INTO realograms_implementation_realogram (id) VALUES (60);
  INSERT INTO realograms_implementation_realogrambay (id, realogram_id) VALUES (1, 60), (2, 60);
  INSERT INTO realograms_implementation_scan (id, provided_values, store_id, created_at, selected_category_id, active_realogram_id, status, has_report)
    VALUES (10, '{"_raw_data": {"store": 1, "files": [501, 502]}}', 1, '${DAY} 10:00:00+00', 3, 60, 'done', true);
  INSERT INTO realograms_implementation_scanfile (id, scan_id, file_id, file_type) VALUES (1, 10, 501, 'image'), (2, 10, 502, 'image');
  INSERT INTO planograms_compliance_planogramcompliancereport
    (id, realogram_id, section_id, section_name, store_planogram_id, planogram_id, aisle_name, compliance_rate,
     facing_compliance_rate, sequence_compliance_rate, initial_pre_compliance, compliance_rates, scan_created_date)
    VALUES (70, 60, 40, 'Bay 1', 30, 20, 'A1', 65, 60, 55, 50, '{"osa": 88, "correct": 7, "wandering": 1, "missing": 2, "empty": 0}', '${DAY}');
  INSERT INTO planograms_compliance_storeplanogramcompliance
    (id, store_planogram_id, date, pre_compliance, post_compliance, pre_osa, post_osa, facing_compliance,
     sequence_pre_compliance, sequence_post_compliance, initial_pre_compliance)
    VALUES (80, 30, '${DAY}', 71.5, 80, 90, 95, 60, 55, 58, 50);
  INSERT INTO planograms_compliance_majorityv2log (id, store_planogram_id, scan_created_date, data)
    VALUES (1, 30, '2026-11-19', '{"9": {"map_by": "planogram_section"}}'),
           (2, 30, '${DAY}', '{"10": {"map_by": "majority_v2"}}');
`;

describe.each(testEngines())('queries on a contract-only schema ($name)', (engine) => {
  let url: string;
  let db: Db;
  beforeAll(async () => {
    url = await engine.create();
    db = await openDb(url);
    await db.exec(contractSchemaSql());
    await db.exec(ROWS);
  });
  afterAll(async () => {
    await db?.close();
    await engine.drop(url);
  });

  it('has a call below for every query the module exports', () => {
    expect(Object.keys(CALLS).sort()).toEqual(Object.keys(queries).filter((k) => typeof (queries as Record<string, unknown>)[k] === 'function').sort());
  });

  it.each(Object.keys(CALLS) as Array<keyof typeof queries>)('runs %s', async (name) => {
    await CALLS[name](db);
  });
});
