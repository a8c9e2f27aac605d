/**
 * Every query of src/platform/queries.ts against the contract target's database, through the
 * read-only session scancopy opens, on the sample scan: each runs, and what it returns agrees
 * with the others (the same scan, files, store, sections). A query that needs a column or a
 * table a real instance lacks fails here when the suite is pointed at one (see target.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instance } from '../../src/platform/instance.js';
import * as queries from '../../src/platform/queries.js';
import type { ScanDetailsRow, ScanWithFiles } from '../../src/platform/types.js';
import { contractTarget, type ContractTarget } from './target.js';

let target: ContractTarget;
let instance: Instance;
let sample: ScanWithFiles;
let details: ScanDetailsRow[];

const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

/** One check per exported query: a new query is not done until the contract suite runs it. */
const CHECKS: Record<keyof typeof queries, () => Promise<void>> = {
  selectScansWithFiles: async () => {
    expect(sample).toMatchObject({ id: target.sampleScanId, storeId: expect.any(Number), status: 'done', hasReport: true });
    expect(sample.createdAt).toBeInstanceOf(Date);
    expect(sample.files.length).toBeGreaterThan(0);
    for (const f of sample.files) expect(f).toEqual({ fileId: expect.any(Number), fileType: expect.any(String) });
  },
  findScanSummaries: async () => {
    const day = utcDay(sample.createdAt);
    const found = await queries.findScanSummaries(instance.db, { storeId: sample.storeId, from: day, to: day, doneOnly: true });
    expect(found.find((s) => s.id === sample.id)).toMatchObject({ storeId: sample.storeId, fileCount: sample.files.length });
    const times = found.map((s) => s.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  },
  selectScanDetails: async () => {
    expect(details.length).toBeGreaterThan(0);
    for (const row of details) {
      expect(row).toMatchObject({ scan_id: sample.id, scan_status: 'done', has_report: true, is_additional_section: expect.any(Boolean) });
      for (const key of ['pre_pog_percentage', 'post_pog_percentage', 'pre_osa_percentage', 'post_osa_percentage', 'ok_count', 'planogram_all_count'] as const) {
        expect(row[key] === null || typeof row[key] === 'number', `${key} = ${String(row[key])}`).toBe(true);
      }
      if (row.majority_created_at !== null) expect(row.majority_created_at).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  },
  selectAdditionalSectionIds: async () => {
    const sections = details.flatMap((r) => (r.section_id === null ? [] : [r.section_id]));
    const additional = await queries.selectAdditionalSectionIds(instance.db, sections);
    expect(sections).toEqual(expect.arrayContaining(additional));
    for (const row of details) if (row.section_id !== null) expect(additional.includes(row.section_id)).toBe(row.is_additional_section);
  },
  selectScansByFileIds: async () => {
    const found = await queries.selectScansByFileIds(instance.db, sample.files.map((f) => f.fileId));
    expect(found).toContainEqual({ scanId: sample.id, fileIds: sample.files.map((f) => f.fileId) });
  },
  selectScanStates: async () => {
    expect(await queries.selectScanStates(instance.db, [sample.id])).toEqual([{ id: sample.id, status: 'done', hasReport: true }]);
  },
  selectStoreExists: async () => {
    expect(await queries.selectStoreExists(instance.db, sample.storeId)).toBe(true);
    expect(await queries.selectStoreExists(instance.db, 999_999_999_999)).toBe(false);
  },
  selectStorePlanograms: async () => {
    const ofStore = await queries.selectStorePlanograms(instance.db, { storeId: sample.storeId });
    expect(ofStore.every((sp) => sp.storeId === sample.storeId)).toBe(true);
    const named = details.flatMap((r) => (r.store_planogram_id === null ? [] : [r.store_planogram_id]));
    if (named.length > 0) expect((await queries.selectStorePlanograms(instance.db, { ids: named })).map((sp) => sp.id)).toEqual([...new Set(named)].sort((a, b) => a - b));
  },
  selectFirstSectionNames: async () => {
    const names = await queries.selectFirstSectionNames(instance.db, [sample.id]);
    const first = [...details].sort((a, b) => (a.report_id ?? 0) - (b.report_id ?? 0))[0]?.section_name;
    if (first) expect(names.get(sample.id)).toBe(first);
  },
  selectDatabaseIdentity: async () => {
    // A role refused pg_control_system() (42501) makes copy identify the instance by its API URL instead (copy/identity.ts).
    const identity = await queries.selectDatabaseIdentity(instance.db).catch((err: unknown) => {
      if ((err as { context?: { sqlState?: string } }).context?.sqlState === '42501') return undefined;
      throw err;
    });
    if (identity) expect(identity).toEqual({ systemIdentifier: expect.stringMatching(/^\d+$/), database: expect.any(String) });
  },
};

beforeAll(async () => {
  target = await contractTarget();
  instance = await target.open();
  [sample] = (await queries.selectScansWithFiles(instance.db, [target.sampleScanId])) as [ScanWithFiles];
  details = await queries.selectScanDetails(instance.db, [target.sampleScanId]);
});
afterAll(async () => {
  await instance?.close();
  await target?.close();
});

describe('queries on the contract target', () => {
  it.each(Object.keys(CHECKS) as Array<keyof typeof queries>)('%s', async (name) => {
    await CHECKS[name]();
  });

  it('runs in a read-only session: a write is refused', async () => {
    await expect(instance.db.query("UPDATE realograms_implementation_scan SET status = status WHERE id = $1", [sample.id])).rejects.toThrow(/read-only/);
  });
});
