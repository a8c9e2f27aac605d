/**
 * How the sandbox "recognises" a created scan, like the platform's recognition would:
 * a mapped payload (store_planogram / section_id given) is filed under what it names; an
 * auto payload is recognised from each image's truth chunk through a seeded error model
 * that mis-maps a share of scans (another planogram, another section of the right
 * planogram, or the right section filed under the planogram's additional section), so a
 * copy analysed against its source shows every comment category of platform.md section 6. Every draw is seeded by image bytes, so the same images get the same
 * result whatever the instance and the order of processing.
 */
import type { Queryable } from '../platform/db.js';
import { readImageTruth } from './jpeg.js';
import { createRandom, hashSeed, type Random } from './random.js';
import { simulateBays, simulateSectionFigures, type ProcessingInput, type RecognisedSection, type SectionFigures } from './recognition.js';
import { loadScan, loadStoreCatalog, type CatalogSection, type ScanToProcess, type StoreCatalog } from './scan-catalog.js';

export interface RecognitionOptions {
  /** Share of auto-mapped images recognised wrongly. @default 0.25 */
  misMapRate: number;
  seed: number;
}

export type MisMap = 'planogram' | 'section' | 'additional';

interface Pick {
  section: CatalogSection;
  /** The image the section was recognised in: its figures are drawn from it. */
  key: string;
  misMap?: MisMap;
  /** The store planogram the payload named, when it is this section's planogram. */
  storePlanogramId?: number;
  /** The report's section name when it is not the section's own (a section filed under another). */
  reportName?: string;
}

/** The processing result of one scan, or undefined when the scan no longer exists. */
export async function recogniseScan(db: Queryable, scanId: number, options: RecognitionOptions): Promise<ProcessingInput | undefined> {
  const scan = await loadScan(db, scanId);
  if (!scan) return undefined;
  const catalog = await loadStoreCatalog(db, scan.storeId);
  const mapped = scan.payload.store_planogram != null || scan.payload.section_id != null;
  const picks = mapped ? mappedPicks(scan, catalog) : autoPicks(scan, catalog, options);
  const sections = dedupe(picks).flatMap((pick) => {
    const recognised = toSection(pick, scan, catalog, options.seed);
    return recognised ? [recognised] : [];
  });
  const bays = simulateBays(createRandom(hashSeed(options.seed, 'counts', scanId)));
  return { scanId, scanDate: scan.day, mapBy: mapBy(scan, mapped), sections, bays };
}

/** The platform's words for how a scan was mapped, as the demo data uses them. */
function mapBy(scan: ScanToProcess, mapped: boolean): string {
  if (!mapped) return 'majority_v2';
  return scan.payload.section_id != null ? 'planogram_section' : 'store_planogram';
}

/** Mapped: the named section, else the image's section when it is on the named planogram, else its first section. */
function mappedPicks(scan: ScanToProcess, catalog: StoreCatalog): Pick[] {
  const key = scan.files[0]?.sha256 ?? `scan-${scan.id}`;
  const storePlanogramId = Number(scan.payload.store_planogram);
  const planogramId = catalog.planogramOfStorePlanogram.get(storePlanogramId);
  const named = catalog.byId.get(Number(scan.payload.section_id));
  const onPlanogram = scan.files
    .map((f) => truthSection(f.bytes, catalog))
    .find((s) => s !== undefined && s.planogramId === planogramId);
  const section = named ?? onPlanogram ?? catalog.sections.find((s) => s.planogramId === planogramId && !s.additional);
  if (!section) return [];
  return [{ section, key, storePlanogramId: section.planogramId === planogramId ? storePlanogramId : undefined }];
}

/**
 * Auto: each image's true section; then, for a `misMapRate` share of scans, one image
 * recognised wrongly. The draw is keyed by the scan's images, not its id, so a copy of the
 * same images is judged the same way on any instance and in any order of processing.
 */
function autoPicks(scan: ScanToProcess, catalog: StoreCatalog, options: RecognitionOptions): Pick[] {
  const truths = scan.files.flatMap((file) => {
    const section = truthSection(file.bytes, catalog) ?? guess(createRandom(hashSeed(options.seed, 'guess', file.sha256)), catalog);
    return section ? [{ section, key: file.sha256 }] : [];
  });
  const random = createRandom(hashSeed(options.seed, 'mis-map', scan.files.map((f) => f.sha256).join(',')));
  if (truths.length === 0 || !random.chance(options.misMapRate)) return truths;
  const { victim, order } = chooseMisMap(truths, catalog, random);
  const { section: truth } = truths[victim] as Pick;
  // The section's report comes from the first image that shows it: a wrong recognition
  // starts from that image's figures, so it scores below what the right one would.
  const key = (truths.find((t) => t.section.id === truth.id) as Pick).key;
  const taken = new Set(truths.map((t) => t.section.id));
  for (const kind of order) {
    const wrong = misMap(kind, truth, catalog, taken, random);
    if (!wrong) continue;
    // Same image, same base figures: the error only lowers them.
    const pick: Pick = { section: wrong, key, misMap: kind, reportName: kind === 'additional' ? truth.name : undefined };
    return truths.map((t, i) => (i === victim ? pick : t));
  }
  return truths;
}

/**
 * Which image goes wrong and how, most likely kind first. Filing under an additional section
 * needs a planogram that has one, which few have: where it is possible it comes first more
 * often, so that a copy of the demo shows every kind of error.
 */
function chooseMisMap(truths: Pick[], catalog: StoreCatalog, random: Random): { victim: number; order: MisMap[] } {
  const addable = truths.flatMap((t, i) => (!t.section.additional && additionalOf(t.section, catalog).length > 0 ? [i] : []));
  if (addable.length > 0 && random.chance(0.6)) return { victim: random.pick(addable), order: ['additional', 'section', 'planogram'] };
  const victim = random.int(0, truths.length - 1);
  return { victim, order: random.chance(0.5) ? ['section', 'planogram', 'additional'] : ['planogram', 'section', 'additional'] };
}

const additionalOf = (truth: CatalogSection, catalog: StoreCatalog): CatalogSection[] =>
  catalog.sections.filter((s) => s.planogramId === truth.planogramId && s.additional && s.id !== truth.id);

/**
 * The section recognised instead of the true one: a section of another planogram; another
 * section of the same planogram (one the scan does not show already); or, for `additional`,
 * the planogram's additional section, reported under the true section's name -- the right
 * shelf matched to the additional display's planogram section.
 */
function misMap(kind: MisMap, truth: CatalogSection, catalog: StoreCatalog, taken: Set<number>, random: Random): CatalogSection | undefined {
  if (kind === 'planogram') {
    const others = catalog.sections.filter((s) => !s.additional && s.planogramName !== truth.planogramName);
    const carried = others.filter((s) => s.storePlanogramId !== undefined);
    const pool = carried.length ? carried : others;
    return pool.length ? random.pick(pool) : undefined;
  }
  if (kind === 'section') {
    const others = catalog.sections.filter((s) => s.planogramId === truth.planogramId && s.name !== truth.name && !s.additional && !taken.has(s.id));
    return others.length ? random.pick(others) : undefined;
  }
  const additional = truth.additional ? [] : additionalOf(truth, catalog);
  return additional.length ? random.pick(additional) : undefined;
}

function truthSection(bytes: Buffer, catalog: StoreCatalog): CatalogSection | undefined {
  const truth = readImageTruth(bytes);
  if (!truth) return undefined;
  const byId = catalog.byId.get(truth.section_id);
  if (byId && byId.planogramName === truth.planogram_name && byId.name === truth.section_name) return byId;
  // Another instance's ids: the same planogram and section by name.
  return catalog.sections.find((s) => s.planogramName === truth.planogram_name && s.name === truth.section_name) ?? byId;
}

/** An image without a truth chunk still gets a section: a deterministic guess from its bytes. */
function guess(random: Random, catalog: StoreCatalog): CatalogSection | undefined {
  const carried = catalog.sections.filter((s) => s.storePlanogramId !== undefined && !s.additional);
  const pool = carried.length ? carried : catalog.sections.filter((s) => !s.additional);
  return pool.length ? random.pick(pool) : undefined;
}

/** One report per recognised section: several images of one section make one report. */
function dedupe(picks: Pick[]): Pick[] {
  const seen = new Set<string>();
  return picks.filter((p) => {
    const id = `${p.section.id}|${p.reportName ?? p.section.name}`;
    return !seen.has(id) && seen.add(id);
  });
}

function toSection(pick: Pick, scan: ScanToProcess, catalog: StoreCatalog, seed: number): RecognisedSection | undefined {
  const storePlanogramId = pick.storePlanogramId ?? pick.section.storePlanogramId ?? catalog.anyStorePlanogram.get(pick.section.planogramId);
  if (storePlanogramId === undefined) return undefined;
  const random = createRandom(hashSeed(seed, 'figures', pick.key));
  const figures = adjust(simulateSectionFigures(random.fork('base')), random, pick.misMap);
  const aisle = typeof scan.payload.aisle === 'string' && scan.payload.aisle ? scan.payload.aisle : null;
  return {
    storePlanogramId,
    planogramId: pick.section.planogramId,
    sectionId: pick.section.id,
    sectionName: pick.reportName ?? pick.section.name,
    aisleName: aisle,
    ...figures,
  };
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
const clamp = (v: number): number => round2(Math.min(100, Math.max(0, v)));

/**
 * A right recognition scores about what the image is worth, with a little noise either way
 * (so a copy is sometimes above its source); a wrong one scores clearly lower.
 */
function adjust(base: SectionFigures, random: Random, misMap: MisMap | undefined): SectionFigures {
  const pog = misMap ? -random.float(15, 35) : random.float(-3, 1.5);
  const osa = misMap ? -random.float(5, 20) : random.float(-1.5, 1);
  return {
    ...base,
    prePog: clamp(base.prePog + pog),
    postPog: clamp(base.postPog + pog),
    preOsa: clamp(base.preOsa + osa),
    postOsa: clamp(base.postOsa + osa),
    facing: clamp(base.facing + pog),
    sequence: clamp(base.sequence + pog),
    initial: clamp(base.initial + pog),
  };
}
