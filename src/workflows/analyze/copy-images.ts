/**
 * Thumbnails of the source images a copy downloads, made from the bytes the copy already
 * holds (CopyOptions.onSourceFile), so an analysis after the copy does not fetch each source
 * image a second time. Only a scan's first image is wanted: a file is shrunk only when it is
 * an image earlier among its scan's files than any seen before. Keyed by file id, so the
 * analysis uses one only for the file it would have fetched (a resumed copy that did not
 * download a scan's first image leaves it to be fetched).
 */
import { makeThumbnail, type Thumbnail } from '../../reports/thumbnail.js';
import type { SourceFile } from '../copy/runtime.js';

export interface CopiedImages {
  /** For CopyOptions.onSourceFile. */
  onSourceFile(file: SourceFile): Promise<void>;
  /** By source file id, for AnalyzeOptions.sourceThumbnails. */
  thumbnails: ReadonlyMap<number, Thumbnail>;
}

export function thumbnailsFromCopy(): CopiedImages {
  const thumbnails = new Map<number, Thumbnail>();
  const earliest = new Map<number, number>();
  return {
    thumbnails,
    async onSourceFile(file) {
      if (file.fileType !== 'image' || (earliest.get(file.scanId) ?? Infinity) <= file.index) return;
      earliest.set(file.scanId, file.index);
      try {
        thumbnails.set(file.fileId, await makeThumbnail('bytes' in file.body ? file.body.bytes : file.body.path));
      } catch {
        // Not an image after all, or one that cannot be decoded: the analysis fetches it and says why.
      }
    },
  };
}
