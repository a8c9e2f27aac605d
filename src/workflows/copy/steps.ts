/**
 * The steps a scan goes through: checked (or skipped with its reason), each file downloaded
 * and uploaded, then created once. Every side effect is bracketed by journal records made
 * durable before and after it; a create is preceded by its intent, so that a lost answer is
 * always reconciled against the target database before anything is created again.
 */
import { rm } from 'node:fs/promises';
import { errorCodeOf, findScanCopyError, ScanCopyError, type ErrorCode } from '../../core/errors.js';
import { classify } from '../../core/failure.js';
import type { FileBytes } from '../../platform/multipart.js';
import type { ScanWithFiles } from '../../platform/types.js';
import { NOT_ON_SOURCE } from '../not-on-source.js';
import { describeCause } from './describe.js';
import { buildCreatePayload, unusablePayloadReason } from './payload.js';
import type { Attempt, Runtime } from './runtime.js';
import { settleIntent } from './settle.js';
import { uploadedFiles, type CopyStage, type SkipKind } from './state.js';
import type { StorePlanogramChoice } from './store-planograms.js';
import type { Stage } from '../../platform/stages.js';

/** `reupload`: the target purged the scan's uploads before the create; upload them again and create. */
export type StepOutcome = 'created' | 'skipped' | 'failed' | 'interrupted' | 'reupload';

export interface FileTask {
  scanId: number;
  index: number;
  fileId: number;
  /** The source's `file_type`, uploaded as the file's `input_type`. */
  fileType: string;
}

/** A downloaded file waiting for its upload: in memory (held in the budget) or in a spool file, with the sha256 it was written with. */
export interface Downloaded {
  body: FileBytes;
  contentType: string;
  filename: string;
  /**
   * Frees the memory it holds or deletes its spool file; the caller's, once the upload is
   * over. `answered`: the target answered the upload, so nothing reads the bytes any more.
   */
  release(answered: boolean): Promise<void>;
}

export type StepFailure = { stage: CopyStage; error: unknown; fileId?: number };

export interface Skip {
  skipped: SkipKind;
  reason: string;
}

/**
 * Failed before any transfer: not on the source (as download says it; a batch retry or a
 * resume looks again, since a replica may lag), or a mapped payload the target would refuse.
 */
export interface RefusedScan {
  code: ErrorCode;
  reason: string;
}

/**
 * Starts a scan's attempt: fails it when it is not on the source, skips it when it cannot be
 * copied, else records its files and returns the files still to transfer. Events are the
 * caller's, once the batch is announced.
 */
export async function prepareScan(rt: Runtime, scanId: number, row: ScanWithFiles | undefined, storePlanogram?: StorePlanogramChoice): Promise<FileTask[] | Skip | RefusedScan> {
  const scan = rt.state.scan(scanId);
  // Not a side effect: it rides along with the next record's fsync; a failed write surfaces there.
  rt.state.record({ t: 'attempt', scan: scanId, attempt: scan.attempts + 1 }).catch(() => undefined);
  const skip = async (kind: SkipKind, reason: string): Promise<Skip> => {
    await rt.state.record({ t: 'skipped', scan: scanId, kind, reason });
    rt.stats.settle(scanId, 'skipped');
    return { skipped: kind, reason };
  };
  const refuse = async (code: ErrorCode, reason: string): Promise<RefusedScan> => {
    await rt.state.record({ t: 'failed', scan: scanId, stage: 'read', code, reason });
    rt.stats.settle(scanId, 'failed');
    return { code, reason };
  };
  if (!row) return refuse('NOT_FOUND', NOT_ON_SOURCE);
  if (row.files.length === 0) return skip('no-files', `scan ${scanId} has no files`);
  const unusable = unusablePayloadReason(row.providedValues);
  if (unusable) return skip('no-payload', `scan ${scanId} has no usable payload: ${unusable}`);
  if (storePlanogram && 'refused' in storePlanogram) return refuse(storePlanogram.refused.code, describeCause(storePlanogram.refused));
  await rt.state.record({ t: 'files', scan: scanId, files: row.files.map((f) => f.fileId) });
  const targets = scan.target_file_ids ?? [];
  return row.files.map((f, index) => ({ scanId, index, fileId: f.fileId, fileType: f.fileType })).filter((t) => targets[t.index] === null || targets[t.index] === undefined);
}

export async function downloadStep(rt: Runtime, at: Attempt, task: FileTask): Promise<Downloaded | StepFailure> {
  const started = callClock();
  let held: Buffer | undefined;
  try {
    at.signal.throwIfAborted();
    at.startStage('download');
    // Asked per attempt once the size is known: memory when it fits the budget, else a spool file.
    const spoolTo = (declared: number | undefined): string | Buffer => {
      if (held) rt.memory.give(held, true);
      held = declared === undefined ? undefined : rt.memory.take(declared);
      return held ?? rt.spoolPath(task);
    };
    const file = await rt.source.api.fetchFile(task.fileId, { signal: at.signal, spoolTo, beforeSend: started.send });
    const latencyMs = started.elapsed();
    count(rt, at, 'download', task, true, { bytes: file.size, latencyMs });
    rt.emit({ type: 'downloaded', batch: at.batch, scanId: task.scanId, fileId: task.fileId, bytes: file.size, attempt: at.attempt, latencyMs, progress: { ...at.progress.download } });
    const filename = file.originalFilename || `file_${task.fileId}`;
    const hold = held;
    held = undefined;
    // A spool file is read back as it was written, or its upload does not complete (multipart.ts).
    const body: FileBytes = 'bytes' in file ? { bytes: file.bytes } : { path: file.path, size: file.size, sha256: file.sha256 };
    const free = 'bytes' in file
      ? async (answered: boolean): Promise<void> => {
        if (hold) rt.memory.give(hold, answered);
      }
      : () => rm(file.path, { force: true });
    // Beside the upload, not before it; the bytes are kept until the caller's look is over.
    const seen = rt.onSourceFile?.({ scanId: task.scanId, fileId: task.fileId, index: task.index, fileType: task.fileType, body }).catch(() => undefined);
    const release = async (answered: boolean): Promise<void> => {
      await seen;
      await free(answered);
    };
    return { body, contentType: file.contentType, filename, release };
  } catch (error) {
    // A failed download's buffer is read by nobody: the next file may have it.
    if (held) rt.memory.give(held, true);
    return fileFailure(rt, at, 'download', task, error, started.at());
  }
}

export async function uploadStep(rt: Runtime, at: Attempt, task: FileTask, file: Downloaded): Promise<number | StepFailure> {
  const started = callClock();
  try {
    at.signal.throwIfAborted();
    at.startStage('upload');
    await rt.state.record({ t: 'upload-intent', scan: task.scanId, index: task.index });
    const { id } = await rt.target.api.uploadFile({ ...file.body, filename: file.filename, contentType: file.contentType, inputType: task.fileType }, { signal: at.signal, beforeSend: started.send });
    rt.crashPoint('after-upload');
    await rt.state.record({ t: 'uploaded', scan: task.scanId, index: task.index, file: id });
    const latencyMs = started.elapsed();
    const bytes = 'bytes' in file.body ? file.body.bytes.length : file.body.size;
    count(rt, at, 'upload', task, true, { bytes, latencyMs });
    rt.emit({ type: 'uploaded', batch: at.batch, scanId: task.scanId, fileId: task.fileId, targetFileId: id, bytes, attempt: at.attempt, latencyMs, progress: { ...at.progress.upload } });
    return id;
  } catch (error) {
    return fileFailure(rt, at, 'upload', task, error, started.at());
  }
}

/**
 * A step's latency runs from its call's first send (the client's stage slot held), so time
 * spent waiting for a slot is not the call's; until then it runs from the step's start.
 */
function callClock(): { send: () => void; readonly sent: boolean; at: () => number; elapsed: () => number } {
  let from = Date.now();
  let sent = false;
  return {
    send: () => {
      if (sent) return;
      sent = true;
      from = Date.now();
    },
    get sent() {
      return sent;
    },
    at: () => from,
    elapsed: () => Date.now() - from,
  };
}

/**
 * Download then upload, holding a place among the files in transfer: when uploads are the
 * slower stage, downloads wait instead of piling files up (the calls themselves wait for the
 * clients' stage slots, the one bound on concurrent calls). The file's bytes are freed (or its
 * spool file deleted) once its upload is over, whatever the outcome.
 */
export async function transferStep(rt: Runtime, at: Attempt, task: FileTask): Promise<number | StepFailure> {
  const move = async (): Promise<number | StepFailure> => {
    const file = await downloadStep(rt, at, task);
    if (isFailure(file)) return file;
    let uploaded: number | StepFailure | undefined;
    try {
      uploaded = await uploadStep(rt, at, task, file);
      return uploaded;
    } finally {
      await file.release(typeof uploaded === 'number');
    }
  };
  return rt.transfer ? rt.transfer.run(move) : move();
}

/**
 * Creates the scan exactly once: an outstanding intent (this run's unknown outcome, or an
 * earlier run's crash) settles first, looked up in the target DB until its commit horizon
 * has passed, and is adopted when found; only a create known not to have happened is sent
 * again. All of it waits at the target DB's gate (target-proof.ts) until the DB is proven.
 */
export async function createStep(rt: Runtime, at: Attempt, scanId: number, row: ScanWithFiles): Promise<StepOutcome> {
  const files = uploadedFiles(rt.state.scan(scanId));
  if (!files) throw new ScanCopyError('INTERNAL', `scan ${scanId} reached create without all its files uploaded`);
  const started = Date.now();
  const turn = await rt.targetProof.enter(at.createSignal);
  if (!turn) {
    if (rt.stop.aborted && !at.deadlineHit()) return 'interrupted';
    return failScan(rt, at, scanId, { stage: 'create', error: deadlineError(at) }, started);
  }
  try {
    return await createOnce(rt, at, scanId, row, files, started);
  } finally {
    rt.targetProof.leave(turn);
  }
}

async function createOnce(rt: Runtime, at: Attempt, scanId: number, row: ScanWithFiles, files: number[], started: number): Promise<StepOutcome> {
  const scan = rt.state.scan(scanId);
  let sent = 0;
  let lastError: unknown;
  for (;;) {
    if (scan.create_intent) {
      const lookedUp = Date.now();
      // An intent journaled without its time (an older journal) gets a whole horizon from now.
      const settled = await settleIntent(rt, at, scanId, scan.create_intent, scan.create_intent_at ?? lookedUp, sent > 0 ? rt.reconcileDelayMs : 0);
      const latencyMs = Date.now() - lookedUp;
      if (settled.kind === 'stopped') {
        if (rt.stop.aborted && !at.deadlineHit()) return 'interrupted';
        const reason = `outcome unknown: scan ${scanId} was still settling at the batch deadline (no target scan with its files yet); a resume looks again`;
        return failScan(rt, at, scanId, { stage: 'create', error: new ScanCopyError('OUTCOME_UNKNOWN', reason, { cause: lastError }) }, started);
      }
      if (settled.kind === 'found') {
        rt.emit({ type: 'reconciled', batch: at.batch, scanId, targetScanId: settled.targetScanId, duplicates: settled.duplicates, attempt: at.attempt, latencyMs });
        return created(rt, at, scanId, settled.targetScanId, 'reconciled', latencyMs);
      }
      if (settled.kind === 'unknown') {
        return failScan(rt, at, scanId, { stage: 'create', error: new ScanCopyError('OUTCOME_UNKNOWN', settled.reason, { cause: lastError }) }, started);
      }
      rt.emit({ type: 'reconciled', batch: at.batch, scanId, targetScanId: null, duplicates: [], attempt: at.attempt, latencyMs });
    }
    if (rt.stop.aborted && !at.deadlineHit()) return 'interrupted';
    if (at.signal.aborted || sent >= rt.createAttempts || (lastError !== undefined && !classify(lastError).retryItem)) {
      const error = at.deadlineHit() ? deadlineError(at) : lastError;
      return failScan(rt, at, scanId, { stage: 'create', error }, started);
    }
    const storePlanogram = at.storePlanograms.get(scanId);
    const payload = buildCreatePayload(row.providedValues, {
      mode: rt.mode, targetStoreId: rt.targetStoreId, fileIds: files, fileTypes: row.files.map((f) => f.fileType), capturedAt: rt.capturedAt,
      ...(storePlanogram && 'id' in storePlanogram ? { storePlanogramId: storePlanogram.id } : {}),
    });
    if (!payload) throw new ScanCopyError('INTERNAL', `scan ${scanId} lost its payload between checks`);
    sent += 1;
    const call = callClock();
    try {
      const answer = await rt.target.api.createScan(payload, {
        signal: at.createSignal,
        // Holding the client's create slot: the intent's time is the send's, and a run that
        // stopped while the create waited for its slot sends nothing.
        beforeSend: async () => {
          if (rt.stop.aborted) throw new ScanCopyError('ABORTED', `scan ${scanId}: the run stopped before its create was sent`);
          at.startStage('create');
          rt.crashPoint('before-create-journal');
          call.send();
          await rt.state.record({ t: 'create-intent', scan: scanId, files, at: call.at() });
        },
      });
      rt.crashPoint('after-create');
      const outcome = await created(rt, at, scanId, answer.id, 'api', call.elapsed());
      rt.targetProof.created(answer.id, files);
      return outcome;
    } catch (error) {
      if (!call.sent && rt.stop.aborted) return 'interrupted';
      lastError = error;
      const failure = classify(error);
      if (!failure.mayHaveApplied) {
        // No scan was made: the intent is void, and a create refused for now (429) waits as
        // the retry policy says (Retry-After, jitter, the shared budget) before it is sent again.
        await rt.state.record({ t: 'create-refused', scan: scanId });
        const purged = purgedFiles(error, files);
        if (purged.length > 0) {
          // Known not applied: the target no longer has these uploads. All of the scan's are
          // uploaded again (they were made together and go together), never a --restart.
          await rt.state.record({ t: 'uploads-lost', scan: scanId });
          rt.emit({ type: 'uploads-purged', batch: at.batch, scanId, targetFileIds: purged, attempt: at.attempt });
          return 'reupload';
        }
        if (!failure.retryItem || sent >= rt.createAttempts) return failScan(rt, at, scanId, { stage: 'create', error }, started);
        const waitMs = rt.target.api.retry.backoff(sent, error);
        if (waitMs === undefined) return failScan(rt, at, scanId, { stage: 'create', error }, started);
        await rt.target.api.retry.wait(waitMs, at.signal).catch(() => undefined);
      }
    }
  }
}

/** The files a 400 names as unknown ("Invalid pk" on `files`, as DRF words it) among the scan's uploads. */
function purgedFiles(error: unknown, files: readonly number[]): number[] {
  const found = findScanCopyError(error);
  if (found?.code !== 'BAD_REQUEST') return [];
  const messages = (found.context.body as { files?: unknown } | undefined)?.files;
  if (!Array.isArray(messages)) return [];
  const ids = messages.flatMap((m) => (typeof m === 'string' ? [...m.matchAll(/Invalid pk "(\d+)" - object does not exist/g)].map((x) => Number(x[1])) : []));
  return ids.filter((id) => files.includes(id));
}

/** `latencyMs`: the create call's, or the lookup's that found the scan. */
async function created(rt: Runtime, at: Attempt, scanId: number, targetScanId: number, via: 'api' | 'reconciled', latencyMs: number): Promise<'created'> {
  await rt.state.record({ t: 'created', scan: scanId, target: targetScanId, via });
  rt.crashPoint('after-created-journal');
  at.progress.create.ok += 1;
  at.mark('create', String(scanId), true);
  rt.stats.stage('create', 'ok', { latencyMs });
  rt.stats.settle(scanId, 'created');
  rt.emit({ type: 'created', batch: at.batch, scanId, targetScanId, via, attempt: at.attempt, latencyMs, progress: { ...at.progress.create } });
  return 'created';
}

/** Records a scan's failure (or leaves it pending when the run is stopping) and reports it. */
export async function failScan(rt: Runtime, at: Attempt, scanId: number, failure: StepFailure, started: number): Promise<StepOutcome> {
  if (rt.stop.aborted && !at.deadlineHit()) return 'interrupted';
  const error = at.deadlineHit() && failure.stage !== 'create' ? deadlineError(at) : failure.error;
  const code = errorCodeOf(error);
  const reason = describeCause(error);
  await rt.state.record({ t: 'failed', scan: scanId, stage: failure.stage, code, reason });
  rt.stats.settle(scanId, 'failed');
  if (failure.stage === 'create') {
    at.progress.create.failed += 1;
    at.mark('create', String(scanId), false);
    rt.stats.stage('create', 'failed');
  }
  const progress = failure.stage === 'create' ? { ...at.progress.create } : undefined;
  rt.emit({ type: 'failed', batch: at.batch, scanId, stage: failure.stage, code, reason, attempt: at.attempt, latencyMs: Date.now() - started, progress });
  return 'failed';
}

function fileFailure(rt: Runtime, at: Attempt, stage: Stage, task: FileTask, error: unknown, started: number): StepFailure {
  const failure = { stage, error, fileId: task.fileId };
  if (rt.stop.aborted && !at.deadlineHit()) return failure;
  count(rt, at, stage, task, false, {});
  const code = at.deadlineHit() ? 'DEADLINE' : errorCodeOf(error);
  rt.emit({
    type: 'failed', batch: at.batch, scanId: task.scanId, fileId: task.fileId, stage, code, reason: describeCause(error),
    attempt: at.attempt, latencyMs: Date.now() - started, progress: { ...at.progress[stage] },
  });
  return failure;
}

function count(rt: Runtime, at: Attempt, stage: Stage, task: FileTask, ok: boolean, extra: { bytes?: number; latencyMs?: number }): void {
  if (ok) at.progress[stage].ok += 1;
  else at.progress[stage].failed += 1;
  at.mark(stage, `${task.scanId}:${task.index}`, ok);
  rt.stats.stage(stage, ok ? 'ok' : 'failed', extra);
}

export function isFailure(value: unknown): value is StepFailure {
  return typeof value === 'object' && value !== null && 'stage' in value && 'error' in value;
}

function deadlineError(at: Attempt): ScanCopyError {
  return new ScanCopyError('DEADLINE', `batch ${at.batch} passed its deadline`, { hint: 'Resume to continue; raise the batch deadline for very large batches.' });
}
