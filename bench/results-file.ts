/**
 * bench/results/latest.json as a run leaves it. A run of one figure alone (`--rss-growth`)
 * merges its keys into the file's `cloud` object instead of replacing the file, so the
 * figures of the last full or quick run stay beside it.
 */
import { readFile } from 'node:fs/promises';
import { ScanCopyError } from '../src/core/errors.js';

/** The machine a run measured, and how loaded it was. */
export interface MachineFigures {
  cpus: number;
  cpu_model: string;
  memory_gb: number;
  node: string;
  os: string;
  database: 'postgresql' | 'pglite';
  load_average_before: number[];
  load_average_after: number[];
  cpu_calibration_ms: { before: number; after: number };
}

/** The file's contents with `figures` set in its `cloud` object; a missing file starts empty. */
export async function mergeCloudFigures(path: string, figures: Record<string, unknown>): Promise<Record<string, unknown>> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let results: Record<string, unknown> = {};
  if (text !== undefined) {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ScanCopyError('USAGE', `${path} is not a benchmark results object: nothing was merged into it`);
    }
    results = parsed as Record<string, unknown>;
  }
  const cloud = typeof results.cloud === 'object' && results.cloud !== null ? (results.cloud as Record<string, unknown>) : {};
  return { ...results, cloud: { ...cloud, ...figures } };
}
