/**
 * Deleting the duplicates a sweep found, through the API (platform.md section 8). Each
 * delete is journaled before and after it (dedupe.ndjson), so a repair cut short says what
 * it did; a mapped scan is never deleted, whatever the list says.
 */
import { Journal } from '../core/journal.js';
import { ScanCopyError } from '../core/errors.js';
import type { RunContext } from './context.js';
import { describeCause } from './copy/describe.js';
import type { Duplicate } from './duplicates.js';

export interface DedupeTargetApi {
  deleteScan(scanId: number, options?: { signal?: AbortSignal }): Promise<boolean>;
}

export interface DedupeOptions {
  target: { api: DedupeTargetApi };
  duplicates: readonly Duplicate[];
  /** Every target scan of the mapping: none of them is ever deleted. */
  mappedTargetIds: ReadonlySet<number>;
  /** The journal of the deletes (appended to when it exists). */
  journalPath: string;
}

type DedupeRecord =
  | { t: 'delete-intent'; source: number; kept: number; target: number }
  | { t: 'deleted'; target: number; existed: boolean }
  | { t: 'delete-failed'; target: number; reason: string };

export type DedupeEvent =
  | { type: 'duplicate-deleted'; sourceScanId: number; keptTargetScanId: number; targetScanId: number; existed: boolean }
  | { type: 'duplicate-delete-failed'; sourceScanId: number; targetScanId: number; reason: string };

export interface DedupeResult {
  deleted: number[];
  failed: Array<{ targetScanId: number; reason: string }>;
}

export async function deleteDuplicates(options: DedupeOptions, ctx: RunContext<DedupeEvent> = {}): Promise<DedupeResult> {
  for (const d of options.duplicates) {
    const mapped = d.extraTargetScanIds.find((id) => options.mappedTargetIds.has(id));
    if (mapped !== undefined) throw new ScanCopyError('INTERNAL', `refusing to delete target scan ${mapped}: it is a mapped copy`);
  }
  const { journal } = await Journal.open<{ dedupe: true }, DedupeRecord>(options.journalPath, { dedupe: true });
  const result: DedupeResult = { deleted: [], failed: [] };
  try {
    for (const d of options.duplicates) {
      for (const id of d.extraTargetScanIds) {
        ctx.signal?.throwIfAborted();
        await journal.append({ t: 'delete-intent', source: d.sourceScanId, kept: d.keptTargetScanId, target: id });
        try {
          const existed = await options.target.api.deleteScan(id, { signal: ctx.signal });
          await journal.append({ t: 'deleted', target: id, existed });
          result.deleted.push(id);
          ctx.onEvent?.({ type: 'duplicate-deleted', sourceScanId: d.sourceScanId, keptTargetScanId: d.keptTargetScanId, targetScanId: id, existed });
        } catch (err) {
          const reason = describeCause(err);
          await journal.append({ t: 'delete-failed', target: id, reason });
          result.failed.push({ targetScanId: id, reason });
          ctx.onEvent?.({ type: 'duplicate-delete-failed', sourceScanId: d.sourceScanId, targetScanId: id, reason });
        }
      }
    }
  } finally {
    await journal.close();
  }
  return result;
}
