/**
 * `--dry-run`: what a copy would do, by reading only. Scans are read in pages, checked as the
 * copy checks them, and their files streamed (and dropped) to count the bytes; nothing is
 * uploaded or created and no run folder is made.
 */
import { errorCodeOf, type ErrorCode } from '../../core/errors.js';
import type { Queryable } from '../../platform/db.js';
import { selectScansWithFiles, selectStoreExists } from '../../platform/queries.js';
import { describeCause } from './describe.js';
import { unusablePayloadReason, type CopyMode } from './payload.js';
import type { CopySourceApi } from './runtime.js';
import type { SkipKind } from './state.js';
import { targetStorePlanograms, type StorePlanogramChoice } from './store-planograms.js';

export interface PlanCopyOptions {
  source: { api: CopySourceApi; db: Queryable };
  target?: { db?: Queryable };
  scanIds: readonly number[];
  targetStoreId: number;
  /** Mapped mode also lists the scans whose planogram the target store does not carry (copy/store-planograms.ts). @default 'auto' */
  mode?: CopyMode;
  /** Page size of the scan reads. @default 100 */
  pageSize?: number;
  /** Fetch every file to count bytes. @default true */
  countBytes?: boolean;
  signal?: AbortSignal;
}

export interface CopyPlan {
  scans: number;
  /** Scans that would be copied. */
  copyable: number;
  files: number;
  /** Bytes of the copyable scans' files (when counted). */
  bytes: number;
  skipped: Array<{ scanId: number; kind: SkipKind; reason: string }>;
  /** Requested scans the source does not have: the copy would fail them. */
  notFound: number[];
  /** Mapped mode: scans the copy would fail before any upload, their payload being one the target refuses. */
  refused: Array<{ scanId: number; reason: string }>;
  /** Files that could not be fetched: the copy would fail on them too. */
  unreadable: Array<{ scanId: number; fileId: number; code: ErrorCode; reason: string }>;
  /** Whether the target store exists; undefined without target DB access. */
  targetStoreExists?: boolean;
}

export async function planCopy(options: PlanCopyOptions): Promise<CopyPlan> {
  const pageSize = options.pageSize ?? 100;
  const ids = [...new Set(options.scanIds)];
  const plan: CopyPlan = { scans: ids.length, copyable: 0, files: 0, bytes: 0, skipped: [], notFound: [], refused: [], unreadable: [] };
  if (options.target?.db) plan.targetStoreExists = await selectStoreExists(options.target.db, options.targetStoreId);
  for (let i = 0; i < ids.length; i += pageSize) {
    options.signal?.throwIfAborted();
    const page = ids.slice(i, i + pageSize);
    const rows = new Map((await selectScansWithFiles(options.source.db, page)).map((r) => [r.id, r]));
    const storePlanograms = options.mode === 'mapped' && options.target?.db ? await targetStorePlanograms(options.source.db, options.target.db, options.targetStoreId, [...rows.values()]) : new Map<number, StorePlanogramChoice>();
    const fetches: Array<Promise<void>> = [];
    for (const id of page) {
      const row = rows.get(id);
      const unusable = row ? unusablePayloadReason(row.providedValues) : undefined;
      if (!row) plan.notFound.push(id);
      else if (row.files.length === 0) plan.skipped.push({ scanId: id, kind: 'no-files', reason: `scan ${id} has no files` });
      else if (unusable) plan.skipped.push({ scanId: id, kind: 'no-payload', reason: `scan ${id} has no usable payload: ${unusable}` });
      if (!row || row.files.length === 0 || unusable) continue;
      const choice = storePlanograms.get(id);
      if (choice && 'refused' in choice) {
        plan.refused.push({ scanId: id, reason: describeCause(choice.refused) });
        continue;
      }
      plan.copyable += 1;
      plan.files += row.files.length;
      if (options.countBytes === false) continue;
      // As many at once as the client's download limit allows: the page's files wait for its slots.
      for (const file of row.files) {
        fetches.push(
          (async () => {
            try {
              const { bytes } = await options.source.api.digestFile(file.fileId, { signal: options.signal });
              plan.bytes += bytes;
            } catch (err) {
              if (options.signal?.aborted) throw err;
              plan.unreadable.push({ scanId: id, fileId: file.fileId, code: errorCodeOf(err), reason: describeCause(err) });
            }
          })(),
        );
      }
    }
    await Promise.all(fetches);
  }
  return plan;
}
