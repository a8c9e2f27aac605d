/**
 * findScans and resolveScanIds through openInstance (the read-only session a command uses),
 * against a seeded sandbox on each engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCopyError } from '../src/core/errors.js';
import { openInstance, type Instance } from '../src/platform/instance.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { findScans, isDay, resolveScanIds } from '../src/workflows/find.js';
import { testEngines } from './helpers/databases.js';
import { startTestSandbox } from './helpers/sandbox.js';

interface Row {
  id: number;
  store_id: number;
  day: string;
  status: string;
  has_report: boolean;
}

describe.each(testEngines())('findScans on $name', (engine) => {
  let sandbox: RunningSandbox;
  let instance: Instance;
  let rows: Row[];

  beforeAll(async () => {
    sandbox = await startTestSandbox({ engine, seedDemo: { scans: 16, seed: 3 } });
    instance = await openInstance({ name: 'src', apiUrl: sandbox.apiUrl, dbUrl: sandbox.dbUrl, username: sandbox.username, password: sandbox.password, dbPassword: '' });
    // Leave one scan unprocessed, so done-only has something to drop.
    await sandbox.db.query("UPDATE realograms_implementation_scan SET status = 'pending', has_report = false WHERE id = (SELECT max(id) FROM realograms_implementation_scan)");
    rows = await sandbox.db.query<Row>(
      "SELECT id, store_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, status, has_report FROM realograms_implementation_scan ORDER BY created_at DESC, id DESC",
    );
  }, 60_000);
  afterAll(async () => {
    await instance?.close();
    await sandbox?.close();
  });

  it('finds a store\'s scans of a day, newest first, with their file counts', async () => {
    const first = rows[0] as Row;
    const expected = rows.filter((r) => r.store_id === first.store_id && r.day === first.day);
    const found = await findScans(instance.db, { storeId: first.store_id, from: first.day, to: first.day });
    expect(found.map((s) => s.id)).toEqual(expected.map((r) => r.id));
    for (const scan of found) expect(scan.fileCount).toBeGreaterThan(0);
  });

  it('takes a day range, and done-only drops unprocessed scans', async () => {
    const storeId = (rows[0] as Row).store_id;
    const days = rows.map((r) => r.day).sort();
    const from = days[0] as string;
    const to = days.at(-1) as string;
    const all = await findScans(instance.db, { storeId, from, to });
    expect(all.map((s) => s.id)).toEqual(rows.filter((r) => r.store_id === storeId).map((r) => r.id));
    const done = await findScans(instance.db, { storeId, from, to, doneOnly: true });
    expect(done.map((s) => s.id)).toEqual(rows.filter((r) => r.store_id === storeId && r.status === 'done' && r.has_report).map((r) => r.id));
    expect(done.length).toBe(all.length - 1);
  });

  it('resolves a selection to scan ids: ids as given (deduplicated), or by store and days', async () => {
    expect(await resolveScanIds(instance.db, { kind: 'ids', ids: [5, 3, 5, 9] })).toEqual([5, 3, 9]);
    const first = rows[0] as Row;
    const ids = await resolveScanIds(instance.db, { kind: 'store', storeId: first.store_id, from: first.day, to: first.day });
    expect(ids).toContain(first.id);
  });

  it('the instance session is read-only', async () => {
    await expect(instance.db.query("UPDATE realograms_implementation_scan SET status = 'x'")).rejects.toMatchObject({ code: 'DB_ERROR' });
  });
});

describe('findScans input checks', () => {
  const db = { query: async () => [] };
  it.each([
    [{ storeId: 1, from: '2026-02-30', to: '2026-03-01' }, /from = "2026-02-30": expected a day/],
    [{ storeId: 1, from: '2026-03-02', to: '2026-03-01' }, /from is after to/],
    [{ storeId: 0, from: '2026-03-01', to: '2026-03-01' }, /store = 0/],
  ])('%j is a USAGE error', async (options, message) => {
    const err = await findScans(db, options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScanCopyError);
    expect((err as ScanCopyError).code).toBe('USAGE');
    expect((err as ScanCopyError).message).toMatch(message);
  });

  it('knows calendar days', () => {
    expect(isDay('2024-02-29')).toBe(true);
    expect(isDay('2025-02-29')).toBe(false);
    expect(isDay('2025-1-01')).toBe(false);
  });
});
