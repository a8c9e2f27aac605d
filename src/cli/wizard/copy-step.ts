/**
 * Step 4: mapped / auto / skip, then the copy itself, with the copy command's live view.
 * When this job (same instances, scans, store and mode) has a checkpoint under the results
 * folder or in a run folder the ledger knows, the user chooses to resume or restart it, as the seed tool asks. Nothing is copied
 * before a summary of the job is shown and confirmed; a restart that would create scans
 * again says so there, and that one confirmation is all it asks.
 */
import { confirm } from '../ask.js';
import { describeIdRanges } from './scan-ids.js';
import { answerResume, buildCopyOptions, copyEnd, copyScans, decideResume, findCopyCheckpoint, progressOf, restartWarning, type CopyMode, type CopyResult, type JobCheckpointInfo, type Ledger } from '../../workflows/copy.js';
import { thumbnailsFromCopy, type CopiedImages } from '../../workflows/analyze.js';
import { openConfiguredLedger } from '../commands/copy-support.js';
import { stopOnSignals } from '../stop-signals.js';
import { createEventRenderer } from '../render.js';
import { COPY_VIEW, copySummaryLines } from '../render/copy.js';
import type { OpenedInstance } from './instances.js';
import { choose } from './prompts.js';
import type { WizardSession } from './session.js';

export interface CopyStepInput {
  source: OpenedInstance;
  target: OpenedInstance;
  scanIds: readonly number[];
  targetStoreId: number;
  resultsDir: string;
  /** The user chose to copy into the source instance itself. */
  allowSameInstance?: boolean;
}

/** `images`: thumbnails of the source files the copy downloaded, for the analysis that follows. */
export type CopyStepOutcome = { mode: 'skip' } | { mode: 'declined' } | { mode: CopyMode; result: CopyResult; images: CopiedImages };

/** How the confirmation says what each mode does. */
const MODE_SUMMARY: Record<CopyMode, string> = { auto: 'the target maps each scan', mapped: 'the source mapping is kept' };

export async function runCopyStep(s: WizardSession, input: CopyStepInput): Promise<CopyStepOutcome> {
  const mode = await choose<CopyMode | 'skip'>('Copy mode:', [
    // 1 = mapped, 2 = auto: the numbers the seed tool's users know.
    { name: 'Mapped: keep the source mapping (the target shares ids, e.g. a staging clone)', value: 'mapped' },
    { name: 'Auto: the target maps each scan itself (drops category, section, store planogram, aisle)', value: 'auto' },
    { name: 'Skip the copy (analyse copies made earlier)', value: 'skip' },
  ], 'auto');
  if (mode === 'skip') return { mode };

  const job = {
    source: { apiUrl: input.source.address.apiUrl, db: input.source.instance.db },
    target: { apiUrl: input.target.address.apiUrl, db: input.target.instance.db },
    scanIds: input.scanIds,
    targetStoreId: input.targetStoreId,
    mode,
    resultsDir: input.resultsDir,
  };
  const decision = await decideResume({ interactive: true }, () => withLedger(s, (ledger) => findCopyCheckpoint({ ...job, ledger })));
  let resume: ResumeAnswered = {};
  if (decision.kind === 'choose') {
    const { existing } = decision;
    const answer = await choose(`This job has a checkpoint in ${existing.runDir} (${progressOf(existing)}):`, [
      { name: 'Resume from the checkpoint (created scans are kept, the rest continues)', value: 'resume' as const },
      { name: 'Restart from scratch (discard the checkpoint)', value: 'restart' as const },
    ]);
    resume = answerResume(existing, answer);
  }

  return confirmAndCopy(s, input, mode, resume);
}

/** The configured ledger, open for `fn`. */
async function withLedger<T>(s: WizardSession, fn: (ledger: Ledger) => Promise<T>): Promise<T> {
  const ledger = await openConfiguredLedger(s.config.ledger);
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}

export interface ResumeAnswered {
  resume?: boolean | string;
  restart?: boolean;
  existing?: JobCheckpointInfo;
}

/** The summary, its one confirmation, then the copy. */
export async function confirmAndCopy(s: WizardSession, input: CopyStepInput, mode: CopyMode, resume: ResumeAnswered): Promise<CopyStepOutcome> {
  s.step('Summary');
  for (const line of summaryLines(input, mode, resume)) s.print(`  ${line}`);
  // The ledger skips what the discarded run created: only a copy without one would create it again.
  const warning = resume.restart && resume.existing ? restartWarning(resume.existing, { recopy: false }) : undefined;
  if (warning) s.print(`  ⚠ Warning: ${warning}.`);
  const go = await confirm({ message: warning ? 'Restart and copy these scans again?' : 'Start the copy?', default: warning === undefined });
  if (!go) return { mode: 'declined' };

  const renderer = createEventRenderer({ logFormat: 'text', quiet: false, tty: process.stderr.isTTY === true }, COPY_VIEW);
  const signals = stopOnSignals();
  const images = thumbnailsFromCopy();
  try {
    const end = (o: OpenedInstance) => ({ ...copyEnd(o.instance, o.address), db: o.instance.db });
    const result = await withLedger(s, (ledger) => {
      const options = buildCopyOptions(
        { source: end(input.source), target: end(input.target), scanIds: input.scanIds, targetStoreId: input.targetStoreId, mode },
        { ...s.config, resultsDir: input.resultsDir },
        { resume: resume.resume, restart: resume.restart, onSourceFile: images.onSourceFile, ledger, allowSameInstance: input.allowSameInstance === true },
      );
      return copyScans(options, { signal: signals.signal, onEvent: renderer.onEvent });
    });
    renderer.result({}, copySummaryLines(result));
    return { mode, result, images };
  } finally {
    renderer.close();
    signals.dispose();
  }
}

function summaryLines(input: CopyStepInput, mode: CopyMode, resume: ResumeAnswered): string[] {
  const instance = (o: OpenedInstance): string => `${o.address.name} (${o.address.apiUrl})`;
  const run = resume.existing
    ? `${resume.resume ? 'resume' : 'restart'} the run in ${resume.existing.runDir} (${progressOf(resume.existing)})`
    : `a new run folder in ${input.resultsDir}`;
  return [
    `Source:        ${instance(input.source)}`,
    `Target:        ${instance(input.target)}, store ${input.targetStoreId}`,
    `Scans:         ${input.scanIds.length}: ${describeIdRanges(input.scanIds)}`,
    `Mode:          ${mode} (${MODE_SUMMARY[mode]})`,
    `Results:       ${run}`,
  ];
}
