/** One exit-code decision for every command and the wizard: stops, failed items (3 for refused credentials), findings, errors. */
import { describe, expect, it } from 'vitest';
import { ScanCopyError } from '../src/core/errors.js';
import { exitCodeOf, type RunOutcome } from '../src/workflows/exit-code.js';

const failure = (outcome: 'failed' | 'skipped', code: string) => ({ scanId: 1, outcome, stage: 'create', code, attempts: 1, reason: 'r' });
const copy = (over: Partial<{ stopped: 'interrupted' | 'max-duration'; failures: ReturnType<typeof failure>[]; duplicates: unknown[] }> = {}): RunOutcome =>
  ({ copy: { failures: [], duplicates: [], ...over } }) as RunOutcome;
const analyze = (missing: number[] = [], notProcessed: number[] = [], processingFailed: number[] = []): RunOutcome => ({ analyze: { missing, notProcessed, processingFailed } });

describe('exitCodeOf', () => {
  it.each<[string, RunOutcome[], number]>([
    ['a clean copy', [copy()], 0],
    ['a copy interrupted', [copy({ stopped: 'interrupted', failures: [failure('failed', 'SERVER_ERROR')] })], 130],
    ['a copy at --max-duration', [copy({ stopped: 'max-duration' })], 5],
    ['a copy with a failed scan', [copy({ failures: [failure('failed', 'SERVER_ERROR')] })], 1],
    ['a copy whose scan failed on refused credentials', [copy({ failures: [failure('failed', 'SERVER_ERROR'), failure('failed', 'AUTH_FAILED')] })], 3],
    ['a copy with skipped scans only', [copy({ failures: [failure('skipped', 'NO_FILES')] })], 0],
    ['a copy that left a duplicate', [copy({ duplicates: [{}] })], 1],
    ['a dry run whose target store is missing', [{ copyPlan: { targetStoreExists: false, notFound: [7], refused: [] } }], 2],
    ['a dry run naming a scan not on the source', [{ copyPlan: { targetStoreExists: true, notFound: [7], refused: [] } }], 1],
    ['a mapped dry run with a scan the target would refuse', [{ copyPlan: { targetStoreExists: true, notFound: [], refused: [{ scanId: 7, reason: 'mapped mode: ...' }] } }], 1],
    ['a dry run with nothing in the way', [{ copyPlan: { targetStoreExists: true, notFound: [], refused: [] } }], 0],
    ['a download with a failed file', [{ download: { failures: [{ scanId: 1, code: 'NOT_FOUND', reason: 'r' }] } }], 1],
    ['a download refused mid-way', [{ download: { failures: [{ scanId: 1, code: 'AUTH_FAILED', reason: 'r' }] } }], 3],
    ['a download stopped by Ctrl-C, with a file failed before', [{ download: { stopped: 'interrupted', failures: [{ scanId: 1, code: 'SERVER_ERROR', reason: 'r' }] } }], 130],
    ['an analysis with a copy missing', [analyze([4])], 1],
    ['an analysis with a copy not processed', [analyze([], [4])], 1],
    ['an analysis stopped by Ctrl-C, with a copy not processed', [{ analyze: { stopped: 'interrupted', missing: [], notProcessed: [4], processingFailed: [] } }], 130],
    ['a verify with a mismatch', [{ verify: { mismatches: [{} as never] }, duplicatesLeft: 0 }], 1],
    ['a verify whose duplicates were all removed', [{ verify: { mismatches: [] }, duplicatesLeft: 0 }], 0],
    ['a clean copy, then an analysis missing a copy', [copy(), analyze([4])], 1],
    ['a failed copy before a clean analysis: the copy decides', [copy({ failures: [failure('failed', 'AUTH_FAILED')] }), analyze()], 3],
    ['an unreachable instance', [{ error: new ScanCopyError('UNREACHABLE', 'x') }], 4],
    ['a usage error', [{ error: new ScanCopyError('USAGE', 'x') }], 2],
    ['an error of no known kind', [{ error: new Error('x') }], 1],
  ])('%s', (_name, outcomes, code) => {
    expect(exitCodeOf(...outcomes)).toBe(code);
  });
});
