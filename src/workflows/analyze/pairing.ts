/**
 * Which section of a copy is compared with which section of its source when a scan has
 * several compliance reports: first the sections with the same planogram and section name
 * (each used once, in report order), then the rest in report order; a section left over
 * on either side is paired with nothing.
 */

export interface NamedSection {
  planogram_name: string | null;
  section_name: string | null;
}

export type SectionPair<T> = readonly [source: T | undefined, target: T | undefined];

/** Pairs in source report order, then the copy's left-over sections in their order. */
export function pairSections<T extends NamedSection>(source: readonly T[], target: readonly T[]): Array<SectionPair<T>> {
  const unused = target.map((_, i) => i);
  const byName: Array<number | undefined> = source.map((s) => {
    const at = unused.findIndex((i) => sameNames(s, target[i] as T));
    return at === -1 ? undefined : unused.splice(at, 1)[0];
  });
  const pairs = source.map((s, i): SectionPair<T> => {
    const matched = byName[i] ?? unused.shift();
    return [s, matched === undefined ? undefined : target[matched]];
  });
  for (const i of unused) pairs.push([undefined, target[i]]);
  return pairs;
}

function sameNames(a: NamedSection, b: NamedSection): boolean {
  return a.planogram_name === b.planogram_name && a.section_name === b.section_name;
}
