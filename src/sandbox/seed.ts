/**
 * Demo data for a sandbox instance: the catalog, then processed scans with uploaded PNG
 * images, written in chunks of a few hundred scans (one transaction and a handful of
 * multi-row statements each), so that 100 000 scans run in bounded memory.
 *
 * Deterministic: the same seed on an empty database gives the same rows and the same ids,
 * because every row comes from one seeded stream and ids from the identity columns in a
 * fixed insertion order. `seedCatalog` alone gives the ids `seedDemo` would, which is what
 * lets a copy in mapped mode target a second sandbox seeded with `scans: 0`.
 */
import { createHash } from 'node:crypto';
import { ScanCopyError } from '../core/errors.js';
import type { Db, Queryable } from '../platform/db.js';
import { insertRows, type Column } from './bulk.js';
import { demoCatalog } from './catalog.js';
import { drawShelfJpeg } from './jpeg.js';
import { drawShelfPng } from './png.js';
import { writeProcessingResults, type ProcessingInput } from './recognition.js';
import { planScans, type ScanPlan, type SeededCatalog } from './seed-plan.js';

export type { SeededCatalog, SeededPlanogram, SeededSection } from './seed-plan.js';

export interface SeedCatalogOptions {
  /** @default 1 */
  seed?: number;
}

export interface SeedDemoOptions extends SeedCatalogOptions {
  /** @default 60 */
  scans?: number;
  /** The last day with scans, `YYYY-MM-DD` (UTC). @default '2026-11-27' */
  endDate?: string;
  /** Days the scans spread over, ending at `endDate`. @default 5 */
  days?: number;
  /** After each chunk of scans is written. */
  onProgress?: (progress: { scans: number; total: number }) => void;
}

export interface SeedSummary {
  seed: number;
  catalog: SeededCatalog;
  scans: number;
  files: number;
  reports: number;
  /** Scan ids run from first to last, without gaps, in creation order. Null for no scans. */
  firstScanId: number | null;
  lastScanId: number | null;
  /** Days with scans, `YYYY-MM-DD` (UTC). */
  firstDay: string | null;
  lastDay: string | null;
  /** The first (up to 200) scans with more than one file. */
  multiFileScanIds: number[];
  /** The first (up to 200) scans whose provided_values is the payload itself (no `_raw_data`). */
  plainPayloadScanIds: number[];
}

export const DEFAULT_SEED = 1;
export const DEFAULT_SCANS = 60;
export const DEFAULT_END_DATE = '2026-11-27';
const SCANS_PER_CHUNK = 400;
const EXAMPLES = 200;

/** The catalog only (stores, categories, planograms, sections, products, store planograms). */
export async function seedCatalog(db: Db, opts: SeedCatalogOptions = {}): Promise<SeededCatalog> {
  const seed = opts.seed ?? DEFAULT_SEED;
  await assertEmpty(db);
  return db.transaction((tx) => writeCatalog(tx, seed));
}

export async function seedDemo(db: Db, opts: SeedDemoOptions = {}): Promise<SeedSummary> {
  const seed = opts.seed ?? DEFAULT_SEED;
  const total = opts.scans ?? DEFAULT_SCANS;
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new ScanCopyError('USAGE', `Expected the number of demo scans to be a whole number >= 0, got ${String(opts.scans)}`);
  }
  const endDate = opts.endDate ?? DEFAULT_END_DATE;
  const days = opts.days ?? 5;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(endDate) || Number.isNaN(Date.parse(`${endDate}T00:00:00Z`))) {
    throw new ScanCopyError('USAGE', `Expected the demo end date as YYYY-MM-DD, got ${endDate}`);
  }
  if (!Number.isSafeInteger(days) || days < 1) throw new ScanCopyError('USAGE', `Expected the demo days to be a whole number >= 1, got ${String(opts.days)}`);
  const catalog = await seedCatalog(db, { seed });
  const summary: SeedSummary = {
    seed, catalog, scans: 0, files: 0, reports: 0, firstScanId: null, lastScanId: null,
    firstDay: null, lastDay: null, multiFileScanIds: [], plainPayloadScanIds: [],
  };
  const images = new Map<string, { bytes: Buffer; sha256: string }>();
  const plans = planScans(catalog, { seed, scans: total, endDate, days });
  let chunk: ScanPlan[] = [];
  for (let next = plans.next(); ; next = plans.next()) {
    if (!next.done) chunk.push(next.value);
    if (chunk.length === SCANS_PER_CHUNK || (next.done && chunk.length > 0)) {
      const batch = chunk;
      chunk = [];
      await db.transaction((tx) => writeScans(tx, batch, images, summary));
      opts.onProgress?.({ scans: summary.scans, total });
    }
    if (next.done) break;
  }
  return summary;
}

async function assertEmpty(db: Queryable): Promise<void> {
  const [row] = await db.query<{ used: boolean }>('SELECT EXISTS (SELECT 1 FROM master_data_implementation_store) AS used');
  if (row?.used) {
    throw new ScanCopyError('USAGE', 'The database already holds platform data; demo data is seeded into an empty database only.', {
      hint: 'Seed a fresh database (or an empty embedded folder).',
    });
  }
}

async function writeCatalog(db: Queryable, seed: number): Promise<SeededCatalog> {
  const def = demoCatalog(seed);
  const storeIds = await insertRows(db, 'master_data_implementation_store', [['name', 'text']], def.stores.map((n) => [n]));
  const categoryIds = await insertRows(db, 'master_data_implementation_category', [['name', 'text']], def.categories.map((n) => [n]));
  const categoryId = (name: string): number => categoryIds[def.categories.indexOf(name)] as number;
  const planogramIds = await insertRows(
    db,
    'planograms_implementation_planogram',
    [['name', 'text'], ['category_id', 'bigint']],
    def.planograms.map((p) => [p.name, categoryId(p.category)]),
  );
  const sectionRows = def.planograms.flatMap((p, i) => p.sections.map((s) => [planogramIds[i], s.name]));
  const sectionIds = await insertRows(db, 'planograms_implementation_planogramsection', [['planogram_id', 'bigint'], ['name', 'text']], sectionRows);

  let n = 0;
  const planograms = def.planograms.map((p, i) => ({
    id: planogramIds[i] as number,
    name: p.name,
    categoryId: categoryId(p.category),
    aisle: p.aisle,
    sections: p.sections.map((s) => ({ id: sectionIds[n++] as number, name: s.name, additional: s.additional })),
  }));
  const productRows = def.planograms.flatMap((p, i) =>
    p.sections.flatMap((s, j) => s.products.map((prod) => [planograms[i]?.sections[j]?.id, prod.action, prod.merchMethod])),
  );
  await insertRows(
    db,
    'planograms_implementation_planogramsectionproduct',
    [['section_id', 'bigint'], ['action', 'text'], ['merch_method', 'text']],
    productRows,
  );
  const pairs = def.storePlanograms.flatMap((carried, s) => carried.map((p) => ({ storeId: storeIds[s] as number, planogramId: planogramIds[p] as number })));
  const storePlanogramIds = await insertRows(
    db,
    'planograms_implementation_planogramstore',
    [['planogram_id', 'bigint'], ['store_id', 'bigint']],
    pairs.map((sp) => [sp.planogramId, sp.storeId]),
  );
  return {
    stores: def.stores.map((name, i) => ({ id: storeIds[i] as number, name })),
    categories: def.categories.map((name, i) => ({ id: categoryIds[i] as number, name })),
    planograms,
    storePlanograms: pairs.map((sp, i) => ({ id: storePlanogramIds[i] as number, ...sp })),
  };
}

const FILE_COLUMNS: Column[] = [
  ['original_filename', 'text'], ['content_type', 'text'], ['input_type', 'text'], ['size', 'bigint'],
  ['sha256', 'text'], ['content', 'bytea'], ['created_at', 'timestamptz'],
];
const SCAN_COLUMNS: Column[] = [
  ['provided_values', 'jsonb'], ['store_id', 'bigint'], ['created_at', 'timestamptz'],
  ['selected_category_id', 'bigint'], ['status', 'text'], ['has_report', 'boolean'],
];

async function writeScans(db: Queryable, plans: ScanPlan[], images: Map<string, { bytes: Buffer; sha256: string }>, summary: SeedSummary): Promise<void> {
  const fileRows: unknown[][] = [];
  for (const plan of plans) {
    for (const img of plan.images) {
      const { bytes, sha256 } = await imageFor(images, plan, img);
      // Uploaded a moment before the scan was created, as the app does.
      fileRows.push([img.filename, `image/${img.format}`, 'image', bytes.length, sha256, bytes, new Date(plan.createdAt.getTime() - 5000)]);
    }
  }
  const fileIds = await insertRows(db, 'sandbox_fileupload', FILE_COLUMNS, fileRows);

  let f = 0;
  const filesOf = plans.map((plan) => plan.images.map(() => fileIds[f++] as number));
  const scanRows = plans.map((plan, i) => {
    const payload = { ...plan.rawData, files: filesOf[i] };
    const providedValues = plan.plainPayload ? payload : { _raw_data: payload };
    return [JSON.stringify(providedValues), plan.storeId, plan.createdAt, plan.planogram.categoryId, 'created', false];
  });
  const scanIds = await insertRows(db, 'realograms_implementation_scan', SCAN_COLUMNS, scanRows);
  const scanFileRows = plans.flatMap((_, i) => (filesOf[i] ?? []).map((fileId) => [scanIds[i], fileId, 'image']));
  await insertRows(db, 'realograms_implementation_scanfile', [['scan_id', 'bigint'], ['file_id', 'bigint'], ['file_type', 'text']], scanFileRows);

  const inputs: ProcessingInput[] = plans.map((plan, i) => ({
    scanId: scanIds[i] as number,
    scanDate: plan.createdAt.toISOString().slice(0, 10),
    mapBy: plan.mapBy,
    bays: plan.bays,
    sections: plan.recognised.map(({ section, figures }) => ({
      storePlanogramId: plan.storePlanogramId,
      planogramId: plan.planogram.id,
      sectionId: section.id,
      sectionName: section.name,
      aisleName: plan.planogram.aisle,
      ...figures,
    })),
  }));
  await writeProcessingResults(db, inputs);

  plans.forEach((plan, i) => {
    const id = scanIds[i] as number;
    if (plan.images.length > 1 && summary.multiFileScanIds.length < EXAMPLES) summary.multiFileScanIds.push(id);
    if (plan.plainPayload && summary.plainPayloadScanIds.length < EXAMPLES) summary.plainPayloadScanIds.push(id);
  });
  summary.scans += plans.length;
  summary.files += fileIds.length;
  summary.reports += inputs.reduce((sum, input) => sum + input.sections.length, 0);
  summary.firstScanId ??= scanIds[0] ?? null;
  summary.lastScanId = scanIds[scanIds.length - 1] ?? summary.lastScanId;
  summary.firstDay ??= inputs[0]?.scanDate ?? null;
  summary.lastDay = inputs[inputs.length - 1]?.scanDate ?? summary.lastDay;
}

async function imageFor(
  cache: Map<string, { bytes: Buffer; sha256: string }>,
  plan: ScanPlan,
  img: ScanPlan['images'][number],
): Promise<{ bytes: Buffer; sha256: string }> {
  const key = `${plan.planogram.id}:${img.section.id}:${img.variant}:${img.format}`;
  let image = cache.get(key);
  if (!image) {
    const draw = { planogramId: plan.planogram.id, sectionId: img.section.id, planogramName: plan.planogram.name, sectionName: img.section.name, variant: img.variant };
    const bytes = img.format === 'jpeg' ? await drawShelfJpeg(draw) : drawShelfPng(draw);
    image = { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
    cache.set(key, image);
  }
  return image;
}
