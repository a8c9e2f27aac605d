/**
 * What a copy hands to the analysis: the job's scans that exist on the source, each with its
 * copy or none (reported missing, never compared with another scan). A scan skipped because
 * it is not on the source has no pair; one that failed (even with a file gone) keeps its own.
 */
import type { ScanPair } from '../analyze/rows.js';
import type { CopyFailure } from './outputs.js';
import { SKIP_CODES } from './state.js';

export function pairsFromCopy(result: { scanIds: readonly number[]; mapping: ReadonlyArray<{ sourceScanId: number; targetScanId: number }>; failures: readonly CopyFailure[] }): ScanPair[] {
  const targets = new Map(result.mapping.map((m) => [m.sourceScanId, m.targetScanId]));
  const notOnSource = new Set(result.failures.filter((f) => f.outcome === 'skipped' && f.code === SKIP_CODES['not-found']).map((f) => f.scanId));
  return result.scanIds.filter((id) => !notOnSource.has(id)).map((id) => ({ sourceId: id, targetId: targets.get(id) ?? null }));
}
