/**
 * A 429 is the target saying "later", not "no": nothing was made, and the server asked to be
 * called again. When the retry budget is already spent (an earlier burst of refusals took it),
 * a scan whose upload or create was refused must get the batch's next round, even when the
 * batch's success rates are above the seed's retry thresholds; otherwise a few scans are lost
 * to a burst and the copy ends "failed" for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryPolicy } from '../src/core/retry.js';
import { PlatformApi } from '../src/platform/api.js';
import { copyScans } from '../src/workflows/copy.js';
import { censusByFileSets, startCopyPair, type CopyPair } from './helpers/copy.js';

describe('scans refused for now (429) after the retry budget is spent', () => {
  let pair: CopyPair;
  beforeAll(async () => {
    pair = await startCopyPair({ scans: 20, target: { faultSeed: 11 } });
  });
  afterAll(async () => pair?.close());

  it('copies them in a later round of their batch, once each, although the batch is above its thresholds', async () => {
    // No retry of a call at all: every refused upload or create fails its scan's attempt.
    const retry = new RetryPolicy({ budgetRatio: 0, budgetMinRetries: 0 });
    const api = new PlatformApi({ baseUrl: pair.target.apiUrl, username: pair.target.username, password: pair.target.password, retry });
    const retried: number[] = [];
    pair.target.setFaults('upload:429=0.08,create:429=0.08');
    let result;
    try {
      result = await copyScans(pair.options({ batchSize: 10, batchRetries: 5, target: { apiUrl: pair.target.apiUrl, api, db: pair.target.db } }), {
        onEvent: (event) => {
          if (event.type === 'batch-retry') retried.push(event.items);
        },
      });
    } finally {
      pair.target.setFaults('');
      await api.close();
    }
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({ created: 20, failed: 0 });
    expect(retried.length).toBeGreaterThan(0);
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, pair.targetStoreId);
    expect(census).toMatchObject({ duplicates: 0, missing: 0, targets: 20 });
  });
});
