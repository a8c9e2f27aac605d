/** `scancopy verify`: check a copy pair by pair (files, bytes, payload) and print a table of what differs. */
import { exitCodeOf } from '../../workflows/exit-code.js';
import { basename, dirname, join } from 'node:path';
import { confirm } from '@inquirer/prompts';
import { Command, Option } from 'commander';
import { DEFAULTS } from '../../config/index.js';
import { ScanCopyError } from '../../core/errors.js';
import type { Instance } from '../../platform/instance.js';
import { readScanMapping } from '../../workflows/analyze.js';
import { COPY_MODES, readCopyRun, type CopyMode } from '../../workflows/copy.js';
import { modeOfMapping } from '../../workflows/copy/run-folder.js';
import { deleteDuplicates, type DedupeEvent, type DedupeResult } from '../../workflows/dedupe.js';
import type { Duplicate } from '../../workflows/duplicates.js';
import { verifyCopy, type VerifyEvent, type VerifyMismatch, type VerifyResult } from '../../workflows/verify.js';
import { addInstanceOptions, resolveCliInstances, type InstanceCliOptions } from '../instance-options.js';
import { outputOptions, type EventView } from '../render.js';
import { positiveInt } from './copy-support.js';
import { withCommandRun } from '../command-run.js';
import { recordedInstances } from './copy.js';

type VerifyFlags = InstanceCliOptions & { mapping: string; mode?: CopyMode; targetStore?: number; workers: number; deleteDuplicates?: true; dryRun?: true; yes?: true };

type DedupeFlags = InstanceCliOptions & { workers: number; dryRun?: true; yes?: true };

const HELP_AFTER = `
For every pair of the mapping (scan_mapping_updated_<ts>.csv, scan_mapping_<ts>.csv or
checkpoint_<ts>.json of a copy run): both scans exist, the same number of files, the same
bytes in the same order (sha256 of what each instance serves), and the target's payload as
the mode says (auto drops the source mapping, mapped keeps it). The mode comes from the
mapping's name or checkpoint unless --mode says. Rows without a target are listed as not
copied. Then every target scan beyond the mapped one that uses a copy's files is listed as
a duplicate. Exit code 1 when anything differs or any duplicate remains.

--delete-duplicates deletes those extras through the API (never a mapped scan), after a
confirmation (or --yes), each delete journaled in dedupe.ndjson beside the mapping;
with --dry-run it only lists what it would delete.

Example:
  scancopy verify --source albt --target stgalbt --mapping testResults/run_20261128_101500/scan_mapping_updated_20261128_101500.csv`;

export function verifyCommand(): Command {
  const cmd = new Command('verify').description('Check a copy pair by pair: file count, byte-identical files, payload fields.');
  addInstanceOptions(cmd, 'source');
  addInstanceOptions(cmd, 'target');
  cmd
    .requiredOption('--mapping <file>', 'the scan mapping CSV or checkpoint JSON of a copy run')
    .addOption(new Option('--mode <mode>', 'the copy mode (default: from the mapping)').choices(COPY_MODES))
    .addOption(new Option('--target-store <id>', 'also check that every copy is in this store').argParser(positiveInt('--target-store')))
    .addOption(new Option('--workers <n>', 'files fetched at once').argParser(positiveInt('--workers')).default(DEFAULTS.limits.download))
    .option('--delete-duplicates', 'delete the duplicates found (extra target scans with a copy\'s files), never a mapped scan')
    .option('--dry-run', 'with --delete-duplicates: list what would be deleted, delete nothing')
    .option('--yes', 'with --delete-duplicates: delete without asking')
    .addHelpText('after', HELP_AFTER)
    .action(runVerify);
  return cmd;
}

/**
 * `scancopy dedupe RUN`: `verify --delete-duplicates` of one copy run, its mapping the run's
 * checkpoint and its instances those the run recorded (instance flags override them).
 */
export function dedupeCommand(): Command {
  const cmd = new Command('dedupe').description("Delete a copy run's duplicates: verify --delete-duplicates with the run folder's mapping and instances.");
  cmd.argument('<run>', 'the run folder (run_<ts>) or its checkpoint_<ts>.json');
  addInstanceOptions(cmd, 'source');
  addInstanceOptions(cmd, 'target');
  cmd
    .addOption(new Option('--workers <n>', 'files fetched at once').argParser(positiveInt('--workers')).default(20))
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option('--yes', 'delete without asking')
    .addHelpText('after', '\nExample:\n  scancopy dedupe testResults/run_20261128_101500 --dry-run')
    .action(async (runPath: string, flags: DedupeFlags, command: Command) => {
      const run = await readCopyRun(runPath);
      const mapping = join(run.dir, `checkpoint_${run.name.slice('run_'.length)}.json`);
      await runVerify({ ...flags, ...recordedInstances(run, flags), mapping, deleteDuplicates: true }, command);
    });
  return cmd;
}

async function runVerify(flags: VerifyFlags, command: Command): Promise<void> {
  const pairs = await readScanMapping(flags.mapping);
  const mode = flags.mode ?? (await modeOf(flags.mapping));
  const config = await resolveCliInstances(flags, ['source', 'target']);
  await withCommandRun(outputOptions(command), VERIFY_VIEW, async ({ renderer, signal, open }) => {
    const settings = { timeouts: config.timeouts, retry: config.retry, limits: { download: flags.workers }, maxConnections: 2 };
    const source = await open(config.source, settings);
    const target = await open(config.target, settings);
    await Promise.all([source.api.login({ signal }), target.api.login({ signal })]);
    const result = await verifyCopy(
      { source, target, pairs: pairs.map((p) => ({ sourceScanId: p.sourceId, targetScanId: p.targetId })), mode, targetStoreId: flags.targetStore, workers: flags.workers },
      { signal, onEvent: renderer.onEvent },
    );
    const removal = flags.deleteDuplicates && result.duplicates.length > 0
      ? await removeDuplicates(flags, result.duplicates, new Set(pairs.flatMap((p) => (p.targetId === null ? [] : [p.targetId]))), target, renderer.onEvent, signal)
      : undefined;
    renderer.result({ command: 'verify', mode, ...result, ...(removal ? { deleted: removal.deleted, deleteFailed: removal.failed } : {}) }, [...verifyLines(result, mode), ...removalLines(result.duplicates, removal, flags)]);
    const remaining = removal ? removal.failed.length + (flags.dryRun ? result.duplicates.length : 0) : result.duplicates.length;
    process.exitCode = exitCodeOf({ verify: result, duplicatesLeft: remaining });
  });
}

/** Deletes the extras once confirmed; a dry run deletes nothing. */
async function removeDuplicates(
  flags: VerifyFlags, duplicates: readonly Duplicate[], mappedTargetIds: ReadonlySet<number>, target: Instance, onEvent: (e: DedupeEvent) => void, signal: AbortSignal,
): Promise<DedupeResult | undefined> {
  if (flags.dryRun) return undefined;
  const extras = duplicates.reduce((n, d) => n + d.extraTargetScanIds.length, 0);
  if (!flags.yes) {
    if (!(process.stdin.isTTY === true && process.stderr.isTTY === true)) {
      throw new ScanCopyError('USAGE', `--delete-duplicates would delete ${extras} target scan(s) and needs a confirmation`, { hint: 'Add --yes to confirm, or --dry-run to list them.' });
    }
    const sure = await confirm({ message: `Delete ${extras} duplicate target scan(s) on ${target.name} (the mapped copies stay)?`, default: false }, { output: process.stderr });
    if (!sure) throw new ScanCopyError('ABORTED', 'deleting duplicates not confirmed; nothing was deleted');
  }
  return deleteDuplicates({ target, duplicates, mappedTargetIds, journalPath: join(dirname(flags.mapping), 'dedupe.ndjson') }, { signal, onEvent });
}

function removalLines(duplicates: readonly Duplicate[], removal: DedupeResult | undefined, flags: VerifyFlags): string[] {
  if (duplicates.length === 0) return [];
  const lines = ['Duplicates (target scans beyond the mapped copy that use its files):'];
  for (const d of duplicates) lines.push(`  source ${d.sourceScanId}: kept ${d.keptTargetScanId}, extra ${d.extraTargetScanIds.join(', ')}`);
  if (!flags.deleteDuplicates) lines.push('Delete the extras with --delete-duplicates (add --dry-run to list them first).');
  else if (!removal) lines.push('Dry run: nothing deleted.');
  else {
    lines.push(`Deleted ${removal.deleted.length} duplicate target scan(s).`);
    for (const f of removal.failed) lines.push(`  could not delete target scan ${f.targetScanId}: ${f.reason}`);
  }
  return lines;
}

/** The mode a copy ran in, from its checkpoint or the mapping's file name. */
async function modeOf(path: string): Promise<CopyMode> {
  const mode = await modeOfMapping(path);
  if (mode) return mode;
  throw new ScanCopyError('USAGE', `cannot tell the copy mode from ${basename(path)}`, { hint: 'Add --mode auto or --mode mapped.' });
}

const VERIFY_VIEW: EventView<VerifyEvent | DedupeEvent> = {
  plain(e) {
    if (e.type === 'duplicate') return `[DUPLICATE] ${e.sourceScanId} -> ${e.keptTargetScanId}: extra target scans with its files: ${e.extraTargetScanIds.join(', ')}`;
    if (e.type === 'duplicate-deleted') return `[DEDUPE] deleted target scan ${e.targetScanId} (duplicate of ${e.keptTargetScanId}, source ${e.sourceScanId})${e.existed ? '' : ', already gone'}`;
    if (e.type === 'duplicate-delete-failed') return `[DEDUPE] could not delete target scan ${e.targetScanId}: ${e.reason}`;
    if (e.type === 'verify-start') return `[VERIFY] ${e.checked} pair${e.checked === 1 ? '' : 's'} to check (${e.mode} mode)${e.pairs > e.checked ? `, ${e.pairs - e.checked} without a copy` : ''}`;
    if (e.type === 'pair-verified' && !e.ok) return e.mismatches.map((m) => `[VERIFY] ${m.sourceScanId} -> ${m.targetScanId}: ${m.check}: ${m.detail}`);
    return undefined;
  },
  progress: {
    stages: [{ key: 'verify', unit: 'pairs' }],
    apply(e, bars) {
      if (e.type === 'verify-start') bars.setTotal('verify', e.checked);
      if (e.type === 'pair-verified') bars.advance('verify', 1, e.ok ? 'ok' : 'failed');
      return e.type === 'pair-verified' && e.ok;
    },
  },
};

export function verifyLines(r: VerifyResult, mode: CopyMode): string[] {
  const lines = [`Verified ${r.checked} pair${r.checked === 1 ? '' : 's'} (${mode} mode): ${r.passed} identical, ${r.checked - r.passed} with differences; ${r.files} file pairs, ${(r.bytes / 1e6).toFixed(2)} MB read`];
  if (r.notCopied.length > 0) lines.push(`Not copied (no target in the mapping): ${r.notCopied.join(', ')}`);
  if (r.duplicates.length > 0) lines.push(`Duplicates: ${r.duplicates.reduce((n, d) => n + d.extraTargetScanIds.length, 0)} extra target scan(s) of ${r.duplicates.length} copied scan(s)`);
  if (r.mismatches.length === 0) return [...lines, 'No mismatches.'];
  return [...lines, 'Mismatches:', ...table(r.mismatches)];
}

function table(rows: readonly VerifyMismatch[]): string[] {
  const cells = [['Source_Scan_ID', 'Target_Scan_ID', 'Check', 'Detail'], ...rows.map((m) => [String(m.sourceScanId), String(m.targetScanId), m.check, m.detail])];
  const widths = [0, 1, 2].map((c) => Math.max(...cells.map((r) => (r[c] as string).length)));
  return cells.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] as number) : cell)).join('  '));
}
