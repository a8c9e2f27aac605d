/**
 * Mapped mode keeps the source's mapping, but its `store_planogram` is the source store's
 * assignment of a planogram, and the platform refuses a scan filed under another store's
 * planogram (400). So the copy names the target store's store planogram of the same planogram
 * (the source's own id when the target store has it, as on a staging clone; else the newest),
 * and a scan whose planogram the target store does not carry fails with that said, before a
 * file is uploaded: such a payload is never sent. Without the target database the payload
 * goes as it is, and the target's 400 says which field is wrong.
 */
import { ScanCopyError } from '../../core/errors.js';
import type { Queryable } from '../../platform/db.js';
import { selectStorePlanograms } from '../../platform/queries.js';
import type { ScanWithFiles, StorePlanogram } from '../../platform/types.js';
import { sourcePayload } from './payload.js';

/** Per scan that names a store planogram: the target store's to send instead, or why there is none. */
export type StorePlanogramChoice = { id: number } | { refused: ScanCopyError };

export async function targetStorePlanograms(source: Queryable, target: Queryable, targetStoreId: number, rows: readonly ScanWithFiles[]): Promise<Map<number, StorePlanogramChoice>> {
  const named = new Map<number, number>();
  for (const row of rows) {
    const id = storePlanogramOf(row.providedValues);
    if (id !== undefined) named.set(row.id, id);
  }
  const choices = new Map<number, StorePlanogramChoice>();
  if (named.size === 0) return choices;
  const [sourceSps, targetSps] = await Promise.all([selectStorePlanograms(source, { ids: [...new Set(named.values())] }), selectStorePlanograms(target, { storeId: targetStoreId })]);
  const onSource = new Map(sourceSps.map((sp) => [sp.id, sp]));
  for (const [scanId, id] of named) choices.set(scanId, choose(id, onSource.get(id), targetSps, targetStoreId));
  return choices;
}

function choose(id: number, source: StorePlanogram | undefined, targetStore: readonly StorePlanogram[], targetStoreId: number): StorePlanogramChoice {
  const same = targetStore.filter((sp) => (source ? sp.planogramId === source.planogramId : sp.id === id));
  if (same.some((sp) => sp.id === id)) return { id };
  const newest = same.at(-1);
  if (newest) return { id: newest.id };
  const what = source
    ? `the source's store planogram ${id} is planogram ${source.planogramId}${source.planogramName ? ` (${JSON.stringify(source.planogramName)})` : ''}, which target store ${targetStoreId} does not carry`
    : `store planogram ${id} is neither on the source nor one of target store ${targetStoreId}'s`;
  return {
    refused: new ScanCopyError('BAD_REQUEST', `mapped mode: ${what}; not sent (the target refuses a scan filed under another store's planogram)`, {
      hint: 'Assign the planogram to the target store, pick a target store that carries it, or copy in auto mode.',
    }),
  };
}

/** The payload's `store_planogram` as an id, when it names one. */
function storePlanogramOf(providedValues: unknown): number | undefined {
  const value = sourcePayload(providedValues)?.store_planogram;
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
