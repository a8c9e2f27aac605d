/**
 * Spooling: files that do not fit the memory budget go to `<run folder>/spool/` and are
 * uploaded from there; an upload retried after 503s and resets reads the spool again (the
 * file is downloaded once) and arrives byte-identical; and the spool is gone after a copy
 * that succeeded, one whose uploads all failed, and a resume that found a killed run's spool.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformApi, type ApiEvent } from '../src/platform/api.js';
import { copyScans, type CopyEvent } from '../src/workflows/copy.js';
import { censusByFileSets, startCopyPair, type CopyPair } from './helpers/copy.js';

/** Every file is larger than a quarter of this budget: all of them are spooled. */
const ALL_SPOOLED = 4;

async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String);
}

describe('a copy whose files are all spooled, against uploads that fail now and then', () => {
  let pair: CopyPair;
  const apiEvents: ApiEvent[] = [];
  let target: PlatformApi;
  beforeAll(async () => {
    pair = await startCopyPair({ scans: 10, target: { faults: 'upload:503=0.2,upload:reset=0.1', faultSeed: 7 } });
    target = new PlatformApi({
      baseUrl: pair.target.apiUrl, username: pair.target.username, password: pair.target.password,
      retry: { retries: 8, baseMs: 5, capMs: 20, retryAfterCapMs: 20, budgetMinRetries: 100_000 },
      onEvent: (e) => apiEvents.push(e),
    });
  });
  afterAll(async () => {
    await target?.close();
    await pair?.close();
  });

  it('uploads every file intact from its spool, downloading each once, and leaves no spool', async () => {
    const events: CopyEvent[] = [];
    const result = await copyScans(pair.options({ maxBytesInFlight: ALL_SPOOLED, target: { apiUrl: pair.target.apiUrl, api: target, db: pair.target.db } }), { onEvent: (e) => events.push(e) });
    expect(result).toMatchObject({ created: 10, failed: 0 });
    expect(result.peakBytesInFlight).toBe(0);
    const files = (await pair.source.db.query<{ n: number }>('SELECT count(*)::int AS n FROM realograms_implementation_scanfile WHERE scan_id = ANY($1::bigint[])', [pair.scanIds]))[0]?.n;
    expect(events.filter((e) => e.type === 'downloaded')).toHaveLength(files as number);
    expect(apiEvents.filter((e) => e.type === 'retry' && e.call === 'upload').length).toBeGreaterThan(0);
    expect(await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, pair.targetStoreId)).toMatchObject({ duplicates: 0, missing: 0 });
    expect(await entries(result.runDir)).not.toContain('spool');
  });

  it('removes a spool a killed run left when the job is resumed', async () => {
    const first = await copyScans(pair.options({ maxBytesInFlight: ALL_SPOOLED, resume: true }));
    await mkdir(join(first.runDir, 'spool'), { recursive: true });
    await writeFile(join(first.runDir, 'spool', `${pair.scanIds[0]}_0_dead.part`), 'left by a kill -9');
    const resumed = await copyScans(pair.options({ maxBytesInFlight: ALL_SPOOLED, resume: true }));
    expect(resumed.resumed).toBe(true);
    expect(await entries(resumed.runDir)).not.toContain('spool');
  });
});

describe('a copy whose spooled uploads all fail', () => {
  let pair: CopyPair;
  beforeAll(async () => {
    pair = await startCopyPair({ scans: 4, target: { faults: 'upload:503=1' } });
  });
  afterAll(async () => pair?.close());

  it('fails the scans and leaves no spool file', async () => {
    const result = await copyScans(pair.options({ maxBytesInFlight: ALL_SPOOLED, batchRetries: 0 }));
    expect(result).toMatchObject({ created: 0, failed: 4 });
    expect((await entries(result.runDir)).filter((e) => e.startsWith('spool') || e.endsWith('.part'))).toEqual([]);
  });
});
