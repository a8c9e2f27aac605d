/**
 * Creates whose answers are lost (the sandbox creates the scan, then answers 502) against a
 * target that accepts reused files, so that a blind re-create would duplicate a scan: with
 * the target DB every lost create is found and adopted; without it, batch retries never
 * create such a scan again, and a later resume with the DB settles them all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyScans, type CopyEvent } from '../src/workflows/copy.js';
import { testEngines } from './helpers/databases.js';
import { censusByFileSets, startCopyPair, type CopyPair } from './helpers/copy.js';

describe.each(testEngines())('lost create answers on $name', (engine) => {
  let pair: CopyPair;
  beforeAll(async () => {
    pair = await startCopyPair({ engine, scans: 20, target: { rejectReusedFiles: false, faultSeed: 11 } });
  });
  afterAll(async () => pair?.close());

  it('adopts every scan whose create answer was lost, found in the target DB by its files', async () => {
    pair.target.setFaults('create:lost=0.5');
    const [store] = await pair.target.db.query<{ id: number }>('SELECT min(id) AS id FROM master_data_implementation_store');
    const events: CopyEvent[] = [];
    const result = await copyScans(pair.options({ targetStoreId: store?.id as number, batchSize: 5 }), { onEvent: (e) => events.push(e) });
    pair.target.setFaults('');

    expect(result).toMatchObject({ created: 20, failed: 0 });
    const adopted = events.filter((e): e is Extract<CopyEvent, { type: 'reconciled' }> => e.type === 'reconciled' && e.targetScanId !== null);
    expect(adopted.length).toBeGreaterThan(3);
    expect(events.filter((e) => e.type === 'created' && e.via === 'reconciled')).toHaveLength(adopted.length);
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, store?.id as number);
    expect(census).toMatchObject({ duplicates: 0, missing: 0, targets: 20 });
  });

  it('never creates a scan again in batch retries without the target DB, and a resume with it settles every scan once', async () => {
    const [, store] = await pair.target.db.query<{ id: number }>('SELECT id FROM master_data_implementation_store ORDER BY id LIMIT 2');
    const storeId = store?.id as number;
    // Lost (created, answered 502) or refused before anything happened (503): neither tells which.
    pair.target.setFaults('create:lost=0.35,create:503=0.35');
    const events: CopyEvent[] = [];
    const noDb = pair.options({ targetStoreId: storeId, batchSize: 5, target: { apiUrl: pair.target.apiUrl, api: pair.targetApi } });
    const first = await copyScans(noDb, { onEvent: (e) => events.push(e) });
    pair.target.setFaults('');

    expect(first.created + first.failed).toBe(20);
    expect(first.failed).toBeGreaterThan(3);
    expect(events.some((e) => e.type === 'batch-retry')).toBe(true);
    const unknown = first.failures.filter((f) => f.code === 'OUTCOME_UNKNOWN');
    expect(unknown).toHaveLength(first.failed);
    expect(unknown.every((f) => f.reason.startsWith('outcome unknown'))).toBe(true);
    // Retries looked, found no answer, and sent nothing: every scan on the target is there once.
    const before = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, storeId);
    expect(before.duplicates).toBe(0);
    expect(before.targets).toBeGreaterThan(first.created);

    const second = await copyScans(pair.options({ targetStoreId: storeId, resume: true }));
    expect(second).toMatchObject({ created: 20, failed: 0, resumed: true });
    const after = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, storeId);
    expect(after).toMatchObject({ duplicates: 0, missing: 0, targets: 20 });
  });

  it('retries only the failed scans of a batch, reusing their uploaded files', async () => {
    const [, , store] = await pair.target.db.query<{ id: number }>('SELECT id FROM master_data_implementation_store ORDER BY id LIMIT 3');
    const storeId = store?.id as number;
    pair.target.setFaults('create:503=0.8');
    const events: CopyEvent[] = [];
    const result = await copyScans(pair.options({ targetStoreId: storeId, batchSize: 10, createAttempts: 1, batchRetries: 3 }), { onEvent: (e) => events.push(e) });
    pair.target.setFaults('');

    const retries = events.filter((e): e is Extract<CopyEvent, { type: 'batch-retry' }> => e.type === 'batch-retry');
    expect(retries.length).toBeGreaterThan(0);
    for (const r of retries) expect(r.rates.create).toBeLessThan(0.5);
    const uploads = new Map<string, number>();
    for (const e of events) if (e.type === 'uploaded') uploads.set(`${e.scanId}:${e.fileId}`, (uploads.get(`${e.scanId}:${e.fileId}`) ?? 0) + 1);
    expect([...uploads.values()].every((n) => n === 1)).toBe(true);
    const createdTwice = new Set<number>();
    const created = new Set<number>();
    for (const e of events) if (e.type === 'created') (created.has(e.scanId) ? createdTwice : created).add(e.scanId);
    expect(createdTwice.size).toBe(0);
    const retried = events.filter((e): e is Extract<CopyEvent, { type: 'batch-start' }> => e.type === 'batch-start' && e.attempt > 1);
    for (const r of retried) for (const id of r.scanIds) expect(created.has(id) && events.findIndex((e) => e.type === 'created' && e.scanId === id) < events.indexOf(r)).toBe(false);
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, storeId);
    expect(census.duplicates).toBe(0);
    expect(census.targets).toBe(result.created);
  });
});
