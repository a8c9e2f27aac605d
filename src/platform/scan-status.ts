/**
 * What a scan's `status` says about its processing (platform.md section 8): a scan is
 * `created`, then in `progress`, and ends `done`, `error` or `interrupted`. Only a terminal
 * state ends a wait; only `done` with a report can be compared.
 */

export type ProcessingOutcome =
  /** `done` with its compliance reports. */
  | 'processed'
  /** `done` with nothing recognised: terminal, but nothing to compare. */
  | 'no-report'
  /** Ended without a result (`error`, `interrupted`, or another failure word): terminal. */
  | 'failed'
  /** Not terminal yet. */
  | 'pending';

/** Failure words of the platform and its older releases; anything else unknown is still pending. */
const FAILED_STATUS = /fail|error|cancel|reject|interrupt/i;

export function processingOutcome(status: string, hasReport: boolean): ProcessingOutcome {
  if (status === 'done') return hasReport ? 'processed' : 'no-report';
  return FAILED_STATUS.test(status) ? 'failed' : 'pending';
}
