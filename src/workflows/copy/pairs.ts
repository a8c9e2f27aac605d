/**
 * What a copy hands to the analysis: the job's scans that exist on the source, each with its
 * copy or none (reported missing, never compared with another scan). A scan not on the source
 * has no pair; one that failed otherwise (even with a file gone) keeps its own.
 */
import type { ScanPair } from '../analyze/rows.js';
import { notOnSource, type CopyFailure } from './outputs.js';

export function pairsFromCopy(result: { scanIds: readonly number[]; mapping: ReadonlyArray<{ sourceScanId: number; targetScanId: number }>; failures: readonly CopyFailure[] }): ScanPair[] {
  const targets = new Map(result.mapping.map((m) => [m.sourceScanId, m.targetScanId]));
  const missing = new Set(notOnSource(result.failures));
  return result.scanIds.filter((id) => !missing.has(id)).map((id) => ({ sourceId: id, targetId: targets.get(id) ?? null }));
}
