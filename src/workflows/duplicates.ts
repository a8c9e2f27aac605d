/**
 * The final duplicate sweep. A copy's target scans use files uploaded for that copy alone,
 * so any other target scan that uses one of them was made from this job's uploads: a
 * duplicate that slipped past the commit horizon (or was made by hand). The mapped scan is
 * the one kept; every other is an extra for `dedupe` to delete.
 */
import type { Queryable } from '../platform/db.js';
import { selectScansByFileIds, selectScansWithFiles } from '../platform/queries.js';

export interface Duplicate {
  sourceScanId: number;
  keptTargetScanId: number;
  extraTargetScanIds: number[];
}

export const DUPLICATE_COLUMNS = ['Source_Scan_ID', 'Kept_Target_Scan_ID', 'Extra_Target_Scan_IDs'] as const;

export interface MappedCopy {
  sourceScanId: number;
  targetScanId: number;
  /** The copy's uploaded files; read from the target DB when not given. */
  fileIds?: readonly number[];
}

/** File ids per query: keeps each `= ANY($1)` array a reasonable size. */
const CHUNK = 5000;

/** Every mapped copy that has extra target scans using its files, in mapping order. */
export async function findDuplicates(db: Queryable, copies: readonly MappedCopy[]): Promise<Duplicate[]> {
  const unknown = copies.filter((c) => c.fileIds === undefined || c.fileIds.length === 0);
  const read = new Map<number, number[]>();
  for (let i = 0; i < unknown.length; i += CHUNK) {
    const rows = await selectScansWithFiles(db, unknown.slice(i, i + CHUNK).map((c) => c.targetScanId));
    for (const row of rows) read.set(row.id, row.files.map((f) => f.fileId));
  }
  const filesOf = (c: MappedCopy): readonly number[] => c.fileIds ?? read.get(c.targetScanId) ?? [];
  const ownerOfFile = new Map<number, MappedCopy>();
  for (const c of copies) for (const f of filesOf(c)) ownerOfFile.set(f, c);
  const mapped = new Set(copies.map((c) => c.targetScanId));
  const extras = new Map<MappedCopy, Set<number>>();
  const fileIds = [...ownerOfFile.keys()];
  for (let i = 0; i < fileIds.length; i += CHUNK) {
    for (const scan of await selectScansByFileIds(db, fileIds.slice(i, i + CHUNK))) {
      if (mapped.has(scan.scanId)) continue;
      for (const f of scan.fileIds) {
        const owner = ownerOfFile.get(f);
        if (!owner) continue;
        const set = extras.get(owner) ?? new Set<number>();
        set.add(scan.scanId);
        extras.set(owner, set);
      }
    }
  }
  return copies.flatMap((c) => {
    const set = extras.get(c);
    return set ? [{ sourceScanId: c.sourceScanId, keptTargetScanId: c.targetScanId, extraTargetScanIds: [...set].sort((a, b) => a - b) }] : [];
  });
}
