/** `scancopy runs`: the copy run folders under the results folder, newest first, with their job, counts and state. */
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { resolveConfig } from '../../config/index.js';
import { RESULTS_HELP } from '../instance-options.js';
import { ledgerExists, listCopyRuns, type CopyRun, type Ledger } from '../../workflows/copy.js';
import { openConfiguredLedger } from './copy-support.js';

const HELP_AFTER = `
States: unfinished (scans still to copy: continue with scancopy copy --resume RUN_DIR),
finished, running (another scancopy holds the folder), damaged (its checkpoint cannot be
read), no copy (an analysis's folder), gone (a run the ledger recorded whose folder was
deleted: only its copies are known). Counts include what the journal holds beyond the last
checkpoint. Runs in other results folders are listed from the ledger too. Nothing is
written or locked.

Examples:
  scancopy runs
  scancopy runs --results ~/scancopy-results --json`;

export function runsCommand(): Command {
  return new Command('runs')
    .description('List past copy runs (folder, job, state, counts) under the results folder.')
    .addOption(new Option('--results <dir>', RESULTS_HELP))
    .addOption(new Option('--ledger <dir|url>', 'the ledger whose runs are listed too (default: the one copy uses, when it exists)'))
    .option('--config <file>', 'config file (default ./scancopy.config.json, else the user config file, when present)')
    .option('--json', 'print a JSON array')
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: { results?: string; ledger?: string; config?: string; json?: boolean }) => {
      const config = resolveConfig({ flags: { config: flags.config, resultsDir: flags.results, ledger: flags.ledger }, env: process.env, cwd: process.cwd() });
      const ledger = await openIfWritten(config.ledger);
      let runs: CopyRun[];
      try {
        runs = await listCopyRuns(config.resultsDir, ledger ? { ledger } : {});
      } finally {
        await ledger?.close();
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(runs)}\n`);
        return;
      }
      if (runs.length === 0) {
        process.stderr.write(`no run folders in ${config.resultsDir}\n`);
        return;
      }
      const resultsDir = resolve(config.resultsDir);
      process.stdout.write(`${runLines(runs, resultsDir).join('\n')}\n`);
      const here = runs.filter((r) => dirname(r.dir) === resultsDir).length;
      process.stderr.write(`${here} run(s) in ${config.resultsDir}${runs.length > here ? `, ${runs.length - here} elsewhere (from the ledger ${config.ledger.location})` : ''}\n`);
    });
}

/** The configured ledger when one was written; one that cannot be opened only costs the runs it knows. */
async function openIfWritten(config: Parameters<typeof openConfiguredLedger>[0]): Promise<Ledger | undefined> {
  if (!(await ledgerExists(config.location))) return undefined;
  return openConfiguredLedger(config).catch((err: unknown) => {
    process.stderr.write(`warning: the ledger ${config.location} cannot be read (${(err as Error).message}); runs outside the results folder are not listed\n`);
    return undefined;
  });
}

/** One row a run; a run outside `resultsDir` is named by its whole path (folders elsewhere may share its name). */
export function runLines(runs: readonly CopyRun[], resultsDir: string): string[] {
  const rows = runs.map((r) => [
    dirname(r.dir) === resultsDir ? r.name : r.dir,
    r.state,
    r.job
      ? `${r.instances?.source.name ?? r.job.source} -> ${r.instances?.target.name ?? r.job.target} store ${r.job.targetStore} (${r.job.mode})`
      : r.recorded
        ? `${r.recorded.sourceInstance} -> ${r.recorded.targetInstance} store ${r.recorded.targetStore}`
        : (r.problem ?? ''),
    r.job ? `${r.created + r.skipped}/${r.total} done${r.failed > 0 ? `, ${r.failed} failed` : ''}` : r.recorded ? `${r.recorded.copies} copied` : '',
    r.updatedAt ? r.updatedAt.slice(0, 19).replace('T', ' ') : '',
  ]);
  const head = ['folder', 'state', 'job', 'scans', 'updated (UTC)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  return [head, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ').trimEnd());
}
