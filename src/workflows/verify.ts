/**
 * Verify a copy pair by pair: both scans exist, the same number of files, byte-identical
 * contents in the same order (sha256 of what each instance serves), and the target's payload
 * as the copy mode says (platform.md section 4): every kept field equal to the source's,
 * every dropped field absent, the store and the files the target's own.
 */
import { isDeepStrictEqual } from 'node:util';
import { RUN_DEFAULTS } from '../core/defaults.js';
import { errorCodeOf } from '../core/errors.js';
import { Semaphore } from '../core/semaphore.js';
import type { Queryable } from '../platform/db.js';
import { selectScansWithFiles, selectStorePlanograms } from '../platform/queries.js';
import type { ScanWithFiles, StorePlanogram } from '../platform/types.js';
import type { RunContext } from './context.js';
import { describeCause } from './copy/describe.js';
import { droppedFields, REWRITTEN_FIELDS, sourcePayload, type CopyMode } from './copy/payload.js';
import { findDuplicates, type Duplicate } from './duplicates.js';

export interface VerifyFetcher {
  /** A file's size and sha256, streamed: verifying a video costs no memory. */
  digestFile(fileId: number, options?: { signal?: AbortSignal }): Promise<{ bytes: number; sha256: string }>;
}

export interface VerifyOptions {
  source: { api: VerifyFetcher; db: Queryable };
  target: { api: VerifyFetcher; db: Queryable };
  /** Source scan -> its copy; a null target is listed as not copied and not checked. */
  pairs: ReadonlyArray<{ sourceScanId: number; targetScanId: number | null }>;
  mode: CopyMode;
  /** When given, every copy must be in this store. */
  targetStoreId?: number;
  /** Files fetched at once. @default 20 */
  workers?: number;
  /** Pairs read from the databases at once. @default 100 */
  pageSize?: number;
}

export type VerifyCheck = 'source-missing' | 'target-missing' | 'file-count' | 'content' | 'payload' | 'store' | 'unreadable';

export interface VerifyMismatch {
  sourceScanId: number;
  targetScanId: number;
  check: VerifyCheck;
  detail: string;
}

export interface VerifyResult {
  pairs: number;
  /** Pairs with a target, checked. */
  checked: number;
  passed: number;
  /** Source scans without a copy in the mapping. */
  notCopied: number[];
  mismatches: VerifyMismatch[];
  /** Target scans beyond the mapped one that use a copy's files (the final sweep, again). */
  duplicates: Duplicate[];
  files: number;
  bytes: number;
  elapsedMs: number;
}

export type VerifyEvent =
  | { type: 'verify-start'; pairs: number; checked: number; mode: CopyMode }
  | { type: 'pair-verified'; sourceScanId: number; targetScanId: number; ok: boolean; mismatches: VerifyMismatch[]; done: number; total: number }
  | { type: 'duplicate'; sourceScanId: number; keptTargetScanId: number; extraTargetScanIds: number[] }
  | { type: 'verify-done'; checked: number; passed: number; mismatches: number; duplicates: number };

export async function verifyCopy(options: VerifyOptions, ctx: RunContext<VerifyEvent> = {}): Promise<VerifyResult> {
  const started = Date.now();
  const emit = (e: VerifyEvent): void => ctx.onEvent?.(e);
  const queue = new Semaphore(options.workers ?? RUN_DEFAULTS.limits.download, 'download workers');
  const pairs = options.pairs.filter((p): p is { sourceScanId: number; targetScanId: number } => p.targetScanId !== null);
  const result: VerifyResult = {
    pairs: options.pairs.length, checked: pairs.length, passed: 0, notCopied: options.pairs.filter((p) => p.targetScanId === null).map((p) => p.sourceScanId),
    mismatches: [], duplicates: [], files: 0, bytes: 0, elapsedMs: 0,
  };
  emit({ type: 'verify-start', pairs: result.pairs, checked: result.checked, mode: options.mode });
  const pageSize = options.pageSize ?? 100;
  let done = 0;
  for (let i = 0; i < pairs.length; i += pageSize) {
    ctx.signal?.throwIfAborted();
    const page = pairs.slice(i, i + pageSize);
    const [sources, targets] = await Promise.all([
      byId(selectScansWithFiles(options.source.db, page.map((p) => p.sourceScanId))),
      byId(selectScansWithFiles(options.target.db, page.map((p) => p.targetScanId))),
    ]);
    const storePlanograms = options.mode === 'mapped' ? await storePlanogramsOf(options, [...sources.values()], [...targets.values()]) : undefined;
    await Promise.all(
      page.map(async (pair) => {
        const found = await verifyPair(options, pair, sources.get(pair.sourceScanId), targets.get(pair.targetScanId), queue, result, ctx.signal, storePlanograms);
        result.mismatches.push(...found);
        if (found.length === 0) result.passed += 1;
        done += 1;
        emit({ type: 'pair-verified', ...pair, ok: found.length === 0, mismatches: found, done, total: pairs.length });
      }),
    );
  }
  result.mismatches.sort((a, b) => a.sourceScanId - b.sourceScanId);
  ctx.signal?.throwIfAborted();
  result.duplicates = await findDuplicates(options.target.db, pairs);
  for (const d of result.duplicates) emit({ type: 'duplicate', ...d });
  result.elapsedMs = Date.now() - started;
  emit({ type: 'verify-done', checked: result.checked, passed: result.passed, mismatches: result.mismatches.length, duplicates: result.duplicates.length });
  return result;
}

async function verifyPair(
  options: VerifyOptions,
  pair: { sourceScanId: number; targetScanId: number },
  source: ScanWithFiles | undefined,
  target: ScanWithFiles | undefined,
  queue: Semaphore,
  totals: { files: number; bytes: number },
  signal?: AbortSignal,
  storePlanograms?: StorePlanogramsSeen,
): Promise<VerifyMismatch[]> {
  const out: VerifyMismatch[] = [];
  const miss = (check: VerifyCheck, detail: string): void => {
    out.push({ ...pair, check, detail });
  };
  if (!source) miss('source-missing', `source scan ${pair.sourceScanId} does not exist`);
  if (!target) miss('target-missing', `target scan ${pair.targetScanId} does not exist`);
  if (!source || !target) return out;
  if (options.targetStoreId !== undefined && target.storeId !== options.targetStoreId) miss('store', `target scan is in store ${target.storeId}, expected ${options.targetStoreId}`);
  for (const problem of payloadProblems(source, target, options.mode, storePlanograms)) miss('payload', problem);
  if (source.files.length !== target.files.length) {
    miss('file-count', `source has ${source.files.length} file(s), target ${target.files.length}`);
    return out;
  }
  const hash = async (api: VerifyFetcher, fileId: number): Promise<string | Error> =>
    queue.run(async () => {
      try {
        const { bytes, sha256 } = await api.digestFile(fileId, { signal });
        totals.bytes += bytes;
        return sha256;
      } catch (err) {
        return new Error(`file ${fileId}: ${errorCodeOf(err)}: ${describeCause(err)}`);
      }
    });
  await Promise.all(
    source.files.map(async (file, index) => {
      const targetFile = target.files[index]?.fileId as number;
      const [a, b] = await Promise.all([hash(options.source.api, file.fileId), hash(options.target.api, targetFile)]);
      totals.files += 1;
      if (a instanceof Error || b instanceof Error) miss('unreadable', `file ${index + 1}: ${[a, b].filter((x) => x instanceof Error).map((x) => (x as Error).message).join('; ')}`);
      else if (a !== b) miss('content', `file ${index + 1} (source ${file.fileId}, target ${targetFile}): sha256 ${a.slice(0, 12)}... vs ${b.slice(0, 12)}...`);
    }),
  );
  return out;
}

/** The store planograms the source and target payloads of a page name, by id (mapped mode). */
interface StorePlanogramsSeen {
  source: ReadonlyMap<number, StorePlanogram>;
  target: ReadonlyMap<number, StorePlanogram>;
}

async function storePlanogramsOf(options: VerifyOptions, sources: ScanWithFiles[], targets: ScanWithFiles[]): Promise<StorePlanogramsSeen> {
  const named = (scans: ScanWithFiles[]): number[] => [...new Set(scans.flatMap((s) => {
    const id = Number(sourcePayload(s.providedValues)?.store_planogram);
    return Number.isSafeInteger(id) && id > 0 ? [id] : [];
  }))];
  const [source, target] = await Promise.all([selectStorePlanograms(options.source.db, { ids: named(sources) }), selectStorePlanograms(options.target.db, { ids: named(targets) })]);
  return { source: new Map(source.map((sp) => [sp.id, sp])), target: new Map(target.map((sp) => [sp.id, sp])) };
}

/**
 * Differences between the target's payload and what the mode makes of the source's. In
 * mapped mode the store planogram is the target store's of the same planogram (copy/store-planograms.ts).
 */
export function payloadProblems(source: ScanWithFiles, target: ScanWithFiles, mode: CopyMode, storePlanograms?: StorePlanogramsSeen): string[] {
  const from = sourcePayload(source.providedValues);
  const to = sourcePayload(target.providedValues);
  if (!from) return ['the source scan has no usable payload'];
  if (!to) return ['the target scan has no payload'];
  const problems: string[] = [];
  const dropped = new Set(droppedFields(mode));
  const rewritten = new Set<string>(REWRITTEN_FIELDS);
  const samePlanogram = (a: unknown, b: unknown): boolean => {
    const [fromSp, toSp] = [storePlanograms?.source.get(Number(a)), storePlanograms?.target.get(Number(b))];
    return fromSp !== undefined && toSp !== undefined && fromSp.planogramId === toSp.planogramId && toSp.storeId === target.storeId;
  };
  for (const [key, value] of Object.entries(from)) {
    if (dropped.has(key) || rewritten.has(key)) continue;
    if (key === 'store_planogram' && mode === 'mapped' && key in to && samePlanogram(value, to[key])) continue;
    if (!(key in to)) problems.push(`${key} is missing (source: ${show(value)})`);
    else if (!isDeepStrictEqual(to[key], value)) problems.push(`${key} is ${show(to[key])}, source ${show(value)}`);
  }
  for (const key of dropped) if (key in to && to[key] !== null && to[key] !== undefined) problems.push(`${key} should be dropped in ${mode} mode, is ${show(to[key])}`);
  if (Number(to.store) !== target.storeId) problems.push(`store is ${show(to.store)}, the scan is in store ${target.storeId}`);
  const files = Array.isArray(to.files) ? to.files.map(Number) : [];
  if (!isDeepStrictEqual(files, target.files.map((f) => f.fileId))) problems.push(`files is ${show(to.files)}, the scan's files are ${show(target.files.map((f) => f.fileId))}`);
  if (typeof to.captured_at !== 'number' && typeof to.captured_at !== 'string') problems.push('captured_at is missing');
  return problems;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

async function byId(rows: Promise<ScanWithFiles[]>): Promise<Map<number, ScanWithFiles>> {
  return new Map((await rows).map((r) => [r.id, r]));
}
