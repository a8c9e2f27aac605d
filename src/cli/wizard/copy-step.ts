/**
 * Step 4: mapped / auto / skip, then the copy itself, with the copy command's live view.
 * When this job (same instances, scans, store and mode) has a checkpoint under the results
 * folder, the user chooses to resume or restart it, as the seed tool asks.
 */
import { copyScans, findCopyCheckpoint, type CopyMode, type CopyResult } from '../../workflows/copy.js';
import { stopOnSignals } from '../commands/copy-support.js';
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
}

export type CopyStepOutcome = { mode: 'skip' } | { mode: CopyMode; result: CopyResult };

export async function runCopyStep(s: WizardSession, input: CopyStepInput): Promise<CopyStepOutcome> {
  const mode = await choose<CopyMode | 'skip'>('Copy mode:', [
    // 1 = mapped, 2 = auto: the numbers the seed tool's users know.
    { name: 'Mapped: keep the source mapping (the target shares ids, e.g. a staging clone)', value: 'mapped' },
    { name: 'Auto: the target maps each scan itself (drops category, section, store planogram, aisle)', value: 'auto' },
    { name: 'Skip the copy (analyse copies made earlier)', value: 'skip' },
  ], 'auto');
  if (mode === 'skip') return { mode };

  const job = {
    source: { apiUrl: input.source.address.apiUrl },
    target: { apiUrl: input.target.address.apiUrl },
    scanIds: input.scanIds,
    targetStoreId: input.targetStoreId,
    mode,
    resultsDir: input.resultsDir,
  };
  const existing = await findCopyCheckpoint(job);
  let resume: { resume?: boolean; restart?: boolean } = {};
  if (existing) {
    const choice = await choose(`This job has a checkpoint in ${existing.runDir} (${existing.done} of ${existing.total} scans done):`, [
      { name: 'Resume from the checkpoint (created scans are kept, the rest continues)', value: 'resume' },
      { name: 'Restart from scratch (discard the checkpoint)', value: 'restart' },
    ]);
    resume = choice === 'resume' ? { resume: true } : { restart: true };
  }

  const renderer = createEventRenderer({ logFormat: 'text', quiet: false, tty: process.stderr.isTTY === true }, COPY_VIEW);
  const signals = stopOnSignals();
  try {
    const result = await copyScans(
      {
        source: { apiUrl: input.source.address.apiUrl, api: input.source.instance.api, db: input.source.instance.db },
        target: { apiUrl: input.target.address.apiUrl, api: input.target.instance.api, db: input.target.instance.db },
        scanIds: input.scanIds,
        targetStoreId: input.targetStoreId,
        mode,
        resultsDir: input.resultsDir,
        batchSize: s.config.batchSize,
        limits: s.config.limits,
        batchDeadlineMs: s.config.timeouts.batch,
        ...resume,
      },
      { signal: signals.signal, onEvent: renderer.onEvent },
    );
    renderer.result({}, copySummaryLines(result));
    return { mode, result };
  } finally {
    renderer.close();
    signals.dispose();
  }
}
