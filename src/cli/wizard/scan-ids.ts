/**
 * Step 2: the source scan ids, typed (ids and ranges), read from a file, found in the source
 * DB by store and day (or range) with the first rows shown, or the ones used last time. Ids
 * are checked against the source DB where they are typed: a missing id is named and the
 * question asked again; the ids taken are said back.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { confirm } from '@inquirer/prompts';
import { parseScanIds, parseScanIdsFile } from '../../config/parse.js';
import { expandHome } from '../../core/paths.js';
import type { Queryable } from '../../platform/db.js';
import type { ScanSummary } from '../../platform/types.js';
import { findScans, isDay, missingScanIds, storeExists } from '../../workflows/find.js';
import { ask, choose, InvalidAnswer, type Choice } from './prompts.js';

const SHOWN_ROWS = 10;

export interface ScanIdsQuestion {
  db: Queryable;
  /** `Source` — names the instance in messages. */
  role: string;
  lastUsed?: readonly number[];
  /** Where a relative scan-id file is. */
  cwd: string;
  print: (line: string) => void;
}

export async function askScanIds(q: ScanIdsQuestion): Promise<number[]> {
  const ids = await chooseScanIds(q);
  q.print(`  ${ids.length} scan id(s): ${describeIdRanges(ids)}`);
  return ids;
}

async function chooseScanIds(q: ScanIdsQuestion): Promise<number[]> {
  for (;;) {
    // The options keep their numbers: "Use the last ones", offered only when there are some, comes last.
    const choices: Array<Choice<string>> = [
      { name: 'Type scan ids (e.g. 101,102 or 100-120)', value: 'type' },
      { name: 'Find by store and day', value: 'day' },
      { name: 'Find by store and date range', value: 'range' },
      { name: 'Read them from a file (ids or ranges, one per line or comma-separated)', value: 'file' },
    ];
    if (q.lastUsed && q.lastUsed.length > 0) {
      choices.push({ name: `Use the last ones (${describeIds(q.lastUsed)})`, value: 'last' });
    }
    const how = await choose(`${q.role} scan ids:`, choices);
    if (how === 'last' && q.lastUsed) {
      const ids = await checkIdsExist(q.db, q.role, [...q.lastUsed]).catch((err: unknown) => {
        q.print(`  ${(err as Error).message}`);
        return undefined;
      });
      if (ids) return ids;
      continue;
    }
    if (how === 'type') {
      return ask(`${q.role} scan ids (comma-separated, ranges as 100-120):`, (text) => checkIdsExist(q.db, q.role, parseIdList(text)));
    }
    if (how === 'file') {
      return ask(`${q.role} scan id file path:`, async (text) => checkIdsExist(q.db, q.role, await readIdFile(q.cwd, text)));
    }
    const found = await findByStore(q, how === 'range');
    if (found) return found;
  }
}

async function readIdFile(cwd: string, text: string): Promise<number[]> {
  if (!text) throw new InvalidAnswer('Please type the path of a file of scan ids.');
  const path = resolve(cwd, expandHome(text));
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidAnswer(`Cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`);
  }
  return parseScanIdsFile(content, path);
}

async function findByStore(q: ScanIdsQuestion, range: boolean): Promise<number[] | undefined> {
  const storeId = await ask(`${q.role} store id:`, (text) => checkStore(q.db, q.role, text));
  const from = await ask(range ? 'From day (YYYY-MM-DD):' : 'Day (YYYY-MM-DD):', parseDay);
  const to = range ? await ask('To day (YYYY-MM-DD):', (text) => parseDayFrom(text, from)) : from;
  const doneOnly = await confirm({ message: 'Only processed scans (status done, with a report)?', default: true });
  const scans = await findScans(q.db, { storeId, from, to, doneOnly });
  const when = from === to ? `on ${from}` : `from ${from} to ${to}`;
  if (scans.length === 0) {
    q.print(`  No ${doneOnly ? 'processed ' : ''}scans in store ${storeId} ${when}. Choose again.`);
    return undefined;
  }
  q.print(`  ${scans.length} scan(s) in store ${storeId} ${when}, newest first:`);
  for (const line of scanTable(scans.slice(0, SHOWN_ROWS))) q.print(`    ${line}`);
  if (scans.length > SHOWN_ROWS) q.print(`    ... and ${scans.length - SHOWN_ROWS} more`);
  const use = await confirm({ message: `Use these ${scans.length} scan(s)?`, default: true });
  return use ? scans.map((s) => s.id).sort((a, b) => a - b) : undefined;
}

export function scanTable(scans: readonly ScanSummary[]): string[] {
  const head = `${'scan id'.padEnd(10)} ${'created at (UTC)'.padEnd(20)} ${'status'.padEnd(11)} files`;
  return [
    head,
    ...scans.map((s) => `${String(s.id).padEnd(10)} ${s.createdAt.toISOString().slice(0, 19).replace('T', ' ').padEnd(20)} ${s.status.padEnd(11)} ${s.fileCount}`),
  ];
}

/** `101, 102,,110-112` -> [101, 102, 110, 111, 112]; duplicates dropped, order kept. */
export function parseIdList(text: string): number[] {
  if (text.replace(/[\s,;]/g, '') === '') throw new InvalidAnswer('Please type at least one scan id.');
  return parseScanIds(text, 'scan ids');
}

async function checkIdsExist(db: Queryable, role: string, ids: number[]): Promise<number[]> {
  const missing = await missingScanIds(db, ids);
  if (missing.length > 0) {
    throw new InvalidAnswer(`Not on the ${role.toLowerCase()} instance: ${describeIds(missing)}. Check the ids.`);
  }
  return ids;
}

export async function checkStore(db: Queryable, role: string, text: string): Promise<number> {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new InvalidAnswer('A store id is a whole number, e.g. 3.');
  const id = Number(text);
  if (!(await storeExists(db, id))) throw new InvalidAnswer(`Store ${id} does not exist on the ${role.toLowerCase()} instance.`);
  return id;
}

export function parseDay(text: string): string {
  if (!isDay(text)) throw new InvalidAnswer('Expected a day as YYYY-MM-DD, e.g. 2026-11-27.');
  return text;
}

function parseDayFrom(text: string, from: string): string {
  const day = parseDay(text);
  if (day < from) throw new InvalidAnswer(`The last day must not be before ${from}.`);
  return day;
}

/** `1, 2, 100-120 (23 in all)`: runs of consecutive ids as ranges, the first ten items shown. */
export function describeIdRanges(ids: readonly number[]): string {
  const items: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && (ids[j + 1] as number) === (ids[j] as number) + 1) j++;
    if (j - i >= 2) items.push(`${ids[i]}-${ids[j]}`);
    else items.push(...ids.slice(i, j + 1).map(String));
    i = j + 1;
  }
  const shown = items.length > 10 ? `${items.slice(0, 10).join(', ')}, ...` : items.join(', ');
  return ids.length > 1 ? `${shown} (${ids.length} in all)` : shown;
}

export function describeIds(ids: readonly number[]): string {
  const shown = ids.slice(0, 8).join(', ');
  return ids.length > 8 ? `${shown}, ... ${ids.length} in all` : shown;
}
