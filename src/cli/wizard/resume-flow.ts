/**
 * Step 0's "Resume": an unfinished copy run continued from its folder alone. Its instances,
 * scans, store and mode come from its checkpoint; only the secrets are asked (never saved),
 * then the summary, the copy and the analysis steps as after any copy.
 */
import { dirname } from 'node:path';
import { listCopyRuns, type CopyRun } from '../../workflows/copy.js';
import { confirmAndCopy } from './copy-step.js';
import { finishCopyFlow } from './copy-flow.js';
import { askInstance } from './instances.js';
import type { Choice } from './prompts.js';
import type { WizardSession } from './session.js';

/** A run Step 0 can offer: unfinished, with the addresses it recorded. */
export type ResumableRun = CopyRun & Required<Pick<CopyRun, 'job' | 'instances'>>;

const OFFERED = 5;

/** The newest unfinished runs under the last-used and the configured results folders. */
export async function resumableRuns(s: WizardSession): Promise<ResumableRun[]> {
  const folders = [...new Set([s.lastUsed.resultsDir, s.config.resultsDir].filter((d): d is string => d !== undefined))];
  const runs = (await Promise.all(folders.map((f) => listCopyRuns(f).catch(() => [])))).flat();
  return runs
    .filter((r): r is ResumableRun => r.state === 'unfinished' && r.job !== undefined && r.instances !== undefined)
    .sort((a, b) => b.name.localeCompare(a.name))
    .slice(0, OFFERED);
}

export function resumeChoice(run: ResumableRun, value: string): Choice<string> {
  const { instances, job } = run;
  const when = (run.updatedAt ?? run.startedAt ?? '').slice(0, 16).replace('T', ' ');
  return {
    name: `Resume ${run.name}: ${instances.source.name} → ${instances.target.name} store ${job.targetStore}, ${job.mode}, ${run.created + run.skipped} of ${run.total} scans done${run.failed > 0 ? `, ${run.failed} failed` : ''} (${when} UTC)`,
    value,
  };
}

export async function runResumeFlow(s: WizardSession, run: ResumableRun): Promise<number> {
  s.step(`Resume ${run.name}`);
  s.print(`  ${run.dir}`);
  const preset = (role: 'source' | 'target') => {
    const recorded = run.instances[role];
    return { [role]: recorded.name, [`${role}Api`]: recorded.api, [`${role}Db`]: recorded.db };
  };
  const source = await askInstance(s, 'source', preset('source'));
  const target = await askInstance(s, 'target', preset('target'));
  // Copying into one instance was accepted when the run started, if it does.
  const input = { source, target, scanIds: run.scanIds, targetStoreId: run.job.targetStore, resultsDir: dirname(run.dir), allowSameInstance: true };
  const existing = { runDir: run.dir, checkpoint: run.dir, done: run.created + run.skipped, created: run.created, total: run.total };
  const copy = await confirmAndCopy(s, input, run.job.mode, { resume: run.dir, existing });
  return finishCopyFlow(s, input, copy);
}
