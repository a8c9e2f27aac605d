import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../src/platform/db.js';
import { testEngines } from './helpers/databases.js';

describe.each(testEngines())('value types on $name', (engine) => {
  let url: string;
  let db: Db;
  beforeAll(async () => {
    url = await engine.create();
    db = await openDb(url);
  });
  afterAll(async () => {
    await db?.close();
    await engine.drop(url);
  });

  it('returns bigint, numeric and their arrays as numbers, dates as YYYY-MM-DD', async () => {
    const [row] = await db.query(
      "SELECT 9007199254740991::bigint AS big, 12.34::numeric(5,2) AS pct, ARRAY[1, 2]::bigint[] AS ids, ARRAY[1.5]::numeric[] AS pcts, '2026-11-27'::date AS day, count(*) AS n FROM (VALUES (1)) v",
    );
    expect(row).toEqual({ big: 9007199254740991, pct: 12.34, ids: [1, 2], pcts: [1.5], day: '2026-11-27', n: 1 });
  });

  it('returns timestamptz as Date and jsonb as objects', async () => {
    const [row] = await db.query<{ at: Date; data: unknown }>(`SELECT '2026-11-27T10:00:00Z'::timestamptz AS at, '{"a": [1]}'::jsonb AS data`);
    expect(row?.at).toBeInstanceOf(Date);
    expect(row?.at.toISOString()).toBe('2026-11-27T10:00:00.000Z');
    expect(row?.data).toEqual({ a: [1] });
  });
});
