/** The files a copy leaves in its run folder besides the checkpoint: the mapping and failures CSVs, and events.ndjson. */
import { createWriteStream, type WriteStream } from 'node:fs';
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

/** The final mapping lists every scan of the job, like the initial one, with the target where there is one. */
export async function writeOutputs(files: RunFiles, scanIds: readonly number[], scans: ReadonlyMap<number, ScanState>): Promise<CopyFailure[]> {
  const failures = failuresOf(scanIds, scans);
  await writeCsv(files.mapping, MAPPING_COLUMNS, scanIds.map((id) => [id, scans.get(id)?.target_scan_id ?? '']));
  await writeCsv(files.failures, FAILURE_COLUMNS, failures.map((f) => [f.scanId, f.outcome, f.stage, f.code, f.attempts, f.reason]));
  return failures;
}

/** events.ndjson: every event with a timestamp, appended; an audit trail, so not fsynced. */
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
