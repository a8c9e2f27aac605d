/** `scancopy find`: the scans of a store on a day (or days), newest first, one per line. */
import { Command, Option } from 'commander';
import { openInstance } from '../../platform/instance.js';
import { findScans } from '../../workflows/find.js';
import { addInstanceOptions, resolveCliInstances, type InstanceCliOptions } from '../instance-options.js';
import { addStoreOptions, parseStoreSelection, type ScanSelectionFlags } from '../scan-selection.js';
import { positiveInt } from './copy-support.js';

type FindFlags = InstanceCliOptions & ScanSelectionFlags & { json?: boolean; limit?: number };

const HELP_AFTER = `
Output: one scan per line, tab-separated: id, created_at (ISO 8601, UTC), status, file count;
with --json one JSON array. A count goes to stderr. It logs in first, so wrong
credentials fail fast (exit 3) before the database is read.

Examples:
  scancopy find --source albt --store 42 --date 2026-11-28
  scancopy find --source albt --store 42 --from 2026-11-01 --to 2026-11-28 --done-only --json`;

export function findCommand(): Command {
  const cmd = new Command('find').description('List the scans of a store created on a day or in a range of days, newest first.');
  addInstanceOptions(cmd, 'source');
  addStoreOptions(cmd);
  cmd
    .addOption(new Option('--limit <n>', 'at most this many scans').argParser(positiveInt('--limit')))
    .option('--json', 'print a JSON array')
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: FindFlags) => {
      const selection = parseStoreSelection(flags);
      const config = await resolveCliInstances(flags, ['source']);
      const source = config.source;
      const instance = await openInstance(source, { timeouts: config.timeouts, retry: config.retry, limits: config.limits, maxConnections: 1 });
      try {
        await instance.api.login();
        const scans = await findScans(instance.db, { ...selection, limit: flags.limit });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(scans)}\n`);
        } else {
          for (const s of scans) process.stdout.write(`${s.id}\t${s.createdAt.toISOString()}\t${s.status}\t${s.fileCount}\n`);
        }
        const days = selection.from === selection.to ? selection.from : `${selection.from}..${selection.to}`;
        process.stderr.write(`${scans.length} scan${scans.length === 1 ? '' : 's'} of store ${selection.storeId} on ${days} in ${source.name}\n`);
      } finally {
        await instance.close();
      }
    });
  return cmd;
}
