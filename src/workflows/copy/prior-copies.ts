/**
 * What other runs did, through the ledger. A run registers its folder when it opens; killed
 * runs never record their end, so every unfinished run into the same target store is read
 * from its own checkpoint and journal (the truth of what it sent) and its created scans are
 * recorded, before anything is looked up. Then a scan of this run that the ledger holds a
 * copy of is skipped ("already copied in run ..."), and one another unfinished run holds a
 * create in doubt for fails until that run is resumed: copying it now could make a second
 * scan. At the end the run records its copies, and is finished once nothing of it is in doubt.
 */
import type { Queryable } from '../../platform/db.js';
import type { Job } from './checkpoint.js';
import { readRunScans, type OpenedJob } from './job.js';
import { copiesOf, finishRun, recordCopies, registerRun, runsOfJob, unfinishedRuns, type Ledger, type LedgerCopy } from './ledger.js';
import { checkpointIn } from './run-folder.js';
import { isSettled, type ScanState } from './state.js';

export type PriorCopy = { kind: 'copied'; targetScanId: number; runDir: string } | { kind: 'in-doubt'; runDir: string };

/**
 * Opens the job in one turn of the ledger: unfinished runs read in, the job's run folders
 * looked up (`open` is openJob with them), this run registered, and for each scan it has not
 * begun, what another run did with it. The ledger is held only this long.
 */
export async function openThroughLedger(ledger: Ledger, asked: Job, open: (knownRuns: readonly string[]) => Promise<OpenedJob>): Promise<{ opened: OpenedJob; prior: Map<number, PriorCopy> }> {
  let opened: OpenedJob | undefined;
  try {
    return await ledger.use(async (tx) => {
      const inDoubt = await ingestUnfinished(tx, asked.target, asked.target_store);
      opened = await open(await runsOfJob(tx, asked.fingerprint));
      const { job } = opened;
      const runDir = opened.files.dir;
      await registerRun(tx, { runDir, job: job.fingerprint, sourceInstance: job.source, targetInstance: job.target, targetStore: job.target_store });
      const { state } = opened;
      const pending = opened.scanIds.filter((id) => !isSettled(state.scan(id)) && state.scan(id).create_intent === undefined);
      const prior = new Map<number, PriorCopy>();
      const copies = await copiesOf(tx, { sourceInstance: job.source, targetInstance: job.target, targetStore: job.target_store }, pending);
      for (const [id, copy] of copies) if (copy.runDir !== runDir) prior.set(id, { kind: 'copied', ...copy });
      for (const id of pending) {
        const doubt = inDoubt.get(`${job.source} ${id}`);
        // A run this one restarted has had its checkpoint discarded: its doubts went with it.
        if (!prior.has(id) && doubt && doubt !== runDir && (await checkpointIn(doubt))) prior.set(id, { kind: 'in-doubt', runDir: doubt });
      }
      return { opened, prior };
    });
  } catch (err) {
    if (opened) {
      await opened.state.close();
      await opened.unlock();
    }
    throw err;
  }
}

/** This run's created scans into the ledger; the run is finished when none of its creates is in doubt. */
export async function recordRun(ledger: Ledger, job: Job, runDir: string, scans: ReadonlyMap<number, ScanState>): Promise<void> {
  await ledger.use(async (tx) => {
    await recordCopies(tx, createdCopies(job, runDir, scans));
    if (![...scans.values()].some((s) => s.create_intent !== undefined)) await finishRun(tx, runDir);
  });
}

/**
 * Records what every unfinished run into the store created; returns `source scan` ->
 * run folder for creates still in doubt. A run whose folder or checkpoint is gone has
 * nothing more to tell and is finished.
 */
async function ingestUnfinished(tx: Queryable, targetInstance: string, targetStore: number): Promise<Map<string, string>> {
  const inDoubt = new Map<string, string>();
  for (const dir of await unfinishedRuns(tx, targetInstance, targetStore)) {
    const run = await readRunScans(dir);
    if (!run) {
      await finishRun(tx, dir);
      continue;
    }
    await recordCopies(tx, createdCopies(run.job, dir, run.scans));
    for (const [id, s] of run.scans) if (s.status !== 'created' && s.create_intent !== undefined) inDoubt.set(`${run.job.source} ${id}`, dir);
  }
  return inDoubt;
}

function createdCopies(job: Job, runDir: string, scans: ReadonlyMap<number, ScanState>): LedgerCopy[] {
  return [...scans].flatMap(([id, s]) =>
    s.status === 'created' && s.target_scan_id !== undefined
      ? [{ sourceInstance: job.source, sourceScanId: id, targetInstance: job.target, targetStore: job.target_store, targetScanId: s.target_scan_id, runDir }]
      : [],
  );
}
