/**
 * Deleting a scan (`DELETE /api/v4/processing/actions/{id}/`, platform.md section 8): the
 * scan and its file links go; the uploaded files stay, as they do on the platform.
 */
import type { Db } from '../platform/db.js';

/** True when the scan existed and is gone now. */
export async function deleteScan(db: Db, scanId: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [scan] = await tx.query<{ id: number }>('SELECT id FROM realograms_implementation_scan WHERE id = $1 FOR UPDATE', [scanId]);
    if (!scan) return false;
    await tx.query('DELETE FROM realograms_implementation_scanfile WHERE scan_id = $1', [scanId]);
    await tx.query('DELETE FROM realograms_implementation_scan WHERE id = $1', [scanId]);
    return true;
  });
}
