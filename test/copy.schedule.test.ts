/**
 * The two schedules, told apart by their events. Pipelined: batches overlap (the next one
 * starts before the previous one completes) while each scan still goes download -> upload ->
 * create. Barrier (the seed tool's, for the benchmark): one batch at a time, and within it
 * every download before any upload, every upload before any create.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyScans, type CopyEvent } from '../src/workflows/copy.js';
import { censusByFileSets, startCopyPair, type CopyPair } from './helpers/copy.js';

describe('copy schedules', () => {
  let pair: CopyPair;
  let stores: number[];
  beforeAll(async () => {
    pair = await startCopyPair({ scans: 12 });
    stores = (await pair.target.db.query<{ id: number }>('SELECT id FROM master_data_implementation_store ORDER BY id LIMIT 2')).map((r) => r.id);
    pair.source.setFaults('*:latency=10ms~5ms');
    pair.target.setFaults('*:latency=10ms~5ms');
  });
  afterAll(async () => pair?.close());

  it('pipelines: batches overlap and each scan is created only after its own files are uploaded', async () => {
    const events: CopyEvent[] = [];
    const result = await copyScans(pair.options({ targetStoreId: stores[0], batchSize: 3 }), { onEvent: (e) => events.push(e) });
    expect(result.created).toBe(12);
    const at = (pred: (e: CopyEvent) => boolean): number => events.findIndex(pred);
    expect(at((e) => e.type === 'batch-start' && e.batch === 2)).toBeLessThan(at((e) => e.type === 'batch-complete' && e.batch === 1));
    for (const id of pair.scanIds) {
      const created = at((e) => e.type === 'created' && e.scanId === id);
      const lastUpload = events.map((e, i) => (e.type === 'uploaded' && e.scanId === id ? i : -1)).reduce((a, b) => Math.max(a, b));
      expect(lastUpload).toBeGreaterThan(-1);
      expect(created).toBeGreaterThan(lastUpload);
    }
  });

  it('barrier mode: one batch at a time, all downloads, then all uploads, then all creates', async () => {
    const events: CopyEvent[] = [];
    const result = await copyScans(pair.options({ targetStoreId: stores[1], batchSize: 3, barrier: true }), { onEvent: (e) => events.push(e) });
    expect(result.created).toBe(12);
    for (let batch = 1; batch <= 4; batch++) {
      const of = (type: CopyEvent['type']): number[] => events.flatMap((e, i) => (e.type === type && 'batch' in e && e.batch === batch ? [i] : []));
      expect(Math.max(...of('downloaded'))).toBeLessThan(Math.min(...of('uploaded')));
      expect(Math.max(...of('uploaded'))).toBeLessThan(Math.min(...of('created')));
      if (batch > 1) {
        const previousDone = events.findIndex((e) => e.type === 'batch-complete' && e.batch === batch - 1);
        expect(Math.min(...of('batch-start'))).toBeGreaterThan(previousDone);
      }
    }
    expect(await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, stores[1])).toMatchObject({ duplicates: 0, missing: 0 });
  });
});
