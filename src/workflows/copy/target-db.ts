/**
 * The target DB settles lost create answers. If it cannot be read, the copy command stops
 * unless told to run without it (--no-target-db), when a create whose answer is lost is
 * reported "outcome unknown" instead of being checked; a target store that does not exist
 * stops the copy before it starts.
 */
import { ScanCopyError } from '../../core/errors.js';
import type { Queryable } from '../../platform/db.js';
import { selectStoreExists } from '../../platform/queries.js';

export interface TargetDbProbe {
  /** Absent when the database cannot be read. */
  db?: Queryable;
  /** Why the copy runs without the target DB, for the user. */
  warning?: string;
}

export async function probeTargetDb(target: { name: string; db: Queryable }, storeId: number): Promise<TargetDbProbe> {
  let exists: boolean;
  try {
    exists = await selectStoreExists(target.db, storeId);
  } catch (err) {
    return { warning: `the target database of ${target.name} cannot be read (${(err as Error).message}): a create whose answer is lost could not be settled` };
  }
  if (!exists) throw new ScanCopyError('USAGE', `target store ${storeId} does not exist on ${target.name}`, { hint: 'Pick a store id of the target instance.' });
  return { db: target.db };
}
