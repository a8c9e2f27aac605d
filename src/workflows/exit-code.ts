/**
 * A run's exit code (README "Exit codes"), decided in one place for every command and the
 * wizard, from what the workflows return or throw: stopped runs first, then failed items (3
 * when an item failed because the instance refused the credentials), then findings that
 * leave the run "finished with failed items" (duplicates, copies missing or unprocessed,
 * mismatches), else 0. An error's code comes from core/failure's table.
 */
import { EXIT } from '../core/errors.js';
import { exitCodeFor } from '../core/failure.js';
import type { AnalyzeResult } from './analyze.js';
import type { CopyPlan, CopyResult } from './copy.js';
import type { DownloadPlan, DownloadResult } from './download.js';
import type { VerifyResult } from './verify.js';

export type RunOutcome =
  | { error: unknown }
  | { copy: Pick<CopyResult, 'stopped' | 'failures' | 'duplicates'> }
  | { copyPlan: Pick<CopyPlan, 'targetStoreExists' | 'notFound' | 'refused'> }
  | { download: Pick<DownloadResult, 'stopped' | 'failures'> }
  | { downloadPlan: Pick<DownloadPlan, 'problems'> }
  | { analyze: Pick<AnalyzeResult, 'stopped' | 'missing' | 'notProcessed' | 'processingFailed'> }
  /** `duplicatesLeft`: the extra copies still on the target after any removal. */
  | { verify: Pick<VerifyResult, 'mismatches'>; duplicatesLeft: number };

/** The first outcome's code that is not 0 (a copy before the analysis that followed it), else 0. */
export function exitCodeOf(...outcomes: RunOutcome[]): number {
  for (const outcome of outcomes) {
    const code = codeOf(outcome);
    if (code !== EXIT.ok) return code;
  }
  return EXIT.ok;
}

function codeOf(o: RunOutcome): number {
  if ('error' in o) return exitCodeFor(o.error);
  if ('copy' in o) {
    if (o.copy.stopped === 'interrupted') return EXIT.interrupted;
    if (o.copy.stopped === 'max-duration') return EXIT.maxDuration;
    const failed = o.copy.failures.filter((f) => f.outcome === 'failed');
    if (failed.length > 0) return failedItems(failed.map((f) => f.code));
    return o.copy.duplicates.length > 0 ? EXIT.failedItems : EXIT.ok;
  }
  if ('copyPlan' in o) return o.copyPlan.targetStoreExists === false ? EXIT.usage : o.copyPlan.notFound.length + o.copyPlan.refused.length > 0 ? EXIT.failedItems : EXIT.ok;
  if ('downloadPlan' in o) return o.downloadPlan.problems.some((p) => p.kind === 'not-found') ? EXIT.failedItems : EXIT.ok;
  if ('download' in o) return o.download.stopped ? EXIT.interrupted : o.download.failures.length > 0 ? failedItems(o.download.failures.map((f) => f.code)) : EXIT.ok;
  if ('analyze' in o) return o.analyze.stopped ? EXIT.interrupted : o.analyze.missing.length + o.analyze.notProcessed.length + o.analyze.processingFailed.length > 0 ? EXIT.failedItems : EXIT.ok;
  return o.verify.mismatches.length > 0 || o.duplicatesLeft > 0 ? EXIT.failedItems : EXIT.ok;
}

/** 3 when any item failed because the instance refused the credentials (a 401 right after a fresh log-in), else 1. */
function failedItems(codes: readonly string[]): number {
  return codes.includes('AUTH_FAILED') ? EXIT.auth : EXIT.failedItems;
}
