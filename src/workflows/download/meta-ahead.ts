/**
 * File metadata (the pre-signed URL) resolved ahead of the content slots. Each file needs two
 * calls, metadata then content; made one after the other in a slot, they halve what the
 * slots can fetch. Here the metadata calls of the next files run beside the downloads (under
 * the client's own `meta` limiter), so a slot mostly waits for content only, as a plain
 * URL-list downloader does.
 */
import type { PlatformApi } from '../../platform/api.js';
import type { FileMeta } from '../../platform/types.js';
import { taskKey, type FileTask } from './fetch-file.js';

export class MetaAhead {
  readonly #started = new Map<string, Promise<FileMeta>>();

  constructor(
    private readonly api: Pick<PlatformApi, 'getFileMeta'>,
    private readonly signal: AbortSignal,
  ) {}

  /** Starts resolving these files' metadata; files an earlier run may have completed are left to be checked on disk first. */
  start(tasks: readonly FileTask[], previous: ReadonlyMap<string, unknown>): void {
    for (const task of tasks) {
      const key = taskKey(task.scanId, task.fileId, task.baseName);
      if (previous.has(key) || this.#started.has(key)) continue;
      const meta = this.api.getFileMeta(task.fileId, { signal: this.signal });
      // Its failure is the file's: thrown when the file's download takes it, not here.
      meta.catch(() => undefined);
      this.#started.set(key, meta);
    }
  }

  /** The metadata started for a file, handed out once: a later round of the same file resolves afresh. */
  take(task: FileTask): Promise<FileMeta> | undefined {
    const key = taskKey(task.scanId, task.fileId, task.baseName);
    const meta = this.#started.get(key);
    this.#started.delete(key);
    return meta;
  }
}
