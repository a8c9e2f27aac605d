/** One parser per kind of value that arrives as text (a flag, the environment, a wizard answer). */
import { ScanCopyError } from '../core/errors.js';

/** A count (workers, batch size, a limit): a positive whole number, surrounding spaces ignored. */
export function parseCount(text: string, where: string): number {
  const trimmed = text.trim();
  if (!/^[1-9]\d{0,14}$/.test(trimmed)) throw new ScanCopyError('USAGE', `${where} = ${JSON.stringify(text)}: expected a positive whole number`);
  return Number(trimmed);
}

/** A range wider than this is a typo (an extra digit), not a selection. */
export const MAX_RANGE = 100_000;

/**
 * Scan ids as typed (a flag, a wizard answer, a line of a file): whole numbers and ranges
 * such as `100-120`, separated by commas, semicolons or spaces; empty items (`1,,2`) are
 * ignored, duplicates dropped, the order kept. An empty list is refused.
 */
export function parseScanIds(text: string, where: string): number[] {
  const ids = scanIdTokens(text, where);
  if (ids.length === 0) throw new ScanCopyError('USAGE', `${where} = ${JSON.stringify(text)}: no scan ids`);
  return [...new Set(ids)];
}

/**
 * A file of scan ids: ids and ranges one per line or comma-separated, or a CSV with a header
 * line (a scan mapping: Source_Scan_ID,Target_Scan_ID) whose first column is taken. A bad
 * line is named by its number.
 */
export function parseScanIdsFile(text: string, where: string): number[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim());
  const header = lines.find((l) => l !== '') ?? '';
  const csv = /^[^,;\t\d]*[a-z]/i.test(header);
  const ids: number[] = [];
  lines.forEach((line, index) => {
    if (line === '' || (csv && line === header)) return;
    const item = csv ? (line.split(/[,;\t]/)[0]?.trim() ?? '') : line;
    ids.push(...scanIdTokens(item, `${where} line ${index + 1}`));
  });
  if (ids.length === 0) throw new ScanCopyError('USAGE', `${where}: no scan ids in it`);
  return [...new Set(ids)];
}

function scanIdTokens(text: string, where: string): number[] {
  const ids: number[] = [];
  for (const token of text.replace(/\s*-\s*/g, '-').split(/[\s,;]+/).filter(Boolean)) {
    const range = /^(\d{1,15})-(\d{1,15})$/.exec(token);
    if (!range) {
      ids.push(scanId(token, where));
      continue;
    }
    const from = scanId(range[1] as string, where);
    const to = scanId(range[2] as string, where);
    if (to < from) throw new ScanCopyError('USAGE', `${where} = ${JSON.stringify(token)}: the range runs backwards (write ${to}-${from})`);
    if (to - from >= MAX_RANGE) throw new ScanCopyError('USAGE', `${where} = ${JSON.stringify(token)}: a range of more than ${MAX_RANGE} ids (a digit too many?)`);
    for (let id = from; id <= to; id++) ids.push(id);
  }
  return ids;
}

function scanId(token: string, where: string): number {
  const value = /^\d{1,15}$/.test(token) ? Number(token) : Number.NaN;
  if (!(value > 0)) throw new ScanCopyError('USAGE', `${where} = ${JSON.stringify(token)}: expected a positive whole number or a range such as 100-120`);
  return value;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration as typed (`--max-duration`, `--wait`, `--commit-horizon`, ...): `90s`, `30m`,
 * `2h`, `500ms`, `1.5m`, `1h30m`; a bare number is seconds. In milliseconds. 0 only where
 * `zero` allows it (`--wait 0`: check once).
 */
export function parseDuration(text: string, where: string, opts: { zero?: boolean } = {}): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)?/g)];
  const whole = parts.map((p) => p[0]).join('') === trimmed;
  if (parts.length === 0 || !whole || (parts.length > 1 && parts.some((p) => p[2] === undefined))) {
    throw new ScanCopyError('USAGE', `${where} = ${JSON.stringify(text)}: expected a duration such as 90s, 30m, 2h or 1h30m`);
  }
  const ms = Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2] ?? 's'] as number), 0));
  if (ms === 0 && !opts.zero) throw new ScanCopyError('USAGE', `${where} = ${JSON.stringify(text)}: must be more than 0`);
  return ms;
}
