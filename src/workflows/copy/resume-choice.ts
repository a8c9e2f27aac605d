/**
 * What to do about a job's checkpoint, decided once for the copy command and the wizard:
 * the CLI only asks the question a decision names and hands the answer back here.
 */
import { ScanCopyError } from '../../core/errors.js';

export interface JobCheckpointInfo {
  runDir: string;
  checkpoint: string;
  /** Scans created or skipped so far. */
  done: number;
  /** Scans created so far: a restart creates them again. */
  created: number;
  total: number;
}

export interface ResumeRequest {
  /** `--resume` (true) or `--resume PATH`. */
  resume?: boolean | string;
  restart?: boolean;
  /** `--yes`: a restart needs no confirmation. */
  yes?: boolean;
  /** Someone is there to answer. */
  interactive: boolean;
}

export type ResumeDecision =
  | { kind: 'run'; resume?: boolean | string; restart?: boolean; existing?: JobCheckpointInfo }
  /** Resume, restart or cancel: the user chooses. */
  | { kind: 'choose'; existing: JobCheckpointInfo }
  /** `--restart` on a terminal: the user confirms, once. */
  | { kind: 'confirm-restart'; existing: JobCheckpointInfo };

export type ResumeAnswer = 'resume' | 'restart' | 'cancel';

/**
 * `--resume` / `--restart` as given; with neither, an interactive run chooses when the job
 * has a checkpoint, and anything else is left to the copy, which stops and says to choose.
 * `find` looks the job's checkpoint up (only when the answer depends on it).
 */
export async function decideResume(request: ResumeRequest, find: () => Promise<JobCheckpointInfo | undefined>): Promise<ResumeDecision> {
  checkResumeRequest(request);
  if (request.resume !== undefined && request.resume !== false) return { kind: 'run', resume: request.resume };
  const existing = request.restart || request.interactive ? await find() : undefined;
  if (request.restart) {
    if (!existing || request.yes) return { kind: 'run', restart: true, existing };
    if (!request.interactive) {
      throw new ScanCopyError('USAGE', `--restart would discard the checkpoint in ${existing.runDir} (${progressOf(existing)})`, { hint: 'Add --yes to confirm.' });
    }
    return { kind: 'confirm-restart', existing };
  }
  return existing ? { kind: 'choose', existing } : { kind: 'run' };
}

/** Refuses what cannot be decided at all, before any work: called by `decideResume`, and early by a command. */
export function checkResumeRequest(request: Pick<ResumeRequest, 'resume' | 'restart'>): void {
  if (request.resume !== undefined && request.resume !== false && request.restart) throw new ScanCopyError('USAGE', 'give --resume or --restart, not both');
}

/** The user's answer to a `choose` or `confirm-restart` decision. */
export function answerResume(existing: JobCheckpointInfo, answer: ResumeAnswer): Extract<ResumeDecision, { kind: 'run' }> {
  if (answer === 'cancel') throw new ScanCopyError('ABORTED', 'cancelled; nothing was changed');
  return answer === 'resume' ? { kind: 'run', resume: true, existing } : { kind: 'run', restart: true, existing };
}

/** `2 of 3 scans done`. */
export function progressOf(existing: JobCheckpointInfo): string {
  return `${existing.done} of ${existing.total} scans done`;
}

/**
 * What a restart costs, said before it is confirmed: scans it created are created again,
 * unless a ledger is kept (it skips them; `recopy` is a copy without one, or with --allow-recopy).
 */
export function restartWarning(existing: JobCheckpointInfo, { recopy }: { recopy: boolean }): string | undefined {
  if (existing.created === 0 || !recopy) return undefined;
  return `restarting discards the checkpoint in ${existing.runDir}: the ${existing.created} scan(s) this job already created will be created again on the target`;
}
