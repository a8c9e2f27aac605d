/**
 * How the sandbox "recognises" a created scan, like the platform's recognition would:
 * a mapped payload (store_planogram / section_id given) is filed under what it names; an
 * auto payload is recognised from each image's truth chunk through a seeded error model
 * that mis-maps a share of images (wrong planogram, wrong section of the right planogram,
 * or an extra additional section), so a copy analysed against its source shows every
 * comment category. Every draw is seeded by the image's bytes, so the same image gets the
 * same result whatever the order of processing.
 */
import type { Queryable } from '../platform/db.js';
import { readPngTruth } from './png.js';
import { createRandom, hashSeed, type Random } from './random.js';
import { simulateRealogramCounts, simulateSectionFigures, type ProcessingInput, type RecognisedSection, type SectionFigures } from './recognition.js';
import { loadScan, loadStoreCatalog, type CatalogSection, type ScanToProcess, type StoreCatalog } from './scan-catalog.js';

export interface RecognitionOptions {
  /** Share of auto-mapped images recognised wrongly. @default 0.25 */
  misMapRate: number;
  seed: number;
}

export type MisMap = 'planogram' | 'section' | 'additional';

interface Pick {
  section: CatalogSection;
  /** The image and the role this section plays in it: figures are drawn from these. */
  key: string;
  misMap?: MisMap;
  /** The store planogram the payload named, when it is this section's planogram. */
  storePlanogramId?: number;
}

/** The processing result of one scan, or undefined when the scan no longer exists. */
export async function recogniseScan(db: Queryable, scanId: number, options: RecognitionOptions): Promise<ProcessingInput | undefined> {
  const scan = await loadScan(db, scanId);
  if (!scan) return undefined;
  const catalog = await loadStoreCatalog(db, scan.storeId);
  const mapped = scan.payload.store_planogram != null || scan.payload.section_id != null;
  const picks = mapped ? mappedPicks(scan, catalog) : scan.files.flatMap((file) => autoPicks(file, catalog, options));
  const sections = dedupe(picks).flatMap((pick) => {
    const recognised = toSection(pick, scan, catalog, options.seed);
    return recognised ? [recognised] : [];
  });
  const counts = simulateRealogramCounts(createRandom(hashSeed(options.seed, 'counts', scanId)), sections);
  return { scanId, scanDate: scan.day, mapBy: mapBy(scan, mapped), sections, ...counts };
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

function autoPicks(file: ScanToProcess['files'][number], catalog: StoreCatalog, options: RecognitionOptions): Pick[] {
  const random = createRandom(hashSeed(options.seed, 'recognise', file.sha256));
  const truth = truthSection(file.bytes, catalog) ?? guess(random.fork('guess'), catalog);
  if (!truth) return [];
  const key = file.sha256;
  if (!random.chance(options.misMapRate)) return [{ section: truth, key }];
  for (const kind of random.shuffle(['planogram', 'section', 'additional'] as const)) {
    const wrong = misMap(kind, truth, catalog, random);
    if (wrong) return wrong.map((section, i) => ({ section, key: i === 0 ? key : `${key}:${kind}`, misMap: kind }));
  }
  return [{ section: truth, key }];
}

/** The sections recognised instead of (or, for `additional`, besides) the true one. */
function misMap(kind: MisMap, truth: CatalogSection, catalog: StoreCatalog, random: Random): CatalogSection[] | undefined {
  if (kind === 'planogram') {
    const others = catalog.sections.filter((s) => !s.additional && s.planogramName !== truth.planogramName);
    const carried = others.filter((s) => s.storePlanogramId !== undefined);
    const pool = carried.length ? carried : others;
    return pool.length ? [random.pick(pool)] : undefined;
  }
  const samePlanogram = catalog.sections.filter((s) => s.planogramId === truth.planogramId && s.name !== truth.name);
  if (kind === 'section') {
    const others = samePlanogram.filter((s) => !s.additional);
    return others.length ? [random.pick(others)] : undefined;
  }
  const additional = samePlanogram.filter((s) => s.additional);
  return additional.length && !truth.additional ? [truth, random.pick(additional)] : undefined;
}

function truthSection(bytes: Buffer, catalog: StoreCatalog): CatalogSection | undefined {
  const truth = readPngTruth(bytes);
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

function dedupe(picks: Pick[]): Pick[] {
  const seen = new Set<number>();
  return picks.filter((p) => !seen.has(p.section.id) && seen.add(p.section.id));
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
    sectionName: pick.section.name,
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
