/** The files a copy leaves in its run folder besides the checkpoint: the mapping and failures CSVs, and events.ndjson. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { writeCsv } from '../../reports/csv.js';
import type { CopyEvent } from './events.js';
import { MAPPING_COLUMNS } from './job.js';
import type { RunFiles } from './run-folder.js';
import type { ScanState } from './state.js';

export const FAILURE_COLUMNS = ['Source_Scan_ID', 'Outcome', 'Stage', 'Error_Code', 'Attempts', 'Reason'] as const;

export interface CopyFailure {
  scanId: number;
  outcome: 'skipped' | 'failed';
  stage: string;
  code: string;
  attempts: number;
  reason: string;
}

/** Skipped and failed scans, in job order. */
export function failuresOf(scanIds: readonly number[], scans: ReadonlyMap<number, ScanState>): CopyFailure[] {
  return scanIds.flatMap((id) => {
    const s = scans.get(id);
    if (!s || (s.status !== 'failed' && s.status !== 'skipped')) return [];
    return [{ scanId: id, outcome: s.status, stage: s.stage ?? 'read', code: s.code ?? '', attempts: s.attempts, reason: s.reason ?? '' }];
  });
}

/** The ids of the failures that are scans not on the source (read stage, NOT_FOUND), in job order. */
export function notOnSource(failures: readonly CopyFailure[]): number[] {
  return failures.filter((f) => f.outcome === 'failed' && f.stage === 'read' && f.code === 'NOT_FOUND').map((f) => f.scanId);
}

/**
 * The final mapping lists the created pairs only, in job order: the seed tool's loaders (and
 * anyone's) read every row as a pair. Skipped and failed scans are in the failures CSV.
 */
export async function writeOutputs(files: RunFiles, scanIds: readonly number[], scans: ReadonlyMap<number, ScanState>): Promise<CopyFailure[]> {
  const failures = failuresOf(scanIds, scans);
  const created = scanIds.flatMap((id) => {
    const target = scans.get(id)?.target_scan_id;
    return target === undefined || target === null ? [] : [[id, target]];
  });
  await writeCsv(files.mapping, MAPPING_COLUMNS, created);
  await writeCsv(files.failures, FAILURE_COLUMNS, failures.map((f) => [f.scanId, f.outcome, f.stage, f.code, f.attempts, f.reason]));
  return failures;
}

/**
 * events.ndjson: every event with a timestamp, appended. Not fsynced per line (that would
 * cost a sync per event); `completeCreatedLines` makes it complete from the journal instead.
 */
export class EventLog {
  readonly #stream: WriteStream;

  constructor(path: string) {
    this.#stream = createWriteStream(path, { flags: 'a' });
    this.#stream.on('error', () => undefined);
  }

  /** Events hold ids, counts and reasons that describeCause has already redacted: no second pass per event. */
  write(event: CopyEvent): void {
    this.#stream.write(`${JSON.stringify({ ts: new Date().toISOString(), ...event })}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}

/**
 * Gives every created scan of the journal its `created` line in events.ndjson, for those a
 * kill took between the journal's durable record and the event's write (`recovered: 'journal'`),
 * and makes the file durable. Run before a job's events are appended to and after its last.
 * Returns how many lines it added.
 */
export async function completeCreatedLines(path: string, scanIds: readonly number[], scans: ReadonlyMap<number, ScanState>): Promise<number> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const logged = new Set<number>();
  for (const line of text.split('\n')) {
    if (!line.includes('"created"')) continue;
    try {
      const event = JSON.parse(line) as { type?: unknown; scanId?: unknown };
      if (event.type === 'created' && typeof event.scanId === 'number') logged.add(event.scanId);
    } catch {
      // A line torn by a kill: the scan it named gets a whole line below.
    }
  }
  const ts = new Date().toISOString();
  const missing = scanIds.flatMap((id) => {
    const s = scans.get(id);
    if (s?.status !== 'created' || s.target_scan_id === undefined || logged.has(id)) return [];
    return [JSON.stringify({ ts, type: 'created', batch: s.batch, scanId: id, targetScanId: s.target_scan_id, via: s.via ?? 'api', attempt: s.attempts, recovered: 'journal' })];
  });
  const handle = await open(path, 'a');
  try {
    // A torn last line is ended first, so the added lines stand on their own.
    if (missing.length > 0) await handle.appendFile(`${text !== '' && !text.endsWith('\n') ? '\n' : ''}${missing.join('\n')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return missing.length;
}
