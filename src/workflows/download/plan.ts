/**
 * A batch of scan ids -> the files to fetch, named, and the scans that have nothing to fetch
 * (not found, or no files), each with a reason: nothing is dropped silently.
 */
import type { Queryable } from '../../platform/db.js';
import { selectFirstSectionNames, selectScansWithFiles } from '../../platform/queries.js';
import { entryKey, taskKey, type FileTask } from './fetch-file.js';
import { isComplete, readManifest } from './manifest.js';
import { imageBaseName, storePogIdOf } from './naming.js';
import { NOT_ON_SOURCE } from '../not-on-source.js';

export interface ScanProblem {
  scanId: number;
  /** `not-found` fails the run; `no-files` is skipped (nothing to download). */
  kind: 'not-found' | 'no-files';
  reason: string;
}

export interface BatchPlan {
  tasks: FileTask[];
  problems: ScanProblem[];
}

export async function planBatch(db: Queryable, scanIds: readonly number[]): Promise<BatchPlan> {
  const [scans, sections] = await Promise.all([selectScansWithFiles(db, scanIds), selectFirstSectionNames(db, scanIds)]);
  const byId = new Map(scans.map((s) => [s.id, s]));
  const tasks: FileTask[] = [];
  const problems: ScanProblem[] = [];
  for (const scanId of scanIds) {
    const scan = byId.get(scanId);
    if (!scan) {
      problems.push({ scanId, kind: 'not-found', reason: NOT_ON_SOURCE });
      continue;
    }
    if (scan.files.length === 0) {
      problems.push({ scanId, kind: 'no-files', reason: 'scan has no files' });
      continue;
    }
    const sectionName = sections.get(scanId);
    const storePogId = storePogIdOf(scan.providedValues);
    scan.files.forEach((file, fileIndex) => {
      tasks.push({ scanId, fileId: file.fileId, baseName: imageBaseName({ scanId, sectionName, storePogId, fileIndex }) });
    });
  }
  return { tasks, problems };
}

export interface DownloadPlan {
  scans: number;
  /** Files the scans have. */
  files: number;
  /** Of them, complete in the folder already (the manifest says so and the file matches): a run skips them. */
  complete: number;
  /** Files a run would download. */
  toDownload: number;
  /** Scans not on the source (a run fails them) and scans without files (skipped). */
  problems: ScanProblem[];
}

/**
 * `download --dry-run`: what a run would fetch, reading only the source DB and the folder
 * (its manifest and files); nothing is created, written or downloaded.
 */
export async function planDownload(db: Queryable, scanIds: readonly number[], outDir: string, batchSize = 500): Promise<DownloadPlan> {
  const previous = new Map((await readManifest(outDir)).map((e) => [entryKey(e), e]));
  const plan: DownloadPlan = { scans: scanIds.length, files: 0, complete: 0, toDownload: 0, problems: [] };
  for (let i = 0; i < scanIds.length; i += batchSize) {
    const batch = await planBatch(db, scanIds.slice(i, i + batchSize));
    plan.problems.push(...batch.problems);
    for (const task of batch.tasks) {
      const entry = previous.get(taskKey(task.scanId, task.fileId, task.baseName));
      if (entry && (await isComplete(outDir, entry))) plan.complete += 1;
      else plan.toDownload += 1;
    }
    plan.files += batch.tasks.length;
  }
  return plan;
}
