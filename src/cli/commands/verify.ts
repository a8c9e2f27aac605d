/** `scancopy verify`: check a copy pair by pair (files, bytes, payload) and print a table of what differs. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { EXIT, ScanCopyError } from '../../core/errors.js';
import { openInstance, type Instance } from '../../platform/instance.js';
import { readScanMapping } from '../../workflows/analyze.js';
import type { CopyMode } from '../../workflows/copy.js';
import { verifyCopy, type VerifyEvent, type VerifyMismatch, type VerifyResult } from '../../workflows/verify.js';
import { addInstanceOptions, resolveCliInstances, type InstanceCliOptions } from '../instance-options.js';
import { createEventRenderer, outputOptions, type EventView } from '../render.js';
import { positiveInt, stopOnSignals } from './copy-support.js';

type VerifyFlags = InstanceCliOptions & { mapping: string; mode?: CopyMode; targetStore?: number; workers: number };

const HELP_AFTER = `
For every pair of the mapping (scan_mapping_updated_<ts>.csv, scan_mapping_<ts>.csv or
checkpoint_<ts>.json of a copy run): both scans exist, the same number of files, the same
bytes in the same order (sha256 of what each instance serves), and the target's payload as
the mode says (auto drops the source mapping, mapped keeps it). The mode comes from the
mapping's name or checkpoint unless --mode says. Rows without a target are listed as not
copied. Exit code 1 when anything differs.

Example:
  scancopy verify --source albt --target stgalbt --mapping testResults/run_20261128_101500/scan_mapping_updated_20261128_101500.csv`;

export function verifyCommand(): Command {
  const cmd = new Command('verify').description('Check a copy pair by pair: file count, byte-identical files, payload fields.');
  addInstanceOptions(cmd, 'source');
  addInstanceOptions(cmd, 'target');
  cmd
    .requiredOption('--mapping <file>', 'the scan mapping CSV or checkpoint JSON of a copy run')
    .addOption(new Option('--mode <mode>', 'the copy mode (default: from the mapping)').choices(['auto', 'mapped']))
    .addOption(new Option('--target-store <id>', 'also check that every copy is in this store').argParser(positiveInt('--target-store')))
    .addOption(new Option('--workers <n>', 'files fetched at once').argParser(positiveInt('--workers')).default(20))
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: VerifyFlags, command: Command) => {
      await runVerify(flags, command);
    });
  return cmd;
}

async function runVerify(flags: VerifyFlags, command: Command): Promise<void> {
  const pairs = await readScanMapping(flags.mapping);
  const mode = flags.mode ?? (await modeOf(flags.mapping));
  const config = await resolveCliInstances(flags, ['source', 'target']);
  const opened: Instance[] = [];
  const renderer = createEventRenderer(outputOptions(command), VERIFY_VIEW);
  const signals = stopOnSignals();
  try {
    const open = async (role: 'source' | 'target'): Promise<Instance> => {
      const inst = await openInstance(config[role] as NonNullable<typeof config.source>, { timeouts: config.timeouts, retry: config.retry, limits: { download: flags.workers }, maxConnections: 2 });
      opened.push(inst);
      return inst;
    };
    const [source, target] = [await open('source'), await open('target')];
    await Promise.all([source.api.login({ signal: signals.signal }), target.api.login({ signal: signals.signal })]);
    const result = await verifyCopy(
      { source, target, pairs: pairs.map((p) => ({ sourceScanId: p.sourceId, targetScanId: p.targetId })), mode, targetStoreId: flags.targetStore, workers: flags.workers },
      { signal: signals.signal, onEvent: renderer.onEvent },
    );
    renderer.result({ command: 'verify', mode, ...result }, verifyLines(result, mode));
    if (result.mismatches.length > 0) process.exitCode = EXIT.failedItems;
  } finally {
    renderer.close();
    signals.dispose();
    await Promise.all(opened.map((i) => i.close()));
  }
}

/** The mode a copy ran in, from its checkpoint or the mapping's file name. */
async function modeOf(path: string): Promise<CopyMode> {
  const name = basename(path);
  if (/^scan_mapping_updated_/.test(name)) return 'auto';
  if (/^scan_mapping_\d/.test(name)) return 'mapped';
  if (name.endsWith('.json')) {
    const mode = (JSON.parse(await readFile(path, 'utf8')) as { job?: { mode?: unknown } }).job?.mode;
    if (mode === 'auto' || mode === 'mapped') return mode;
  }
  throw new ScanCopyError('USAGE', `cannot tell the copy mode from ${name}`, { hint: 'Add --mode auto or --mode mapped.' });
}

const VERIFY_VIEW: EventView<VerifyEvent> = {
  plain(e) {
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
  if (r.mismatches.length === 0) return [...lines, 'No mismatches.'];
  return [...lines, 'Mismatches:', ...table(r.mismatches)];
}

function table(rows: readonly VerifyMismatch[]): string[] {
  const cells = [['Source_Scan_ID', 'Target_Scan_ID', 'Check', 'Detail'], ...rows.map((m) => [String(m.sourceScanId), String(m.targetScanId), m.check, m.detail])];
  const widths = [0, 1, 2].map((c) => Math.max(...cells.map((r) => (r[c] as string).length)));
  return cells.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] as number) : cell)).join('  '));
}
