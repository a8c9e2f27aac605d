/**
 * The first image of each scan, fetched through the instance's API and shrunk for the HTML
 * report. A failure costs that scan its picture, never the report: it is reported as an
 * event and the row shows "no image".
 */
import { errorCodeOf, type ErrorCode } from '../../core/errors.js';
import { redactText } from '../../core/redact.js';
import type { Queryable } from '../../platform/db.js';
import { selectScansWithFiles } from '../../platform/queries.js';
import { makeThumbnail, type Thumbnail } from '../../reports/thumbnail.js';

/** What thumbnails need of an instance's API client (PlatformApi has it). */
export interface ImageFetcher {
  downloadFile(fileId: number, opts?: { signal?: AbortSignal }): Promise<{ bytes: Uint8Array; contentType: string }>;
}

export interface ThumbnailFailure {
  scanId: number;
  fileId?: number;
  code: ErrorCode | 'NO_IMAGE';
  reason: string;
}

export interface FetchThumbnailsOptions {
  db: Queryable;
  images: ImageFetcher;
  scanIds: readonly number[];
  /** @default 4 */
  concurrency?: number;
  signal?: AbortSignal;
  onFailure?: (failure: ThumbnailFailure) => void;
}

export async function fetchThumbnails(options: FetchThumbnailsOptions): Promise<Map<number, Thumbnail>> {
  const scans = await selectScansWithFiles(options.db, [...new Set(options.scanIds)]);
  const thumbnails = new Map<number, Thumbnail>();
  const queue = scans.map((scan) => ({ scanId: scan.id, file: scan.files.find((f) => f.fileType === 'image') ?? scan.files[0] }));
  const fail = (failure: ThumbnailFailure): void => options.onFailure?.(failure);
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job && !options.signal?.aborted; job = queue.shift()) {
      if (!job.file) {
        fail({ scanId: job.scanId, code: 'NO_IMAGE', reason: 'the scan has no files' });
        continue;
      }
      try {
        const { bytes } = await options.images.downloadFile(job.file.fileId, { signal: options.signal });
        const thumbnail = makeThumbnail(bytes);
        if (thumbnail) thumbnails.set(job.scanId, thumbnail);
        else fail({ scanId: job.scanId, fileId: job.file.fileId, code: 'NO_IMAGE', reason: 'not an image that can be embedded' });
      } catch (err) {
        fail({ scanId: job.scanId, fileId: job.file.fileId, code: errorCodeOf(err), reason: redactText(String((err as Error)?.message ?? err)) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return thumbnails;
}
