/**
 * The job store contract (src/workflows/copy/job-store.ts) as one suite over a harness, so
 * every implementation (the run folder's today, the ledger's next) proves the same things:
 * a resolved record survives a crash, leases go out in order and once per store, completed
 * batches stay completed, compaction changes nothing, and the lock has one holder.
 *
 * A crash is simulated by releasing the lock of a store that is never closed nor compacted:
 * what the next store reads is only what `record` had made durable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ScanCopyError } from '../../src/core/errors.js';
import type { JobStore } from '../../src/workflows/copy/job-store.js';
import type { JournalRecord, ScanState } from '../../src/workflows/copy/state.js';

export interface JobStoreHarness {
  /** A store of a new job of these scans in batches of `batchSize`: its `open` writes the first state. */
  start(scanIds: readonly number[], batchSize: number): JobStore;
  /** Another store on the job `start` made: what a resume, or a second process, opens. */
  again(): JobStore;
  /** Removes what the harness made. */
  dispose(): Promise<void>;
}

const SCANS = [11, 12, 13, 14, 15, 16, 17];
/** Batches of 3: [11 12 13] [14 15 16] [17]. */
const BATCH_SIZE = 3;

export function jobStoreContract(name: string, makeHarness: () => Promise<JobStoreHarness>): void {
  describe(`job store contract: ${name}`, () => {
    let harness: JobStoreHarness;
    const opened: JobStore[] = [];

    /** Locks and opens; the release is returned so a test can "crash" the store. */
    async function take(store: JobStore): Promise<{ store: JobStore; release: () => Promise<void> }> {
      const release = await store.lock();
      await store.open();
      opened.push(store);
      return { store, release };
    }

    async function startJob(): Promise<{ store: JobStore; release: () => Promise<void> }> {
      harness = await makeHarness();
      return take(harness.start(SCANS, BATCH_SIZE));
    }

    async function leaseAll(store: JobStore): Promise<number[]> {
      const numbers: number[] = [];
      for (let batch = await store.lease(); batch; batch = await store.lease()) numbers.push(batch.number);
      return numbers;
    }

    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
      await harness?.dispose();
    });

    it('has every resolved record in the next store, though the first was never closed nor compacted', async () => {
      const { store, release } = await startJob();
      const records: JournalRecord[] = [
        { t: 'attempt', scan: 11, attempt: 1 },
        { t: 'files', scan: 11, files: [1, 2] },
        { t: 'uploaded', scan: 11, index: 0, file: 101 },
        { t: 'uploaded', scan: 11, index: 1, file: 102 },
        { t: 'create-intent', scan: 11, files: [101, 102], at: 1_700_000_000_000 },
        { t: 'failed', scan: 12, stage: 'upload', code: 'UNREACHABLE', reason: 'reset' },
        { t: 'skipped', scan: 13, kind: 'no-files', reason: 'scan 13 has no files' },
      ];
      await Promise.all(records.map((r) => store.record(r)));
      const before = stateOf(store);
      await release();

      const { store: next } = await take(harness.again());
      expect(stateOf(next)).toEqual(before);
      expect(next.scan(11)).toMatchObject({ attempts: 1, target_file_ids: [101, 102], create_intent: [101, 102], create_intent_at: 1_700_000_000_000 });
      expect(next.scan(12)).toMatchObject({ status: 'failed', stage: 'upload', code: 'UNREACHABLE' });
      expect(next.scan(13)).toMatchObject({ status: 'skipped', code: 'NO_FILES' });
    });

    it('leases the batches in job order, each once, then nothing', async () => {
      const { store } = await startJob();
      const first = await store.lease();
      expect(first).toEqual({ number: 1, first: 1, scanIds: [11, 12, 13] });
      expect(await store.lease()).toEqual({ number: 2, first: 4, scanIds: [14, 15, 16] });
      expect(await store.lease()).toEqual({ number: 3, first: 7, scanIds: [17] });
      expect(await store.lease()).toBeUndefined();
      expect(await store.lease()).toBeUndefined();
    });

    it('leaves a released batch to the next store, not to the one that released it', async () => {
      const { store, release } = await startJob();
      expect(await leaseAll(store)).toEqual([1, 2, 3]);
      await store.record({ t: 'batch-complete', batch: 1 });
      await store.release(2);
      await store.record({ t: 'batch-complete', batch: 3 });
      expect(await store.lease()).toBeUndefined();
      await release();

      const { store: next } = await take(harness.again());
      expect(await leaseAll(next)).toEqual([2]);
    });

    it('never leases a completed batch again, whether the store was closed or crashed', async () => {
      const { store, release } = await startJob();
      await leaseAll(store);
      await store.record({ t: 'batch-complete', batch: 2 });
      await release();

      const { store: crashedInto, release: releaseAgain } = await take(harness.again());
      expect([...crashedInto.completedBatches]).toEqual([2]);
      expect(await crashedInto.lease()).toMatchObject({ number: 1 });
      await crashedInto.record({ t: 'batch-complete', batch: 1 });
      await crashedInto.close();
      await releaseAgain();

      const { store: last } = await take(harness.again());
      expect(await leaseAll(last)).toEqual([3]);
    });

    it('keeps the state as it was through a compaction, and records after it survive too', async () => {
      const { store, release } = await startJob();
      await store.record({ t: 'files', scan: 14, files: [7] });
      await store.record({ t: 'uploaded', scan: 14, index: 0, file: 700 });
      await store.record({ t: 'created', scan: 14, target: 9000, via: 'api' });
      await store.record({ t: 'batch-complete', batch: 3 });
      const before = stateOf(store);
      await store.compact();
      expect(stateOf(store)).toEqual(before);
      await store.record({ t: 'failed', scan: 15, stage: 'download', code: 'NOT_FOUND', reason: 'gone' });
      await store.compact();
      await store.record({ t: 'created', scan: 16, target: 9001, via: 'reconciled' });
      const after = stateOf(store);
      await release();

      const { store: next } = await take(harness.again());
      expect(stateOf(next)).toEqual(after);
      expect(next.scan(14)).toMatchObject({ status: 'created', target_scan_id: 9000, via: 'api' });
      expect(next.scan(16)).toMatchObject({ status: 'created', target_scan_id: 9001, via: 'reconciled' });
    });

    it('refuses a second holder of the lock (JOB_LOCKED) until the first releases it', async () => {
      const { release } = await startJob();
      const second = harness.again();
      const refused = await second.lock().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ScanCopyError);
      expect((refused as ScanCopyError).code).toBe('JOB_LOCKED');
      await release();
      await take(second);
    });

    it('reads nothing without the lock, and knows only the scans of its job', async () => {
      const { store, release } = await startJob();
      await release();
      const unlocked = harness.again();
      await expect(unlocked.open()).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(() => store.scan(99)).toThrow(expect.objectContaining({ code: 'INTERNAL' }) as Error);
    });
  });
}

/** A store's whole state, as plain data to compare. */
function stateOf(store: JobStore): { scans: Array<[number, ScanState]>; completed: number[] } {
  return { scans: structuredClone([...store.scans]), completed: [...store.completedBatches].sort((a, b) => a - b) };
}
