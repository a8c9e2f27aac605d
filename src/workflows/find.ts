/**
 * Finding scans (platform.md section 5) and turning any scan selection (ids, or a store
 * and days) into the list of scan ids a workflow runs on.
 */
import { ScanCopyError } from '../core/errors.js';
import type { Queryable } from '../platform/db.js';
import { findScanSummaries, selectScanStates, selectStoreExists } from '../platform/queries.js';
import type { ScanSummary } from '../platform/types.js';

export interface FindScansOptions {
  storeId: number;
  /** First day, YYYY-MM-DD. */
  from: string;
  /** Last day, YYYY-MM-DD, inclusive. */
  to: string;
  /** Only processed scans (`status = 'done' AND has_report`). @default false */
  doneOnly?: boolean;
  limit?: number;
}

export type ScanSelection =
  | { kind: 'ids'; ids: number[] }
  | { kind: 'store'; storeId: number; from: string; to: string; doneOnly?: boolean };

/** Scans of a store created on the given days, newest first. */
export async function findScans(db: Queryable, options: FindScansOptions): Promise<ScanSummary[]> {
  checkDay('from', options.from);
  checkDay('to', options.to);
  if (options.from > options.to) {
    throw new ScanCopyError('USAGE', `the day range ${options.from} .. ${options.to} is empty: from is after to`);
  }
  if (!(Number.isSafeInteger(options.storeId) && options.storeId > 0)) {
    throw new ScanCopyError('USAGE', `store = ${String(options.storeId)}: expected a positive whole number`);
  }
  const found = await findScanSummaries(db, options);
  // An empty list must not pass for "no scans that day" when the store itself does not exist.
  if (found.length === 0 && !(await selectStoreExists(db, options.storeId))) {
    throw new ScanCopyError('NOT_FOUND', `store ${options.storeId} does not exist on this instance`, { hint: 'Check the store id (the stores are in master_data_implementation_store).' });
  }
  return found;
}

/** The scan ids of a selection: given ids as they are (duplicates dropped), or found by store and days. */
export async function resolveScanIds(db: Queryable, selection: ScanSelection): Promise<number[]> {
  if (selection.kind === 'ids') return [...new Set(selection.ids)];
  const found = await findScans(db, selection);
  return found.map((scan) => scan.id);
}

/** The ids, of those given, that are not scans on the instance, in the order given. */
export async function missingScanIds(db: Queryable, ids: readonly number[]): Promise<number[]> {
  const found = new Set((await selectScanStates(db, ids)).map((s) => s.id));
  return ids.filter((id) => !found.has(id));
}

export function storeExists(db: Queryable, storeId: number): Promise<boolean> {
  return selectStoreExists(db, storeId);
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar day in YYYY-MM-DD form. */
export function isDay(text: string): boolean {
  const match = DAY.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

function checkDay(name: string, value: string): void {
  if (!isDay(value)) throw new ScanCopyError('USAGE', `${name} = ${JSON.stringify(value)}: expected a day as YYYY-MM-DD`);
}
