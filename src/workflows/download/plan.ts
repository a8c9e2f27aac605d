/**
 * A batch of scan ids -> the files to fetch, named, and the scans that have nothing to fetch
 * (not found, or no files), each with a reason: nothing is dropped silently.
 */
import type { Queryable } from '../../platform/db.js';
import { selectFirstSectionNames, selectScansWithFiles } from '../../platform/queries.js';
import type { FileTask } from './fetch-file.js';
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
