/**
 * The scancopy command line: subcommands, and the guided wizard when run with no arguments
 * on a terminal. Every command module registers itself on the program; errors come back
 * here and leave through one exit-code table.
 *
 * A start loads only the command modules it can need: each pulls in its workflow and
 * packages (the sandbox fastify and PGlite, analysis exceljs), and loading all of them cost
 * a second before `--version` could answer.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, ScanCopyError } from '../core/errors.js';
import { errorJson, exitQuietlyOnClosedOutput, reportError } from './exit.js';
import { addOutputOptions } from './render.js';

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

/** Every command by name, in the order help lists them. */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<CommandFactory>]> = [
  ['sandbox', async () => (await import('./commands/sandbox.js')).sandboxCommand],
  ['find', async () => (await import('./commands/find.js')).findCommand],
  ['download', async () => (await import('./commands/download.js')).downloadCommand],
  ['analyze', async () => (await import('./commands/analyze.js')).analyzeCommand],
  ['copy', async () => (await import('./commands/copy.js')).copyCommand],
  ['verify', async () => (await import('./commands/verify.js')).verifyCommand],
  ['dedupe', async () => (await import('./commands/verify.js')).dedupeCommand],
  ['demo', async () => (await import('./commands/demo.js')).demoCommand],
  ['runs', async () => (await import('./commands/runs.js')).runsCommand],
  ['config', async () => (await import('./commands/config.js')).configCommand],
  ['completion', async () => (await import('./commands/completion.js')).completionCommand],
];

/**
 * The commands `argv` can run: those named in it (an option's value that happens to be a
 * command name only loads one more), none for a bare `--version`, and all for help, for
 * `completion` (its script lists them) or when none is named, so that the program's help and
 * the suggestion for a mistyped command see every one.
 */
export async function commandsFor(argv: readonly string[]): Promise<CommandFactory[]> {
  const named = COMMANDS.filter(([name]) => argv.includes(name));
  const help = argv.some((a) => a === '-h' || a === '--help' || a === 'help' || a === 'completion');
  const versionOnly = argv.length > 0 && argv.every((a) => a === '--version' || a === '-V');
  const wanted = versionOnly ? [] : named.length > 0 && !help ? named : COMMANDS;
  return Promise.all(wanted.map(([, load]) => load()));
}

export function buildProgram(commands: readonly CommandFactory[]): Command {
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
  try {
    const program = buildProgram(await commandsFor(argv));
    if (argv.length === 0) {
      if (process.stdin.isTTY && process.stdout.isTTY) return await (await import('./wizard.js')).runWizard();
      // Without a terminal there is no one to answer the wizard: say what to run instead.
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok;
      if (wantsJson(argv)) process.stdout.write(`${errorJson(new ScanCopyError('USAGE', err.message.replace(/^error: /, '')), EXIT.usage)}\n`);
      return EXIT.usage;
    }
    return reportError(err, { json: wantsJson(argv) });
  }
}

/** `--log-format json` anywhere on the line: an error must be JSON too, even one found before the options are parsed. */
function wantsJson(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--log-format=json' || (a === '--log-format' && argv[i + 1] === 'json'));
}

exitQuietlyOnClosedOutput(process.argv.slice(2));
const code = await main(process.argv.slice(2));
process.exitCode = code;
