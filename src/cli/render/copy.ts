/**
 * How a copy looks: the seed tool's `[BATCH n/N]` lines without a terminal (batches overlap
 * in the pipeline, so their lines interleave), and the per-item ticks that move the bars on
 * one. The summary lines read the result, which reads the run's counters.
 */
import { notOnSource, type CopyEvent, type CopyResult } from '../../workflows/copy.js';
import { NOT_ON_SOURCE } from '../../workflows/not-on-source.js';
import type { EventView, StatusTracker } from '../render.js';
import type { Stage } from '../../platform/stages.js';

const RULE = '='.repeat(80);
const STAGE_LABEL: Record<Stage, string> = { download: 'DOWNLOAD', upload: 'UPLOAD', create: 'SCAN' };

export const COPY_VIEW: EventView<CopyEvent> = {
  status: () => new CopyStatus(),
  plain(e) {
    switch (e.type) {
      case 'copy-start':
        return [
          `[COPY] ${e.scans} scan${plural(e.scans)} in ${e.batches} batch${e.batches === 1 ? '' : 'es'} of ${e.batchSize}, ${e.mode} mode, ` +
            `${e.barrier ? 'barrier schedule' : 'pipelined'}, workers ${e.limits.download}/${e.limits.upload}/${e.limits.create}`,
          `[COPY] Run folder: ${e.runDir}`,
          ...(e.resumed ? [`[COPY] Resuming this job's checkpoint: ${e.alreadyDone} of ${e.scans} scans already done`] : []),
          ...(e.repaired.tornJournal ? ['[COPY] Dropped the torn last line of the journal (the earlier run was killed while writing it)'] : []),
          ...(e.repaired.leftovers > 0 ? [`[COPY] Removed ${e.repaired.leftovers} temporary file(s) of a write the earlier run did not finish`] : []),
        ];
      case 'batch-start':
        return [
          RULE,
          `[BATCH ${e.batch}/${e.batches}] Starting batch ${e.batch}${e.attempt > 1 ? ` (attempt ${e.attempt}, ${e.scanIds.length} scan${plural(e.scanIds.length)} left)` : ''}`,
          `[BATCH ${e.batch}/${e.batches}] Processing scans ${e.first}-${e.last} of ${e.total}`,
          `[BATCH ${e.batch}/${e.batches}] Source Scan IDs: ${e.scanIds.join(', ')}`,
          RULE,
          `[BATCH ${e.batch}] Starting download of ${e.files} file${plural(e.files)}`,
        ];
      case 'stage-start':
        if (e.stage === 'upload') return `[BATCH ${e.batch}] Starting upload of ${e.items} file${plural(e.items)}`;
        if (e.stage === 'create') return `[BATCH ${e.batch}] [SCAN] Creating ${e.items} scan${plural(e.items)}...`;
        return undefined;
      case 'downloaded':
      case 'uploaded':
      case 'created':
        return progressLine(e.batch, e.type === 'downloaded' ? 'download' : e.type === 'uploaded' ? 'upload' : 'create', e.progress);
      case 'reconciled':
        return e.targetScanId === null
          ? `[BATCH ${e.batch}] [RECONCILE] scan ${e.scanId}: its create's answer was lost and no target scan has its files; creating it again`
          : `[BATCH ${e.batch}] [RECONCILE] scan ${e.scanId}: its create's answer was lost; found target scan ${e.targetScanId} with its files and adopted it` +
              (e.duplicates.length > 0 ? ` (duplicates already on the target: ${e.duplicates.join(', ')})` : '');
      case 'settling':
        return `[BATCH ${e.batch}] [SETTLING] scan ${e.scanId}: its create's outcome is unknown and no target scan has its files yet; looking again for up to ${(e.horizonInMs / 1000).toFixed(1)} s before creating it again`;
      case 'duplicate':
        return `[DUPLICATE] scan ${e.sourceScanId}: kept target scan ${e.keptTargetScanId}; extra target scans with its files: ${e.extraTargetScanIds.join(', ')}`;
      case 'skipped':
        return `[BATCH ${e.batch}] [SKIPPED] scan ${e.scanId}: ${e.reason}`;
      case 'failed': {
        const what = e.fileId === undefined ? `scan ${e.scanId}` : `scan ${e.scanId} file ${e.fileId}`;
        const line = `[BATCH ${e.batch}] [FAILED] ${what} at ${e.stage}: ${e.code}: ${e.reason}`;
        const progress = e.progress && e.stage !== 'read' ? progressLine(e.batch, e.stage, e.progress) : undefined;
        return progress ? [line, progress] : line;
      }
      case 'batch-retry':
        return `[BATCH ${e.batch}/${e.batches}] Retrying ${e.items} failed scan${plural(e.items)} in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}): ${rates(e.rates)}`;
      case 'batch-complete':
        return [
          RULE,
          `[BATCH ${e.batch}/${e.batches}] Batch ${e.batch} ${e.complete ? 'completed' : e.failed > 0 ? 'finished with failures' : 'stopped before its end'}`,
          `[BATCH ${e.batch}/${e.batches}] Success: ${e.created}, Failed: ${e.failed}${e.skipped > 0 ? `, Skipped: ${e.skipped}` : ''}`,
          RULE,
        ];
      case 'stopping':
        return e.reason === 'interrupted'
          ? '[COPY] Interrupted: taking no new work, finishing the creates in flight, saving state...'
          : '[COPY] Maximum duration reached: taking no new work, finishing the creates in flight, saving state...';
      case 'queued':
      case 'copy-done':
        return undefined;
    }
  },
  progress: {
    stages: [
      { key: 'download', unit: 'files' },
      { key: 'upload', unit: 'files' },
      { key: 'create', unit: 'scans' },
    ],
    apply(e, bars) {
      switch (e.type) {
        case 'batch-start':
          bars.grow('download', e.files);
          bars.grow('upload', e.files);
          bars.grow('create', e.creates);
          return false;
        case 'downloaded':
          bars.advance('download');
          return true;
        case 'uploaded':
          bars.advance('upload');
          return true;
        case 'created':
          bars.advance('create');
          return true;
        case 'failed':
          if (e.stage !== 'read') bars.advance(e.stage, 1, 'failed');
          return false;
        case 'queued':
        case 'stage-start':
          return true;
        default:
          return false;
      }
    },
  },
};

/**
 * `[PROGRESS] 34/100 scans done, 2 failed, 3.10 scans/s, ETA 21 s`: done counts a resume's
 * earlier scans, the rate and ETA only this run's, so a resume with little left reads true.
 */
export class CopyStatus implements StatusTracker<CopyEvent> {
  #total = 0;
  #doneBefore = 0;
  #startedAt: number | undefined;
  #ended = false;
  readonly #outcome = new Map<number, 'done' | 'failed'>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  update(e: CopyEvent): string | undefined {
    switch (e.type) {
      case 'copy-start':
        this.#total = e.scans;
        this.#doneBefore = e.alreadyDone;
        this.#startedAt = this.#now();
        return undefined;
      case 'created':
      case 'skipped':
        this.#outcome.set(e.scanId, 'done');
        return undefined;
      case 'failed':
        if (this.#outcome.get(e.scanId) !== 'done') this.#outcome.set(e.scanId, 'failed');
        return undefined;
      case 'batch-complete':
        return this.line();
      case 'copy-done':
        this.#ended = true;
        return undefined;
      default:
        return undefined;
    }
  }

  line(): string | undefined {
    if (this.#startedAt === undefined || this.#ended) return undefined;
    const outcomes = [...this.#outcome.values()];
    const doneNow = outcomes.filter((o) => o === 'done').length;
    const failed = outcomes.length - doneNow;
    const done = this.#doneBefore + doneNow;
    const seconds = (this.#now() - this.#startedAt) / 1000;
    const rate = seconds > 0 ? outcomes.length / seconds : 0;
    const left = Math.max(0, this.#total - done - failed);
    const eta = left === 0 ? 'ETA 0 s' : rate > 0 ? `ETA ${formatSeconds(left / rate)}` : 'ETA unknown';
    return `[PROGRESS] ${done}/${this.#total} scans done, ${failed} failed, ${rate.toFixed(2)} scans/s, ${eta}`;
  }
}

function formatSeconds(s: number): string {
  if (s < 90) return `${Math.ceil(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** `[BATCH 1] [DOWNLOAD] 12/25 (48%)` at each quarter of a batch's stage, so big batches do not flood the log. */
function progressLine(batch: number, stage: Stage, p: { ok: number; failed: number; total: number }): string | undefined {
  if (p.total === 0) return undefined;
  const done = p.ok + p.failed;
  const quarter = (n: number): number => Math.floor((n * 4) / p.total);
  if (quarter(done) === quarter(done - 1)) return undefined;
  return `[BATCH ${batch}] [${STAGE_LABEL[stage]}] ${p.ok}/${p.total} (${Math.floor((p.ok * 100) / p.total)}%)`;
}

function rates(r: Record<Stage, number>): string {
  return (Object.keys(r) as Stage[]).map((s) => `${s} ${Math.round(r[s] * 100)}%`).join(', ');
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}

/** The result block: outcomes that add up to the selected scans, throughput, and where the files are. */
export function copySummaryLines(r: CopyResult): string[] {
  const kinds = new Map<string, number>();
  for (const f of r.failures) if (f.outcome === 'skipped') kinds.set(f.code, (kinds.get(f.code) ?? 0) + 1);
  const skippedWhy = [...kinds].map(([k, n]) => `${n} ${k.toLowerCase().replace('_', ' ')}`).join(', ');
  const lines = [
    RULE,
    `Scans:    ${r.scans}${r.resumed ? ' (resumed)' : ''}`,
    `Created:  ${r.created}`,
    `Skipped:  ${r.skipped}${skippedWhy ? ` (${skippedWhy})` : ''}`,
    `Failed:   ${r.failed}`,
    ...notFoundLines(r),
    duplicatesLine(r),
    ...(r.pending > 0 ? [`Pending:  ${r.pending} (${r.stopped === 'max-duration' ? 'stopped by --max-duration' : 'interrupted'}; continue with --resume)`] : []),
    `Duration: ${(r.elapsedMs / 1000).toFixed(1)} s (${r.scansPerSecond.toFixed(2)} scans/s)`,
  ];
  const failed = r.failures.filter((f) => f.outcome === 'failed');
  for (const f of failed.slice(0, 20)) lines.push(`  scan ${f.scanId} failed at ${f.stage} after ${f.attempts} attempt${plural(f.attempts)}: ${f.code}: ${f.reason}`);
  if (failed.length > 20) lines.push(`  ... and ${failed.length - 20} more in the failures CSV`);
  lines.push(`Run folder: ${r.runDir}`, `Mapping:    ${r.files.mapping}`, `Failures:   ${r.files.failures}`, `Checkpoint: ${r.files.checkpoint}`);
  if (r.duplicates.length > 0) lines.push(`Duplicates: ${r.files.duplicates} (delete the extras: scancopy verify --mapping ${r.files.mapping} --delete-duplicates)`);
  return lines;
}

/** The requested ids the source does not have, said apart from the other failures (as download does). */
function notFoundLines(r: CopyResult): string[] {
  const ids = notOnSource(r.failures);
  if (ids.length === 0) return [];
  const shown = ids.slice(0, 50).join(', ');
  return [`Not found: ${ids.length} (${NOT_ON_SOURCE}): ${shown}${ids.length > 50 ? `, ... and ${ids.length - 50} more in the failures CSV` : ''}`];
}

function duplicatesLine(r: CopyResult): string {
  if (r.sweepSkipped) return `Duplicates: not checked: ${r.sweepSkipped}`;
  const extras = r.duplicates.reduce((n, d) => n + d.extraTargetScanIds.length, 0);
  return extras === 0 ? 'Duplicates: 0' : `Duplicates: ${extras} extra target scan${plural(extras)} of ${r.duplicates.length} source scan${plural(r.duplicates.length)}`;
}
