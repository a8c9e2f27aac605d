/**
 * The job store of one run folder (job-store.ts is the contract): the checkpoint, the journal
 * of the records made after it, and the folder's lock file. A record is applied in memory and
 * appended to the journal (fsynced, group-committed) in the same call, so the journal and the
 * checkpoint it is compacted into always describe at least what may have happened. Opening
 * replays the journal records the checkpoint does not hold; compacting writes the checkpoint
 * atomically, then cuts the journal back to its header.
 */
import { ScanCopyError } from '../../core/errors.js';
import { Journal, readJournal, type JournalLine } from '../../core/journal.js';
import { CHECKPOINT_FORMAT, readCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import { batchesOf, type Batch, type JobMeta, type JobStore, type OpenedStore } from './job-store.js';
import { journalIn, lockRun, removeLeftovers, type RunFiles } from './run-folder.js';
import { applyRecord, parseJournalRecord, type JobHeader, type JournalRecord, type ScanState } from './state.js';

interface Open {
  meta: JobMeta;
  journal: Journal<JobHeader, JournalRecord>;
  scans: Map<number, ScanState>;
  completed: Set<number>;
  batches: Batch[];
}

export class LocalJobStore implements JobStore {
  readonly #files: RunFiles;
  readonly #start: JobMeta | undefined;
  #locked = false;
  #open: Open | undefined;
  /** Leases go out in job order: a batch once passed is not handed out again by this store. */
  #nextBatch = 0;

  /** `start`: a new job, whose first checkpoint `open` writes; without it, the folder's checkpoint is read. */
  constructor(files: RunFiles, start?: JobMeta) {
    this.#files = files;
    this.#start = start;
  }

  async lock(): Promise<() => Promise<void>> {
    const release = await lockRun(this.#files.dir);
    this.#locked = true;
    return async () => {
      this.#locked = false;
      await release();
    };
  }

  async open(): Promise<OpenedStore> {
    if (!this.#locked) throw new ScanCopyError('INTERNAL', `the job store in ${this.#files.dir} was opened without its lock`);
    if (this.#open) throw new ScanCopyError('INTERNAL', `the job store in ${this.#files.dir} is open already`);
    return this.#start ? this.#create(this.#start) : this.#resume();
  }

  async #create(meta: JobMeta): Promise<OpenedStore> {
    const scans = new Map<number, ScanState>(meta.scanIds.map((id, i) => [id, { batch: Math.floor(i / meta.batchSize) + 1, status: 'pending', attempts: 0 }]));
    // The checkpoint comes first: a folder without one holds nothing that was sent.
    await writeCheckpoint(this.#files.checkpoint, checkpointOf(meta, scans, new Set(), 0));
    const { journal } = await Journal.open<JobHeader, JournalRecord>(this.#files.journal, { fingerprint: meta.job.fingerprint }, 0, parseJournalRecord);
    this.#open = { meta, journal, scans, completed: new Set(), batches: batchesOf(meta.scanIds, meta.batchSize) };
    return { meta, repaired: { tornJournal: false, leftovers: 0 } };
  }

  async #resume(): Promise<OpenedStore> {
    const { dir } = this.#files;
    // Read under the lock: a run that ended meanwhile may have compacted its journal into a newer checkpoint.
    const checkpoint = await readCheckpoint(this.#files.checkpoint);
    const leftovers = await removeLeftovers(dir);
    const { journal, contents } = await Journal.open<JobHeader, JournalRecord>(this.#files.journal, { fingerprint: checkpoint.job.fingerprint }, checkpoint.journal_seq, parseJournalRecord);
    if (contents.header && contents.header.fingerprint !== checkpoint.job.fingerprint) {
      await journal.close();
      throw new ScanCopyError('JOB_MISMATCH', `the journal in ${dir} belongs to another job than its checkpoint`, {
        hint: 'Nothing was deleted. Move the run folder away or start over with --restart.',
      });
    }
    const { scans, completed } = replayed(checkpoint, contents.lines);
    const meta = metaOf(checkpoint);
    this.#open = { meta, journal, scans, completed, batches: batchesOf(meta.scanIds, meta.batchSize) };
    return { meta, repaired: { tornJournal: contents.torn, leftovers } };
  }

  get scans(): ReadonlyMap<number, ScanState> {
    return this.#opened().scans;
  }

  get completedBatches(): ReadonlySet<number> {
    return this.#opened().completed;
  }

  scan(id: number): ScanState {
    const scan = this.#opened().scans.get(id);
    if (!scan) throw new ScanCopyError('INTERNAL', `scan ${id} is not part of this job`);
    return scan;
  }

  record(record: JournalRecord): Promise<void> {
    const { scans, completed, journal } = this.#opened();
    applyRecord(scans, completed, record);
    return journal.append(record);
  }

  async lease(): Promise<Batch | undefined> {
    const { batches, completed } = this.#opened();
    while (this.#nextBatch < batches.length) {
      const batch = batches[this.#nextBatch++] as Batch;
      if (!completed.has(batch.number)) return batch;
    }
    return undefined;
  }

  /** One worker holds every lease of the job, in memory: the next store (a resume) leases the batch again. */
  async release(): Promise<void> {}

  compact(midWrite?: () => void): Promise<void> {
    const { journal, meta, scans, completed } = this.#opened();
    return journal.compact((upto) => writeCheckpoint(this.#files.checkpoint, checkpointOf(meta, scans, completed, upto), midWrite));
  }

  async close(): Promise<void> {
    await this.#open?.journal.close();
  }

  #opened(): Open {
    if (!this.#open) throw new ScanCopyError('INTERNAL', `the job store in ${this.#files.dir} is not open`);
    return this.#open;
  }
}

export function checkpointOf(meta: JobMeta, scans: ReadonlyMap<number, ScanState>, completed: ReadonlySet<number>, journalSeq: number): Checkpoint {
  const ordered = meta.scanIds.map((id) => [id, scans.get(id) as ScanState] as const);
  return {
    format: CHECKPOINT_FORMAT,
    completed_batches: [...completed].sort((a, b) => a - b),
    scan_mapping: ordered.filter(([, s]) => s.status === 'created').map(([id, s]) => ({ source_scan_id: id, target_scan_id: s.target_scan_id as number })),
    failed_scans: ordered.filter(([, s]) => s.status === 'failed').length,
    job: meta.job,
    ts: meta.ts,
    started_at: meta.startedAt,
    updated_at: new Date().toISOString(),
    captured_at: meta.capturedAt,
    batch_size: meta.batchSize,
    journal_seq: journalSeq,
    scan_ids: [...meta.scanIds],
    scans: Object.fromEntries(ordered.map(([id, s]) => [String(id), s])),
    ...(meta.instances ? { instances: meta.instances } : {}),
  };
}

function metaOf(checkpoint: Checkpoint): JobMeta {
  return {
    job: checkpoint.job, ts: checkpoint.ts, startedAt: checkpoint.started_at, capturedAt: checkpoint.captured_at, batchSize: checkpoint.batch_size,
    scanIds: [...checkpoint.scan_ids], ...(checkpoint.instances ? { instances: checkpoint.instances } : {}),
  };
}

/** The checkpoint's state with the journal records it does not hold applied. */
function replayed(checkpoint: Checkpoint, lines: ReadonlyArray<JournalLine<JournalRecord>>): { scans: Map<number, ScanState>; completed: Set<number> } {
  const scans = new Map<number, ScanState>(checkpoint.scan_ids.map((id) => [id, structuredClone(checkpoint.scans[String(id)] as ScanState)]));
  const completed = new Set(checkpoint.completed_batches);
  for (const line of lines) if (line.seq > checkpoint.journal_seq) applyRecord(scans, completed, line.record);
  return { scans, completed };
}

/**
 * A run folder's state as its checkpoint and the journal after it say, read only (no lock,
 * nothing repaired or written): another process may be writing them, so a torn last line is
 * left out, and an unreadable journal or one of another job reads as no records.
 */
export async function readRecordedState(dir: string, checkpoint: Checkpoint): Promise<{ scans: Map<number, ScanState>; completed: Set<number> }> {
  const contents = await readJournal<JobHeader, JournalRecord>(journalIn(dir), parseJournalRecord).catch(() => undefined);
  const ours = contents !== undefined && (contents.header === undefined || contents.header.fingerprint === checkpoint.job.fingerprint);
  return replayed(checkpoint, ours ? contents.lines : []);
}
