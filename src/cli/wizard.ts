/**
 * `scancopy` with no arguments on a terminal: the guided workflow of the seed tool (seed
 * README "Workflows"), step by step, every answer checked where it is typed; Step 0 also
 * offers the unfinished copy runs to resume. Ctrl-C at a prompt leaves with 130; the answers given so far are already saved for next time, and a
 * copy's own state is in its checkpoint.
 */
import { EXIT } from '../core/errors.js';
import { runCopyFlow } from './wizard/copy-flow.js';
import { runDownloadFlow } from './wizard/download-flow.js';
import { resumableRuns, resumeChoice, runResumeFlow, type ResumableRun } from './wizard/resume-flow.js';
import { choose, isPromptExit } from './wizard/prompts.js';
import { WizardSession, type WizardIO } from './wizard/session.js';

export async function runWizard(io: Partial<WizardIO> = {}): Promise<number> {
  const session = new WizardSession({
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
    print: io.print ?? ((line) => process.stdout.write(`${line}\n`)),
  });
  session.print('scancopy: guided workflow (Ctrl-C leaves at any prompt; your answers are kept for next time)');
  try {
    session.step('Step 0: Choose functionality');
    const unfinished = await resumableRuns(session);
    const workflow = await choose('What do you want to do?', [
      { name: 'Copy Scan (copy scans to a target instance, then compare source and copy)', value: 'copy' },
      { name: 'Download Images (save the images of scans)', value: 'download' },
      // Unfinished copies come after the two workflows, whose numbers stay 1 and 2.
      ...unfinished.map((run, i) => resumeChoice(run, `resume:${i}`)),
    ]);
    if (workflow === 'copy') return await runCopyFlow(session);
    if (workflow === 'download') return await runDownloadFlow(session);
    return await runResumeFlow(session, unfinished[Number(workflow.slice('resume:'.length))] as ResumableRun);
  } catch (err) {
    if (!isPromptExit(err)) throw err;
    session.print('');
    session.print('Interrupted. Answers given so far are saved (never a password); run scancopy again to continue.');
    return EXIT.interrupted;
  } finally {
    await session.close();
  }
}
