/**
 * Which scans a command works on: `--scans 1,2,3`, `--scans-file F`, or
 * `--store S` with `--date D` or `--from D --to D` (and `--done-only`).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parseScanIds, parseScanIdsFile } from '../config/parse.js';
import { ScanCopyError } from '../core/errors.js';
import { isDay, type ScanSelection } from '../workflows/find.js';

export type { ScanSelection } from '../workflows/find.js';

export interface ScanSelectionFlags {
  scans?: string;
  scansFile?: string;
  store?: string;
  date?: string;
  from?: string;
  to?: string;
  doneOnly?: boolean;
}

export type StoreSelection = Extract<ScanSelection, { kind: 'store' }>;

export function addStoreOptions(cmd: Command): Command {
  return cmd
    .option('--store <id>', 'store id')
    .option('--date <day>', 'scans created on this day (YYYY-MM-DD, UTC)')
    .option('--from <day>', 'first day of a range (with --to)')
    .option('--to <day>', 'last day of a range, inclusive (with --from)')
    .option('--done-only', "only processed scans (status 'done' with a report)");
}

export function addScanSelectionOptions(cmd: Command): Command {
  cmd.option('--scans <ids>', 'scan ids and ranges, comma-separated (101,102,110-120)').option('--scans-file <file>', 'a file of scan ids (ids or ranges one per line, or comma-separated; a header line is skipped)');
  return addStoreOptions(cmd);
}

export function parseScanSelection(opts: ScanSelectionFlags): ScanSelection {
  const given = [opts.scans !== undefined && '--scans', opts.scansFile !== undefined && '--scans-file', opts.store !== undefined && '--store'].filter(Boolean);
  if (given.length === 0) throw usage('no scans selected: give --scans, --scans-file, or --store with --date (or --from and --to)');
  if (given.length > 1) throw usage(`choose one of ${given.join(', ')}`);
  if (opts.scans !== undefined) return { kind: 'ids', ids: parseScanIds(opts.scans, '--scans') };
  if (opts.scansFile !== undefined) return { kind: 'ids', ids: readIdsFile(opts.scansFile) };
  return parseStoreSelection(opts);
}

export function parseStoreSelection(opts: ScanSelectionFlags): StoreSelection {
  if (opts.store === undefined) throw usage('--store is required');
  const storeId = positiveId(opts.store, '--store');
  if (opts.date !== undefined && (opts.from !== undefined || opts.to !== undefined)) throw usage('give either --date or --from and --to, not both');
  let from: string;
  let to: string;
  if (opts.date !== undefined) {
    from = to = day(opts.date, '--date');
  } else if (opts.from !== undefined && opts.to !== undefined) {
    from = day(opts.from, '--from');
    to = day(opts.to, '--to');
    if (from > to) throw usage(`--from ${from} is after --to ${to}`);
  } else {
    throw usage(opts.from !== undefined || opts.to !== undefined ? 'give both --from and --to' : '--store needs --date D (or --from D --to D)');
  }
  return { kind: 'store', storeId, from, to, ...(opts.doneOnly ? { doneOnly: true } : {}) };
}

function readIdsFile(path: string): number[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ScanCopyError('USAGE', `--scans-file ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseScanIdsFile(text, `--scans-file ${path}`);
}

function positiveId(text: string, where: string): number {
  const value = /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!(value > 0)) throw usage(`${where} = ${JSON.stringify(text)}: expected a positive whole number`);
  return value;
}

function day(text: string, where: string): string {
  if (!isDay(text)) throw usage(`${where} = ${JSON.stringify(text)}: expected a day as YYYY-MM-DD`);
  return text;
}

function usage(message: string): ScanCopyError {
  return new ScanCopyError('USAGE', message);
}
