/** What recognition reads: a created scan with its images, and the planogram catalog seen from its store. */
import { readFile } from 'node:fs/promises';
import type { Queryable } from '../platform/db.js';

export interface CatalogSection {
  id: number;
  name: string;
  planogramId: number;
  planogramName: string;
  additional: boolean;
  /** The store's store planogram for this section's planogram, when the store carries it. */
  storePlanogramId?: number;
}

export interface StoreCatalog {
  sections: CatalogSection[];
  byId: Map<number, CatalogSection>;
  planogramOfStorePlanogram: Map<number, number>;
  /** Some store planogram of each planogram, for a section filed outside the scan's store. */
  anyStorePlanogram: Map<number, number>;
}

export interface ScanToProcess {
  id: number;
  storeId: number;
  /** The UTC day of `created_at` (as the seed files it), the day its compliance is filed under. */
  day: string;
  /** `provided_values._raw_data`, or `provided_values` itself when it has none. */
  payload: Record<string, unknown>;
  files: Array<{ id: number; sha256: string; bytes: Buffer }>;
}

export async function loadScan(db: Queryable, scanId: number): Promise<ScanToProcess | undefined> {
  const [scan] = await db.query<{ id: number; store_id: number; day: string; provided_values: Record<string, unknown> | null }>(
    "SELECT id, store_id, (created_at AT TIME ZONE 'UTC')::date AS day, provided_values FROM realograms_implementation_scan WHERE id = $1",
    [scanId],
  );
  if (!scan) return undefined;
  const files = await db.query<{ id: number; sha256: string; content: Uint8Array | null; storage_path: string | null }>(
    `SELECT f.id, f.sha256, f.content, f.storage_path
       FROM realograms_implementation_scanfile sf
       JOIN sandbox_fileupload f ON f.id = sf.file_id
      WHERE sf.scan_id = $1
      ORDER BY sf.id`,
    [scanId],
  );
  const values = scan.provided_values ?? {};
  const raw = values._raw_data;
  return {
    id: scan.id,
    storeId: scan.store_id,
    day: scan.day,
    payload: typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : values,
    files: await Promise.all(
      files.map(async (f) => ({
        id: f.id,
        sha256: f.sha256.trim(),
        bytes: f.content ? Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength) : f.storage_path ? await readFile(f.storage_path) : Buffer.alloc(0),
      })),
    ),
  };
}

export async function loadStoreCatalog(db: Queryable, storeId: number): Promise<StoreCatalog> {
  const rows = await db.query<{ id: number; name: string; planogram_id: number; planogram_name: string; additional: boolean; store_planogram_id: number | null }>(
    `SELECT sec.id, sec.name, p.id AS planogram_id, p.name AS planogram_name,
            EXISTS (SELECT 1 FROM planograms_implementation_planogramsectionproduct sp
                     WHERE sp.section_id = sec.id
                       AND (sp.action ILIKE '%additional%' OR sp.merch_method ILIKE '%additional%')) AS additional,
            (SELECT min(ps.id) FROM planograms_implementation_planogramstore ps
              WHERE ps.planogram_id = p.id AND ps.store_id = $1) AS store_planogram_id
       FROM planograms_implementation_planogramsection sec
       JOIN planograms_implementation_planogram p ON p.id = sec.planogram_id
      ORDER BY p.id, sec.id`,
    [storeId],
  );
  const storePlanograms = await db.query<{ id: number; planogram_id: number }>(
    'SELECT id, planogram_id FROM planograms_implementation_planogramstore ORDER BY id',
  );
  const sections = rows.map((r) => ({
    id: r.id,
    name: r.name,
    planogramId: r.planogram_id,
    planogramName: r.planogram_name,
    additional: r.additional,
    storePlanogramId: r.store_planogram_id ?? undefined,
  }));
  const anyStorePlanogram = new Map<number, number>();
  for (const sp of storePlanograms) if (!anyStorePlanogram.has(sp.planogram_id)) anyStorePlanogram.set(sp.planogram_id, sp.id);
  return {
    sections,
    byId: new Map(sections.map((s) => [s.id, s])),
    planogramOfStorePlanogram: new Map(storePlanograms.map((sp) => [sp.id, sp.planogram_id])),
    anyStorePlanogram,
  };
}
