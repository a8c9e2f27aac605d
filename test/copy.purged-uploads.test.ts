/**
 * Purged uploads (platform.md section 9): a target that deletes uploads no scan uses. A copy
 * whose creates all failed leaves its uploads unused; once they are purged, the resume's
 * creates are answered 400 naming the files, which is known not applied: the files are
 * uploaded again and the scans created, once each, with no --restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyScans, type CopyEvent } from '../src/workflows/copy.js';
import { testEngines } from './helpers/databases.js';
import { censusByFileSets, startCopyPair, type CopyPair } from './helpers/copy.js';

describe.each(testEngines())('purged uploads on $name', (engine) => {
  let pair: CopyPair;
  beforeAll(async () => {
    // Long enough for an upload to reach its create on a loaded machine, short enough to wait for.
    pair = await startCopyPair({ engine, scans: 8, target: { rejectReusedFiles: false, purgeUnusedUploadsMs: 8000 } });
  });
  afterAll(async () => pair?.close());

  it('uploads the purged files again on resume and creates each scan once', async () => {
    // Refused before anything happened, for every create: the uploads stay unused.
    pair.target.setFaults('create:429=1');
    const first = await copyScans(pair.options({ batchSize: 4, createAttempts: 1, batchRetries: 0 }));
    pair.target.setFaults('');
    expect(first).toMatchObject({ created: 0, failed: 8 });
    await pair.target.waitForDeferredWork();
    const [{ n } = { n: -1 }] = await pair.target.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sandbox_fileupload');
    expect(n).toBe(0);

    const events: CopyEvent[] = [];
    const second = await copyScans(pair.options({ batchSize: 4, resume: true }), { onEvent: (e) => events.push(e) });
    expect(second).toMatchObject({ created: 8, failed: 0, resumed: true, duplicates: [] });
    expect(events.filter((e) => e.type === 'uploads-purged').map((e) => (e as { scanId: number }).scanId).sort()).toEqual([...pair.scanIds].sort());
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, pair.targetStoreId);
    expect(census).toMatchObject({ duplicates: 0, missing: 0, targets: 8 });
  });
});
