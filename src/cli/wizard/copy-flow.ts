/** Workflow 1 of the seed README, "Copy Scan": steps 1 to 6. Returns the exit code. */
import { confirm } from '../ask.js';
import { DEFAULTS } from '../../config/index.js';
import { EXIT } from '../../core/errors.js';
import { sameInstance } from '../../workflows/copy.js';
import { exitCodeOf } from '../../workflows/exit-code.js';
import { runAnalysisSteps } from './analysis-step.js';
import { runCopyStep, type CopyStepInput, type CopyStepOutcome } from './copy-step.js';
import { askInstance } from './instances.js';
import { ask } from './prompts.js';
import { askFolder } from './results-dir.js';
import { askScanIds, checkStore } from './scan-ids.js';
import type { WizardSession } from './session.js';

export async function runCopyFlow(s: WizardSession): Promise<number> {
  s.step('Step 1: Source and target instances');
  const source = await askInstance(s, 'source');
  let target = await askInstance(s, 'target');
  let allowSameInstance = false;
  while (sameInstance(source.address, target.address)) {
    s.print(`  ⚠ Warning: the source and the target are the same instance (${target.address.apiUrl}): the copies would be made beside their sources.`);
    allowSameInstance = await confirm({ message: 'Copy into the same instance anyway?', default: false });
    if (allowSameInstance) break;
    target = await askInstance(s, 'target');
  }

  s.step('Step 1.5: Results path');
  const resultsDir = await askFolder({ label: 'Results folder', defaultPath: `${DEFAULTS.resultsDir}/`, lastUsed: s.lastUsed.resultsDir, cwd: s.io.cwd, print: (line) => s.print(line) });
  await s.remember({ resultsDir });

  s.step('Step 2: Source scan ids');
  const scanIds = await askScanIds({ db: source.instance.db, role: 'Source', lastUsed: s.lastUsed.scanIds, cwd: s.io.cwd, print: (line) => s.print(line) });
  await s.remember({ scanIds });

  s.step('Step 3: Target store');
  const last = s.lastUsed.targetStore;
  const targetStoreId = await ask('Target store id:', (text) => checkStore(target.instance.db, 'Target', text), { default: last === undefined ? undefined : String(last) });
  await s.remember({ targetStore: targetStoreId });

  s.step('Step 4: Copy');
  const copy = await runCopyStep(s, { source, target, scanIds, targetStoreId, resultsDir, allowSameInstance });
  return finishCopyFlow(s, { source, target, scanIds, targetStoreId, resultsDir }, copy);
}

/** After the copy (or its skip): the analysis steps, where to look, and the exit code. */
export async function finishCopyFlow(s: WizardSession, input: CopyStepInput, copy: CopyStepOutcome): Promise<number> {
  if (copy.mode === 'declined') {
    s.print('');
    s.print('Nothing was copied. Your answers are saved: run scancopy again to start from them.');
    return EXIT.ok;
  }
  const result = copy.mode === 'skip' ? undefined : copy.result;
  if (result?.stopped) {
    s.print('');
    s.print(`Stopped with ${result.pending} scan(s) still to copy; the state is saved in ${result.runDir}.`);
    s.print('Run scancopy again and choose to resume it at the first question.');
    return exitCodeOf({ copy: result });
  }

  const images = copy.mode === 'skip' ? undefined : copy.images;
  const analysis = await runAnalysisSteps(s, { source: input.source, target: input.target, sourceIds: result?.scanIds ?? input.scanIds, resultsDir: input.resultsDir, copy: result, sourceThumbnails: images?.thumbnails });
  s.print('');
  if (analysis) {
    s.print(`Look first at the HTML report: ${analysis.files.html}`);
    s.print(`Scan by scan, both images side by side: ${analysis.files.scansHtml}`);
  } else if (result) {
    s.print(`Done. The mapping is in ${result.files.mapping}`);
  }
  return exitCodeOf(...(result ? [{ copy: result }] : []), ...(analysis ? [{ analyze: analysis }] : []));
}
