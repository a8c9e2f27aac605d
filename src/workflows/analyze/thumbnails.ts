/**
 * The first image of each scan, shrunk for the HTML report. The bytes come from this run
 * when it has them (a copy's downloads, a download folder: no second fetch), else from the
 * instance's API:
 * streamed to a temporary file and shrunk from there, so memory stays bounded however large
 * the photos (or kept in the run folder when asked: the scan-level page's originals).
 * Fetches go through the client's own download limiter, as many at once as it allows, and
 * all of them together are bounded in time. A failure costs that scan its
 * picture, never the report: it is reported, with its reason, and the card says why.
 */
import { setMaxListeners } from 'node:events';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { errorCodeOf, type ErrorCode } from '../../core/errors.js';
import { redactText } from '../../core/redact.js';
import type { Queryable } from '../../platform/db.js';
import { selectScansWithFiles } from '../../platform/queries.js';
import { ImageError, makeThumbnail, type Thumbnail, type VideoPlaceholder } from '../../reports/thumbnail.js';

/** What thumbnails need of an instance's API client (PlatformApi has it). */
export interface ImageFetcher {
  downloadFileTo(fileId: number, path: string, opts?: { signal?: AbortSignal }): Promise<{ bytes: number; originalFilename: string }>;
  /** Name and size without the bytes, for a video's placeholder. */
  fileInfo(fileId: number, opts?: { signal?: AbortSignal }): Promise<{ bytes: number | undefined; originalFilename: string }>;
  /** The client's current download concurrency; the fetches never exceed it. */
  limitOf(stage: 'download'): number;
}

export type ThumbnailFailureCode = ErrorCode | 'NO_IMAGE';

export interface ThumbnailFailure {
  scanId: number;
  fileId?: number;
  code: ThumbnailFailureCode;
  reason: string;
}

export interface ScanImages {
  thumbnails: Map<number, Thumbnail>;
  videos: Map<number, VideoPlaceholder>;
  /** Why a scan has no picture, by scan id. */
  failures: Map<number, ThumbnailFailure>;
  /** Thumbnails made from files already on disk. */
  local: number;
  /** Thumbnails taken from `ready`. */
  reused: number;
  /** Originals on disk by scan id (a download folder's file, or one kept in `keepDir`): what the scan-level page links to. */
  originals: Map<number, string>;
}

export interface ThumbnailProgress {
  done: number;
  total: number;
  failed: number;
}

export interface FetchThumbnailsOptions {
  db: Queryable;
  images: ImageFetcher;
  scanIds: readonly number[];
  /** Thumbnails already made from this run's bytes, by file id (a copy's downloads): used instead of a fetch. */
  ready?: ReadonlyMap<number, Thumbnail>;
  /** Files already downloaded in this run, by file id (a download folder's manifest). */
  localFiles?: ReadonlyMap<number, string>;
  /** Keep each fetched image here (`scan_<id>_file_<id><ext>`) instead of deleting it after its thumbnail: the originals the scan-level page opens. */
  keepDir?: string;
  /** Longest time for all the thumbnails; the scans not done by then say so. @default 300_000 */
  boundMs?: number;
  signal?: AbortSignal;
  onFailure?: (failure: ThumbnailFailure) => void;
  onProgress?: (progress: ThumbnailProgress) => void;
}

export const THUMBNAIL_BOUND_MS = 300_000;

interface Job {
  scanId: number;
  file?: { fileId: number; fileType: string };
}

export async function fetchThumbnails(options: FetchThumbnailsOptions): Promise<ScanImages> {
  const scans = await selectScansWithFiles(options.db, [...new Set(options.scanIds)]);
  const out: ScanImages = { thumbnails: new Map(), videos: new Map(), failures: new Map(), local: 0, reused: 0, originals: new Map() };
  const queue: Job[] = scans.map((scan) => ({ scanId: scan.id, file: scan.files.find((f) => f.fileType === 'image') ?? scan.files[0] }));
  const progress: ThumbnailProgress = { done: 0, total: queue.length, failed: 0 };
  const boundMs = options.boundMs ?? THUMBNAIL_BOUND_MS;
  const bound = AbortSignal.timeout(Math.max(1, boundMs));
  const signal = options.signal ? AbortSignal.any([options.signal, bound]) : bound;
  const temp = await mkdtemp(join(tmpdir(), 'scancopy-thumbs-'));
  if (options.keepDir !== undefined) await mkdir(options.keepDir, { recursive: true });

  const settle = (failure?: ThumbnailFailure): void => {
    progress.done++;
    if (failure) {
      progress.failed++;
      out.failures.set(failure.scanId, failure);
      options.onFailure?.(failure);
    }
    options.onProgress?.({ ...progress });
  };
  const one = async (job: Job): Promise<void> => {
    const file = job.file;
    if (!file) return settle({ scanId: job.scanId, code: 'NO_IMAGE', reason: 'the scan has no files' });
    try {
      if (file.fileType === 'video') {
        const info = await options.images.fileInfo(file.fileId, { signal });
        out.videos.set(job.scanId, { name: info.originalFilename || `file ${file.fileId}`, bytes: info.bytes });
        return settle();
      }
      const local = options.localFiles?.get(file.fileId);
      if (local !== undefined) {
        out.thumbnails.set(job.scanId, await makeThumbnail(local));
        out.originals.set(job.scanId, local);
        out.local++;
        return settle();
      }
      const made = options.ready?.get(file.fileId);
      if (made !== undefined) {
        out.thumbnails.set(job.scanId, made);
        out.reused++;
        return settle();
      }
      // Into the folder it is kept in, when kept: a rename across file systems would be a copy.
      const path = join(options.keepDir ?? temp, `${file.fileId}.part`);
      try {
        const fetched = await options.images.downloadFileTo(file.fileId, path, { signal });
        signal.throwIfAborted();
        out.thumbnails.set(job.scanId, await makeThumbnail(path));
        if (options.keepDir !== undefined) {
          const kept = join(options.keepDir, `scan_${job.scanId}_file_${file.fileId}${safeExtension(fetched.originalFilename)}`);
          await rename(path, kept);
          out.originals.set(job.scanId, kept);
        }
      } finally {
        await rm(path, { force: true });
      }
      settle();
    } catch (err) {
      settle({ scanId: job.scanId, fileId: file.fileId, ...why(err, bound.aborted, boundMs) });
    }
  };
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job && !options.signal?.aborted; job = queue.shift()) {
      if (bound.aborted) settle({ scanId: job.scanId, fileId: job.file?.fileId, ...timedOut(boundMs) });
      else await one(job);
    }
  };
  try {
    const workers = Math.max(1, Math.min(queue.length, options.images.limitOf('download')));
    // Every fetch in flight listens to the one signal (its request, its retry wait).
    setMaxListeners(10 + workers * 4, signal);
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return out;
}

/** The upload's extension when it is a plain one, so the kept file opens as what it is; else none (the bytes were sniffed, not named). */
function safeExtension(name: string): string {
  const ext = extname(name).toLowerCase();
  return /^\.[a-z0-9]{1,5}$/.test(ext) ? ext : '';
}

function why(err: unknown, boundReached: boolean, boundMs: number): { code: ThumbnailFailureCode; reason: string } {
  if (boundReached) return timedOut(boundMs);
  if (err instanceof ImageError) return { code: 'NO_IMAGE', reason: err.message };
  return { code: errorCodeOf(err), reason: redactText(String((err as Error)?.message ?? err)) };
}

function timedOut(boundMs: number): { code: ThumbnailFailureCode; reason: string } {
  return { code: 'DEADLINE', reason: `the images took longer than their bound of ${(boundMs / 1000).toFixed(boundMs < 10_000 ? 1 : 0)} s` };
}
