/**
 * The pairs to analyse, from what a copy run leaves (platform.md section 7), scancopy's or
 * the seed tool's: a mapping CSV with header `Source_Scan_ID,Target_Scan_ID` (an empty target
 * is a scan with no copy), or a checkpoint JSON whose `scan_mapping` lists
 * `{source_scan_id, target_scan_id}` objects or, as the seed tool writes it, `[source, target]` pairs.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { ScanCopyError } from '../../core/errors.js';
import type { ScanPair } from './rows.js';

export async function readScanMapping(path: string): Promise<ScanPair[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ScanCopyError('USAGE', `cannot read the mapping file ${path}`, { cause: err, hint: 'pass the scan_mapping_<ts>.csv (or checkpoint_<ts>.json) of a copy run' });
  }
  const json = path.toLowerCase().endsWith('.json');
  const records = json ? checkpointRecords(text, path) : csvRecords(text, path);
  return records.map(([source, target], i) => toPair(source, target, `${path} ${json ? `entry ${i + 1}` : `line ${i + 2}`}`));
}

function csvRecords(text: string, path: string): Array<[unknown, unknown]> {
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (err) {
    throw new ScanCopyError('USAGE', `the mapping file ${path} is not valid CSV`, { cause: err });
  }
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const sourceAt = header.indexOf('source_scan_id');
  const targetAt = header.indexOf('target_scan_id');
  if (sourceAt === -1 || targetAt === -1) {
    throw new ScanCopyError('USAGE', `the mapping file ${path} has no Source_Scan_ID,Target_Scan_ID header`, { context: { header: rows[0] } });
  }
  return rows.slice(1).map((r) => [r[sourceAt], r[targetAt]]);
}

function checkpointRecords(text: string, path: string): Array<[unknown, unknown]> {
  let mapping: unknown;
  try {
    mapping = (JSON.parse(text) as { scan_mapping?: unknown }).scan_mapping;
  } catch (err) {
    throw new ScanCopyError('USAGE', `the mapping file ${path} is not valid JSON`, { cause: err });
  }
  if (!Array.isArray(mapping)) throw new ScanCopyError('USAGE', `the checkpoint ${path} has no scan_mapping list`);
  return mapping.map((m: unknown): [unknown, unknown] => {
    if (Array.isArray(m)) return [m[0], m[1]];
    const entry = (typeof m === 'object' && m !== null ? m : {}) as { source_scan_id?: unknown; target_scan_id?: unknown };
    return [entry.source_scan_id, entry.target_scan_id];
  });
}

function toPair(source: unknown, target: unknown, where: string): ScanPair {
  const sourceId = toId(source);
  if (sourceId === undefined || sourceId === null) {
    throw new ScanCopyError('USAGE', `${where}: source scan id ${JSON.stringify(source)} is not a scan id`);
  }
  const targetId = toId(target);
  if (targetId === undefined) throw new ScanCopyError('USAGE', `${where}: target scan id ${JSON.stringify(target)} is not a scan id`);
  return { sourceId, targetId };
}

/** A positive integer id; null for an empty value (no copy); undefined for anything else. */
function toId(value: unknown): number | null | undefined {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(String(value).trim()) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export interface MappingMatch {
  /** One pair per scan of `sourceIds`, in its order: its copy from the mapping, or none. */
  pairs: ScanPair[];
  /** Scans of `sourceIds` the mapping has no copy of. */
  uncopied: number[];
  /** Source scans of the mapping that are not in `sourceIds` (left out). */
  ignored: number;
}

/**
 * A mapping file read against the scans chosen earlier (the wizard's Step 2): a mapping that
 * copies none of them belongs to another run and is refused before any work.
 */
export function matchMapping(mapping: readonly ScanPair[], sourceIds: readonly number[]): MappingMatch {
  const copies = new Map<number, number>();
  for (const p of mapping) if (p.targetId !== null) copies.set(p.sourceId, p.targetId);
  const wanted = new Set(sourceIds);
  const pairs = sourceIds.map((sourceId) => ({ sourceId, targetId: copies.get(sourceId) ?? null }));
  const uncopied = pairs.filter((p) => p.targetId === null).map((p) => p.sourceId);
  if (uncopied.length === sourceIds.length) {
    throw new ScanCopyError('USAGE', `the mapping has no copy of the ${sourceIds.length} scan(s) chosen (${sourceIds.slice(0, 5).join(', ')}${sourceIds.length > 5 ? ', ...' : ''})`, {
      hint: 'it belongs to another copy: choose the mapping of the run that copied these scans, or other scans',
    });
  }
  return { pairs, uncopied, ignored: [...copies.keys()].filter((id) => !wanted.has(id)).length };
}
