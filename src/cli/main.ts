/**
 * The scancopy command line: subcommands, and the guided wizard when run with no arguments
 * on a terminal. Every command module registers itself on the program; errors come back
 * here and leave through one exit-code table.
 */
import { Command, CommanderError } from 'commander';
import { EXIT } from '../core/errors.js';
import { reportError } from './exit.js';
import { addOutputOptions } from './render.js';
import { runWizard } from './wizard.js';
import { analyzeCommand } from './commands/analyze.js';
import { copyCommand } from './commands/copy.js';
import { demoCommand } from './commands/demo.js';
import { downloadCommand } from './commands/download.js';
import { findCommand } from './commands/find.js';
import { sandboxCommand } from './commands/sandbox.js';
import { verifyCommand } from './commands/verify.js';

const EXIT_CODES_HELP = `
Guided workflow: run scancopy with no arguments on a terminal (the seed tool's steps:
Copy Scan or Download Images). To see everything work first: npm run demo.

Exit codes:
  0    all done
  1    finished with failed items
  2    usage or configuration error
  3    authentication failed
  4    an instance (API or DB) unreachable
  5    stopped by --max-duration (state saved; resume with --resume)
  130  interrupted (state saved; resume with --resume)`;

const EXIT_CODES_LINE = `
Exit codes: 0 done, 1 finished with failed items, 2 usage or config error, 3 authentication
failed, 4 instance unreachable, 5 --max-duration reached, 130 interrupted (see scancopy --help).`;

export type CommandFactory = () => Command;

const commands: CommandFactory[] = [sandboxCommand, findCommand, downloadCommand, analyzeCommand, copyCommand, verifyCommand, demoCommand];

export function buildProgram(): Command {
  const program = new Command('scancopy')
    .description('Copy shelf scans between platform instances, download scan images, and compare source with copy.')
    .version('0.1.0')
    .addHelpText('after', EXIT_CODES_HELP)
    .showSuggestionAfterError()
    .exitOverride();
  addOutputOptions(program);
  for (const make of commands) {
    const cmd = make().exitOverride();
    // Commands without their own --log-format/--quiet list the program-wide ones in their help.
    if (!cmd.options.some((o) => o.long === '--log-format')) cmd.configureHelp({ showGlobalOptions: true });
    cmd.addHelpText('after', EXIT_CODES_LINE);
    program.addCommand(cmd);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    if (argv.length === 0) {
      if (process.stdin.isTTY && process.stdout.isTTY) return await runWizard();
      // Without a terminal there is no one to answer the wizard: say what to run instead.
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(err);
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
