/**
 * A create the target refuses for now (429 with Retry-After) made nothing, so it is sent
 * again, paced by the target client's retry policy: the server's Retry-After (capped), and
 * no resend at all once the shared retry budget is spent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryPolicy, type RetryOptions } from '../src/core/retry.js';
import { PlatformApi } from '../src/platform/api.js';
import type { ScanPayload } from '../src/platform/types.js';
import { copyScans } from '../src/workflows/copy.js';
import { censusByFileSets, startCopyPair, type CopyPair } from './helpers/copy.js';

describe('creates answered 429', () => {
  let pair: CopyPair;
  beforeAll(async () => {
    pair = await startCopyPair({ scans: 8, target: { faultSeed: 5 } });
  });
  afterAll(async () => pair?.close());

  /** The real target client, with its policy's waits recorded and its creates counted. */
  function observedTarget(options: RetryOptions) {
    const waits: number[] = [];
    const retry = new RetryPolicy({
      ...options,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const api = new PlatformApi({ baseUrl: pair.target.apiUrl, username: pair.target.username, password: pair.target.password, retry });
    let creates = 0;
    const target = {
      uploadFile: api.uploadFile.bind(api),
      createScan: (payload: ScanPayload, opts?: { signal?: AbortSignal }) => {
        creates += 1;
        return api.createScan(payload, opts);
      },
      retry,
    };
    return { api, target, waits, creates: () => creates };
  }

  it("sends a refused create again after the server's Retry-After, capped by the policy, and creates each scan once", async () => {
    const [store] = await pair.target.db.query<{ id: number }>('SELECT min(id) AS id FROM master_data_implementation_store');
    const storeId = store?.id as number;
    const observed = observedTarget({ retryAfterCapMs: 40, budgetMinRetries: 100_000 });
    pair.target.setFaults('create:429=0.5');
    try {
      const result = await copyScans(pair.options({ targetStoreId: storeId, createAttempts: 20, batchRetries: 0, target: { apiUrl: pair.target.apiUrl, api: observed.target, db: pair.target.db } }));
      expect(result).toMatchObject({ created: 8, failed: 0 });
    } finally {
      pair.target.setFaults('');
      await observed.api.close();
    }
    const refused = observed.creates() - 8;
    expect(refused).toBeGreaterThan(0);
    // Retry-After: 1 (1000 ms) cut to the policy's cap, once per refused create.
    expect(observed.waits).toEqual(Array.from({ length: refused }, () => 40));
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, storeId);
    expect(census).toMatchObject({ duplicates: 0, missing: 0, targets: 8 });
  });

  it('does not send a refused create again once the retry budget is spent', async () => {
    const [, store] = await pair.target.db.query<{ id: number }>('SELECT id FROM master_data_implementation_store ORDER BY id LIMIT 2');
    const observed = observedTarget({ budgetRatio: 0, budgetMinRetries: 0 });
    pair.target.setFaults('create:429=1');
    let result;
    try {
      result = await copyScans(pair.options({ targetStoreId: store?.id as number, createAttempts: 5, batchRetries: 0, target: { apiUrl: pair.target.apiUrl, api: observed.target, db: pair.target.db } }));
    } finally {
      pair.target.setFaults('');
      await observed.api.close();
    }
    expect(result).toMatchObject({ created: 0, failed: 8 });
    expect(result.failures.every((f) => f.code === 'RATE_LIMITED' && f.stage === 'create')).toBe(true);
    expect(observed.creates()).toBe(8);
    expect(observed.waits).toEqual([]);
  });
});
