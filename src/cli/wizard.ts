/**
 * `scancopy` with no arguments on a terminal: the guided workflow of the seed tool (seed
 * README "Workflows"), step by step, every answer checked where it is typed. Ctrl-C at a
 * prompt leaves with 130; the answers given so far are already saved for next time, and a
 * copy's own state is in its checkpoint.
 */
import { EXIT } from '../core/errors.js';
import { runCopyFlow } from './wizard/copy-flow.js';
import { runDownloadFlow } from './wizard/download-flow.js';
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
    const workflow = await choose('What do you want to do?', [
      { name: 'Copy Scan (copy scans to a target instance, then compare source and copy)', value: 'copy' },
      { name: 'Download Images (save scan images with their seed names)', value: 'download' },
    ]);
    return workflow === 'copy' ? await runCopyFlow(session) : await runDownloadFlow(session);
  } catch (err) {
    if (!isPromptExit(err)) throw err;
    session.print('');
    session.print('Interrupted. Answers given so far are saved (never a password); run scancopy again to continue.');
    return EXIT.interrupted;
  } finally {
    await session.close();
  }
}
