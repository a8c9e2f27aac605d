/**
 * Exactly-once creates. A create whose answer was lost (timeout, 5xx, reset, or a crash
 * after its intent was journaled) may or may not have made a scan. The target database
 * settles it: a scan made from these freshly uploaded files references exactly them, and no
 * other scan can, since the files were uploaded for this copy alone. Without the target
 * database nothing settles it, and the scan must not be created again.
 */
import { describeCause } from './describe.js';
import type { Queryable } from '../../platform/db.js';
import { selectScansByFileIds } from '../../platform/queries.js';

export type Reconciled =
  | { kind: 'found'; targetScanId: number; /** Further scans with the same files: duplicates made before scancopy was asked. */ duplicates: number[] }
  | { kind: 'absent' }
  | { kind: 'unknown'; reason: string };

export const NO_TARGET_DB_REASON = 'outcome unknown: the create was sent but its answer was lost, and without target database access scancopy cannot tell whether the scan exists; check the target for a scan with these files before copying it again';

/** Looks for the scan that uses exactly `fileIds` on the target. */
export async function findCreatedScan(db: Queryable | undefined, fileIds: readonly number[]): Promise<Reconciled> {
  if (!db) return { kind: 'unknown', reason: NO_TARGET_DB_REASON };
  let scans: Array<{ scanId: number; fileIds: number[] }>;
  try {
    scans = await selectScansByFileIds(db, fileIds);
  } catch (err) {
    return { kind: 'unknown', reason: `outcome unknown: the target database could not be read to check (${describeCause(err)})` };
  }
  const wanted = sortedKey(fileIds);
  const matches = scans.filter((s) => sortedKey(s.fileIds) === wanted).map((s) => s.scanId).sort((a, b) => a - b);
  const [first, ...duplicates] = matches;
  return first === undefined ? { kind: 'absent' } : { kind: 'found', targetScanId: first, duplicates };
}

function sortedKey(ids: readonly number[]): string {
  return [...ids].sort((a, b) => a - b).join(',');
}
