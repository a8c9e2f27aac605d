/**
 * The demo scans as a lazy sequence of plans, one per scan, drawn from one seeded stream in
 * creation order: the same seed and count always give the same scans, and 100 000 of them
 * never sit in memory at once.
 */
import { simulateBays, simulateSectionFigures, type SectionFigures } from './recognition.js';
import { createRandom } from './random.js';

export interface SeededSection {
  id: number;
  name: string;
  additional: boolean;
}

export interface SeededPlanogram {
  id: number;
  name: string;
  categoryId: number;
  aisle: string;
  sections: SeededSection[];
}

export interface SeededCatalog {
  stores: Array<{ id: number; name: string }>;
  categories: Array<{ id: number; name: string }>;
  planograms: SeededPlanogram[];
  storePlanograms: Array<{ id: number; storeId: number; planogramId: number }>;
}

export interface ScanPlan {
  index: number;
  storeId: number;
  planogram: SeededPlanogram;
  storePlanogramId: number;
  createdAt: Date;
  /** One image per entry, in upload order; several may show the same section. */
  images: Array<{ section: SeededSection; variant: number; format: 'png' | 'jpeg'; filename: string }>;
  /**
   * One per distinct section shown, in order of first appearance; in one scan of the plan
   * (`unseenSection`) one more, that none of its images shows.
   */
  recognised: Array<{ section: SeededSection; figures: SectionFigures }>;
  /**
   * The source's processing reported a section the images do not show (a shelf edge it
   * caught that the photos cut off): a copy, recognised from the images, has no section for
   * it, so the analysis shows "Section Missing in Target". The first scan whose planogram
   * has such a section gets it, so any demo of a few scans shows the case.
   */
  unseenSection?: SeededSection;
  /** Bays of its realogram. */
  bays: number;
  mapBy: string;
  /** `_raw_data` without `files`, which exist only once the images are uploaded. */
  rawData: Record<string, unknown>;
  /** The payload sits directly in provided_values instead of under `_raw_data`. */
  plainPayload: boolean;
}

export interface PlanOptions {
  seed: number;
  scans: number;
  /** The last day of scans, `YYYY-MM-DD` (UTC). */
  endDate: string;
  days: number;
}

/** Distinct pictures per section; images repeat beyond that, which lets the seed cache them. */
export const IMAGE_VARIANTS = 12;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 09:00-18:00 UTC: the same calendar day in every timezone from UTC-9 to UTC+5. */
const OPEN_HOUR = 9;
const BUSINESS_HOURS = 9;
const MAP_BY = ['planogram_section', 'planogram_section', 'planogram_section', 'majority_v2', 'store_planogram'] as const;
const APP_VERSIONS = ['4.12.1', '4.12.3', '4.13.0'] as const;

export function* planScans(catalog: SeededCatalog, opts: PlanOptions): Generator<ScanPlan> {
  const random = createRandom(opts.seed).fork('scans');
  // Its own stream: the unseen section's figures leave every other scan's draws as they were.
  const unseenRandom = createRandom(opts.seed).fork('unseen-section');
  let unseenGiven = false;
  const firstDay = Date.parse(`${opts.endDate}T00:00:00Z`) - (opts.days - 1) * DAY;
  const byStore = new Map<number, Array<{ id: number; planogram: SeededPlanogram }>>();
  for (const sp of catalog.storePlanograms) {
    const planogram = catalog.planograms.find((p) => p.id === sp.planogramId) as SeededPlanogram;
    byStore.set(sp.storeId, [...(byStore.get(sp.storeId) ?? []), { id: sp.id, planogram }]);
  }
  // The first store is the busiest, as a pilot store would be.
  const storeWeights = catalog.stores.map((s, i) => ({ id: s.id, weight: i === 0 ? 3 : 1 }));
  const totalWeight = storeWeights.reduce((sum, s) => sum + s.weight, 0);

  for (let index = 0; index < opts.scans; index++) {
    let ticket = random.next() * totalWeight;
    const storeId = (storeWeights.find((s) => (ticket -= s.weight) < 0) ?? storeWeights[0])?.id as number;
    const { id: storePlanogramId, planogram } = random.pick(byStore.get(storeId) ?? []);

    const businessMs = ((index + random.next()) / opts.scans) * opts.days * BUSINESS_HOURS * HOUR;
    const day = Math.floor(businessMs / (BUSINESS_HOURS * HOUR));
    const createdAt = new Date(firstDay + day * DAY + OPEN_HOUR * HOUR + (businessMs - day * BUSINESS_HOURS * HOUR));
    const processedAt = new Date(createdAt.getTime() + random.int(40, 600) * 1000);
    const capturedAt = Math.floor(createdAt.getTime() / 1000) - random.int(20, 900);

    // Every fifth scan has two images and every fifth three, so multi-file scans are never rare.
    const imageCount = index % 5 === 1 ? 2 : index % 5 === 3 ? 3 : random.chance(0.8) ? 1 : random.int(2, 3);
    const start = random.int(0, planogram.sections.length - 1);
    const images = Array.from({ length: imageCount }, (_, i) => {
      const variant = random.int(0, IMAGE_VARIANTS - 1);
      // Half the photos are JPEGs, as shelf cameras take them; the rest PNGs.
      const format = variant % 2 === 1 ? ('jpeg' as const) : ('png' as const);
      const filename = `shelf_${String(i + 1).padStart(2, '0')}.${format === 'jpeg' ? 'jpg' : 'png'}`;
      return { section: planogram.sections[(start + i) % planogram.sections.length] as SeededSection, variant, format, filename };
    });
    const distinct = [...new Map(images.map((img) => [img.section.id, img.section])).values()];
    const recognised = distinct.map((section) => ({ section, figures: simulateSectionFigures(random) }));
    const unseenSection = unseenGiven ? undefined : planogram.sections.find((s) => !s.additional && !distinct.includes(s));
    if (unseenSection) {
      unseenGiven = true;
      recognised.push({ section: unseenSection, figures: simulateSectionFigures(unseenRandom) });
    }
    const bays = simulateBays(random);
    const primary = images[0]?.section as SeededSection;

    const rawData: Record<string, unknown> = {
      store: storeId,
      captured_at: capturedAt,
      category_id: planogram.categoryId,
      section_id: primary.id,
      store_planogram: storePlanogramId,
      aisle: planogram.aisle,
      task_id: 480_000 + index * 7 + random.int(0, 6),
      device_id: `ipad-${String(random.int(1, 24)).padStart(2, '0')}`,
      app_version: random.pick(APP_VERSIONS),
      scan_type: 'shelf',
    };
    // Some clients echo server fields back; a copy has to drop them.
    if (index % 9 === 4) {
      rawData.replace_id = null;
      rawData.created_at = createdAt.toISOString();
      rawData.updated_at = processedAt.toISOString();
    }
    yield {
      index,
      storeId,
      planogram,
      storePlanogramId,
      createdAt,
      images,
      recognised,
      ...(unseenSection ? { unseenSection } : {}),
      bays,
      mapBy: random.pick(MAP_BY),
      rawData,
      plainPayload: index % 15 === 7,
    };
  }
}
