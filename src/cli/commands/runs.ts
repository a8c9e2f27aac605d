/** `scancopy runs`: the copy run folders under the results folder, newest first, with their job, counts and state. */
import { Command, Option } from 'commander';
import { resolveConfig } from '../../config/index.js';
import { RESULTS_HELP } from '../instance-options.js';
import { listCopyRuns, type CopyRun } from '../../workflows/copy.js';

const HELP_AFTER = `
States: unfinished (scans still to copy: continue with scancopy copy --resume RUN_DIR),
finished, running (another scancopy holds the folder), damaged (its checkpoint cannot be
read), no copy (an analysis's folder). Counts include what the journal holds beyond the
last checkpoint. Nothing is written or locked.

Examples:
  scancopy runs
  scancopy runs --results ~/scancopy-results --json`;

export function runsCommand(): Command {
  return new Command('runs')
    .description('List past copy runs (folder, job, state, counts) under the results folder.')
    .addOption(new Option('--results <dir>', RESULTS_HELP))
    .option('--config <file>', 'config file (default ./scancopy.config.json, else the user config file, when present)')
    .option('--json', 'print a JSON array')
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: { results?: string; config?: string; json?: boolean }) => {
      const config = resolveConfig({ flags: { config: flags.config, resultsDir: flags.results }, env: process.env, cwd: process.cwd() });
      const runs = await listCopyRuns(config.resultsDir);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(runs)}\n`);
        return;
      }
      if (runs.length === 0) {
        process.stderr.write(`no run folders in ${config.resultsDir}\n`);
        return;
      }
      process.stdout.write(`${runLines(runs).join('\n')}\n`);
      process.stderr.write(`${runs.length} run(s) in ${config.resultsDir}\n`);
    });
}

export function runLines(runs: readonly CopyRun[]): string[] {
  const rows = runs.map((r) => [
    r.name,
    r.state,
    r.job ? `${r.instances?.source.name ?? r.job.source} -> ${r.instances?.target.name ?? r.job.target} store ${r.job.targetStore} (${r.job.mode})` : (r.problem ?? ''),
    r.job ? `${r.created + r.skipped}/${r.total} done${r.failed > 0 ? `, ${r.failed} failed` : ''}` : '',
    r.updatedAt ? r.updatedAt.slice(0, 19).replace('T', ' ') : '',
  ]);
  const head = ['folder', 'state', 'job', 'scans', 'updated (UTC)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  return [head, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ').trimEnd());
}
