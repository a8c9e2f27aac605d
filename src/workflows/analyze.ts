/**
 * Compare source scans with their copies (platform.md sections 6 and 7): wait, bounded,
 * until the copies are processed; read both sides' details; write the details CSVs, the
 * analysis CSV, the highlighted XLSX and the two HTML pages (one row per section, one card
 * per scan pair) into the run folder.
 *
 * A pair is compared only with its own copy: a copy that does not exist, or that is still
 * not processed when the wait ends, is reported as such and never compared with another scan.
 */
import { mkdir } from 'node:fs/promises';
import { ensureWritableDir } from '../core/writable-dir.js';
import { basename, join, resolve } from 'node:path';
import { ScanCopyError } from '../core/errors.js';
import type { Queryable } from '../platform/db.js';
import { selectScanDetails } from '../platform/queries.js';
import type { ScanDetailsRow } from '../platform/types.js';
import { ANALYSIS_COLUMNS, countComments, isPogDrop, SCAN_DETAILS_COLUMNS, type AnalysisComment, type AnalysisRow } from '../reports/analysis-columns.js';
import { writeCsv } from '../reports/csv.js';
import { writeAnalysisHtml } from '../reports/html.js';
import { writeScanPage, type OriginalImage } from '../reports/scan-page.js';
import type { Thumbnail } from '../reports/thumbnail.js';
import { writeAnalysisXlsx } from '../reports/xlsx.js';
import { buildAnalysisRows, groupDetails, type ScanPair } from './analyze/rows.js';
import { localImageFiles } from './analyze/local-images.js';
import { fetchThumbnails, THUMBNAIL_BOUND_MS, type ImageFetcher, type ScanImages, type ThumbnailFailureCode } from './analyze/thumbnails.js';
import { waitForProcessing, type WaitProgress } from './analyze/wait.js';
import type { RunContext } from './context.js';

export type { ScanPair } from './analyze/rows.js';
export type { ImageFetcher } from './analyze/thumbnails.js';
export { matchMapping, readScanMapping, type MappingMatch } from './analyze/mapping.js';
export { thumbnailsFromCopy, type CopiedImages } from './analyze/copy-images.js';

export interface AnalyzeSide {
  /** The instance's read-only database. */
  db: Queryable;
  /** The instance's API client, for first images in the HTML report (PlatformApi fits). */
  images?: ImageFetcher;
  /** Instance name, shown in the HTML report. */
  name?: string;
}

export interface AnalyzeOptions {
  source: AnalyzeSide;
  target: AnalyzeSide;
  /** Source scan -> its copy (null: no copy), in report order. */
  pairs: readonly ScanPair[];
  /** The run folder, `<results>/run_<ts>/`; created when missing. */
  runDir: string;
  /** `YYYYMMDD_HHMMSS` (runTimestamp()), the file-name suffix. */
  timestamp: string;
  /** Longest wait for the copies to be processed; 0 checks once. @default 600_000 (10 min) */
  waitMs?: number;
  /** Time between processing checks. @default 2000 */
  pollMs?: number;
  /** First images side by side in the HTML report, for the sides that have `images`. @default true */
  thumbnails?: boolean;
  /** Longest time for fetching and shrinking the images of both sides. @default 300_000 (5 min) */
  thumbnailBoundMs?: number;
  /** Points of pre-POG % a copy may score above its source and still be "No Issues"; a drop by more is counted in `pogDrops`. @default 0 */
  pogTolerance?: number;
  /** Keep the images fetched for thumbnails in `<runDir>/images/source|target/`, so the scan-level page opens them at full resolution. @default false */
  keepImages?: boolean;
  /** Thumbnails of source files, by file id, made from the bytes this run's copy downloaded (thumbnailsFromCopy): not fetched again. */
  sourceThumbnails?: ReadonlyMap<number, Thumbnail>;
  /** Download folders (with their manifest.csv) holding the source scans' images: their thumbnails are made from those files, and the scan-level page links them. */
  sourceImageFolders?: readonly string[];
}

export const ANALYZE_DEFAULTS = { waitMs: 600_000, pollMs: 2000, thumbnails: true, thumbnailBoundMs: THUMBNAIL_BOUND_MS, pogTolerance: 0 } as const;

export interface AnalyzeFiles {
  sourceDetails: string;
  targetDetails: string;
  analysisCsv: string;
  analysisXlsx: string;
  html: string;
  /** The scan-level page: one card per source scan and its copy. */
  scansHtml: string;
}

export interface AnalyzeResult {
  /** Absolute paths. */
  files: AnalyzeFiles;
  rows: AnalysisRow[];
  /** Rows per comment, every comment listed. */
  counts: Record<AnalysisComment, number>;
  /** Compared rows whose copy scored more than the tolerance below its source (pre-POG %), whatever their comment. */
  pogDrops: number;
  pogTolerance: number;
  /** Pairs analysed: those whose source scan is in the source database. */
  pairs: number;
  /** Source scans of the pairs that are not in the source database: skipped, not analysed. */
  skippedSources: number[];
  /** Copies without a processing result when the wait ended: still processing, or done without a report ("Target Not Processed"). */
  notProcessed: number[];
  /** Copies whose processing ended in `error` or `interrupted` ("Target Processing Failed"). */
  processingFailed: number[];
  /** Source scans whose copy is absent (reported "Target Scan Missing"). */
  missing: number[];
  waitedMs: number;
  timedOut: boolean;
  /**
   * Set when the run was stopped (the caller's signal): the wait ended there, no image was
   * fetched after it, and the reports show the copies as they were at the stop.
   */
  stopped?: 'interrupted';
}

export type AnalyzeFileKind = keyof AnalyzeFiles;

export type AnalyzeEvent =
  | { type: 'analyze-start'; pairs: number; targets: number; runDir: string; waitMs: number }
  | ({ type: 'wait-progress'; waitMs: number } & WaitProgress)
  | ({ type: 'wait-done'; timedOut: boolean; pendingIds: number[] } & WaitProgress)
  | { type: 'details-read'; side: 'source' | 'target'; scans: number; rows: number }
  | { type: 'sources-skipped'; scanIds: number[] }
  | { type: 'thumbnails-start'; side: 'source' | 'target'; scans: number; concurrency: number; boundMs: number; onDisk: number }
  | { type: 'thumbnail-progress'; side: 'source' | 'target'; done: number; total: number; failed: number }
  | { type: 'thumbnail-failed'; side: 'source' | 'target'; scanId: number; fileId?: number; code: ThumbnailFailureCode; reason: string }
  | { type: 'thumbnails-done'; side: 'source' | 'target'; fetched: number; scans: number; fromDisk: number; fromCopy: number; videos: number; failed: number }
  | { type: 'file-written'; kind: AnalyzeFileKind; path: string }
  | { type: 'analyze-done'; rows: number; counts: Record<AnalysisComment, number> };

export async function analyzeScans(options: AnalyzeOptions, ctx: RunContext<AnalyzeEvent> = {}): Promise<AnalyzeResult> {
  const emit = (event: AnalyzeEvent): void => ctx.onEvent?.(event);
  const waitMs = options.waitMs ?? ANALYZE_DEFAULTS.waitMs;
  const runDir = resolve(options.runDir);
  const sourceIds = unique(options.pairs.map((p) => p.sourceId));
  const targetIds = unique(options.pairs.flatMap((p) => (p.targetId === null ? [] : [p.targetId])));
  // Before the wait and the reads: a folder that cannot take the reports fails now, not after all the work.
  await ensureWritableDir(runDir, 'results folder', 'Give a folder you can write to with --results (or resultsDir in the config).');
  emit({ type: 'analyze-start', pairs: options.pairs.length, targets: targetIds.length, runDir, waitMs });

  const progressChanged = changeFilter();
  const waited = await waitForProcessing(options.target.db, targetIds, {
    waitMs,
    pollMs: options.pollMs ?? ANALYZE_DEFAULTS.pollMs,
    signal: ctx.signal,
    onProgress: (progress) => {
      if (progressChanged(progress)) emit({ type: 'wait-progress', waitMs, ...progress });
    },
  });
  emit({ type: 'wait-done', ...waited });

  const details = { source: await readDetails('source', options.source.db, sourceIds, emit), target: await readDetails('target', options.target.db, targetIds, emit) };
  const source = groupDetails(details.source);
  const target = groupDetails(details.target);
  // A mapping may name scans the source no longer has (or never had: a copy lists what it
  // skipped); those are reported as skipped and the rest analysed. Only none at all is an error.
  const skippedSources = sourceIds.filter((id) => !source.has(id));
  if (skippedSources.length > 0) emit({ type: 'sources-skipped', scanIds: skippedSources });
  if (skippedSources.length === sourceIds.length) {
    throw new ScanCopyError('NOT_FOUND', `none of the ${sourceIds.length} source scan(s) is in the source database: ${skippedSources.slice(0, 20).join(', ')}`, {
      hint: 'check the mapping (or --source-scans) and that --source names the instance the scans were copied from',
      context: { scanIds: skippedSources },
    });
  }
  const pairs = options.pairs.filter((p) => source.has(p.sourceId));
  const pogTolerance = options.pogTolerance ?? ANALYZE_DEFAULTS.pogTolerance;
  const rows = buildAnalysisRows(pairs, source, target, { pogTolerance });
  const thumbnails = () => collectThumbnails(options, sourceIds, targetIds.filter((id) => target.has(id)), ctx.signal, emit);
  const files = await writeReports(options, runDir, details, rows, thumbnails, waited, pogTolerance, emit);

  const counts = Object.fromEntries(countComments(rows).map((c) => [c.comment, c.count])) as Record<AnalysisComment, number>;
  emit({ type: 'analyze-done', rows: rows.length, counts });
  return {
    files,
    rows,
    counts,
    pogDrops: rows.filter((row) => isPogDrop(row, pogTolerance)).length,
    pogTolerance,
    pairs: pairs.length,
    skippedSources,
    notProcessed: targetIds.filter((id) => target.has(id) && !target.get(id)?.processed && !target.get(id)?.failed),
    processingFailed: targetIds.filter((id) => target.get(id)?.failed === true),
    missing: unique(pairs.filter((p) => p.targetId === null || !target.has(p.targetId)).map((p) => p.sourceId)),
    waitedMs: waited.elapsedMs,
    timedOut: waited.timedOut,
    ...(ctx.signal?.aborted ? { stopped: 'interrupted' as const } : {}),
  };
}

async function readDetails(side: 'source' | 'target', db: Queryable, ids: number[], emit: (event: AnalyzeEvent) => void): Promise<ScanDetailsRow[]> {
  const rows = await selectScanDetails(db, ids);
  emit({ type: 'details-read', side, scans: ids.length, rows: rows.length });
  return rows;
}

/** The six files, each written atomically; images are fetched only once the tabular files are safe on disk. */
async function writeReports(
  options: AnalyzeOptions,
  runDir: string,
  details: { source: ScanDetailsRow[]; target: ScanDetailsRow[] },
  rows: AnalysisRow[],
  thumbnails: () => Promise<{ source: ScanImages; target: ScanImages } | undefined>,
  waited: WaitProgress & { timedOut: boolean },
  pogTolerance: number,
  emit: (event: AnalyzeEvent) => void,
): Promise<AnalyzeFiles> {
  const files = analyzeFilePaths(runDir, options.timestamp);
  await mkdir(runDir, { recursive: true });
  const written = async (kind: AnalyzeFileKind, write: Promise<void>): Promise<void> => {
    await write;
    emit({ type: 'file-written', kind, path: files[kind] });
  };
  await written('sourceDetails', writeCsv(files.sourceDetails, SCAN_DETAILS_COLUMNS, details.source));
  await written('targetDetails', writeCsv(files.targetDetails, SCAN_DETAILS_COLUMNS, details.target));
  await written('analysisCsv', writeCsv(files.analysisCsv, ANALYSIS_COLUMNS, rows));
  await written('analysisXlsx', writeAnalysisXlsx(files.analysisXlsx, rows));
  const waitedFor = `${Math.round(waited.elapsedMs / 1000)} s${waited.timedOut ? ` (bound reached, ${waited.pending} still processing)` : ''}`;
  const facts: Array<[string, string]> = [
    ['Source', options.source.name ?? 'source'],
    ['Target', options.target.name ?? 'target'],
    ['Run folder', runDir],
    ['Waited for processing', waitedFor],
    ['POG % tolerance', `${pogTolerance} points`],
  ];
  const pictures = await thumbnails();
  await written('html', writeAnalysisHtml(files.html, rows, { title: `scancopy analysis ${options.timestamp}`, facts, pogTolerance, thumbnails: pictures, scansPage: basename(files.scansHtml) }));
  const originals = (side?: ScanImages): Map<number, OriginalImage> => new Map([...(side?.originals ?? [])].map(([scanId, path]) => [scanId, { path }]));
  await written(
    'scansHtml',
    writeScanPage(files.scansHtml, rows, {
      title: `scancopy scans ${options.timestamp}`,
      facts,
      pogTolerance,
      thumbnails: pictures,
      originals: { source: originals(pictures?.source), target: originals(pictures?.target) },
      pageDir: runDir,
      rowsPage: basename(files.html),
    }),
  );
  return files;
}

/** The files of one analysis in a run folder (platform.md section 7, plus the HTML report). */
export function analyzeFilePaths(runDir: string, timestamp: string): AnalyzeFiles {
  return {
    sourceDetails: join(runDir, `source_scandetails_${timestamp}.csv`),
    targetDetails: join(runDir, `target_scandetails_${timestamp}.csv`),
    analysisCsv: join(runDir, `analysis_with_comments_${timestamp}.csv`),
    analysisXlsx: join(runDir, `analysis_with_comments_${timestamp}_highlighted.xlsx`),
    html: join(runDir, `analysis_${timestamp}.html`),
    scansHtml: join(runDir, `scans_${timestamp}.html`),
  };
}

async function collectThumbnails(
  options: AnalyzeOptions,
  sourceIds: number[],
  targetIds: number[],
  signal: AbortSignal | undefined,
  emit: (event: AnalyzeEvent) => void,
): Promise<{ source: ScanImages; target: ScanImages } | undefined> {
  if (options.thumbnails === false || (!options.source.images && !options.target.images) || signal?.aborted) return undefined;
  const boundMs = options.thumbnailBoundMs ?? ANALYZE_DEFAULTS.thumbnailBoundMs;
  const onDisk = await localImageFiles(options.sourceImageFolders ?? []);
  const side = async (name: 'source' | 'target', s: AnalyzeSide, ids: number[], localFiles: ReadonlyMap<number, string>, ready?: ReadonlyMap<number, Thumbnail>): Promise<ScanImages> => {
    if (!s.images) return { thumbnails: new Map(), videos: new Map(), failures: new Map(), local: 0, reused: 0, originals: new Map() };
    emit({ type: 'thumbnails-start', side: name, scans: ids.length, concurrency: s.images.limitOf('download'), boundMs, onDisk: localFiles.size });
    const found = await fetchThumbnails({
      db: s.db,
      images: s.images,
      scanIds: ids,
      localFiles,
      ready,
      keepDir: options.keepImages ? join(resolve(options.runDir), 'images', name) : undefined,
      boundMs,
      signal,
      onFailure: (failure) => emit({ type: 'thumbnail-failed', side: name, ...failure }),
      onProgress: (progress) => emit({ type: 'thumbnail-progress', side: name, ...progress }),
    });
    emit({ type: 'thumbnails-done', side: name, fetched: found.thumbnails.size, scans: ids.length, fromDisk: found.local, fromCopy: found.reused, videos: found.videos.size, failed: found.failures.size });
    return found;
  };
  // Each side has its own client and limiter: both fetch at once.
  const [source, target] = await Promise.all([side('source', options.source, sourceIds, onDisk, options.sourceThumbnails), side('target', options.target, targetIds, new Map())]);
  return { source, target };
}

/** Progress worth a line: the counts moved, or a heartbeat while nothing moves. */
function changeFilter(heartbeatMs = 30_000): (progress: WaitProgress) => boolean {
  let last: { key: string; at: number } | undefined;
  return (progress) => {
    const key = `${progress.processed}/${progress.failed}/${progress.missing}/${progress.pending}`;
    if (last && last.key === key && progress.elapsedMs - last.at < heartbeatMs) return false;
    last = { key, at: progress.elapsedMs };
    return true;
  };
}

function unique(ids: number[]): number[] {
  return [...new Set(ids)];
}
