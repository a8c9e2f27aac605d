/**
 * The comparison rules of platform.md section 6 for one source section and the copy's
 * section it is paired with: the first rule that holds wins. A source side without a section
 * (the copy recognised more sections) has no planogram name, so rule 1 holds: the copy was
 * not recognised as the source was. (A source section without a copy's section is never
 * compared: rows.ts says "Section Missing in Target".)
 */
import { pogDelta, type AnalysisComment, type SideValues } from '../../reports/analysis-columns.js';

export interface CompareOptions {
  /** Points of pre-POG % a copy may score above its source and still be "No Issues". @default 0 (the seed's strict rule) */
  pogTolerance?: number;
}

interface Rule {
  comment: AnalysisComment;
  holds(source: SideValues, target: SideValues, options: Required<CompareOptions>): boolean;
}

export const COMPARISON_RULES: readonly Rule[] = [
  { comment: 'Wrong POG Name Mapping', holds: (s, t) => s.planogram_name !== t.planogram_name },
  { comment: 'Same POG Name but Different Section', holds: (s, t) => s.section_name !== t.section_name },
  {
    comment: 'Target Has Additional Section (Source Does Not)',
    holds: (s, t) => s.is_additional_section !== true && t.is_additional_section === true,
  },
  {
    comment: 'Target Has Higher POG% Than Source',
    holds: (s, t, o) => {
      const delta = pogDelta(s.pre_pog_percentage, t.pre_pog_percentage);
      return delta !== null && delta > o.pogTolerance;
    },
  },
];

/** Rules 1-5 in order; only for pairs where the copy exists and is processed. */
export function compareSections(source: SideValues, target: SideValues, options: CompareOptions = {}): AnalysisComment {
  const resolved = { pogTolerance: options.pogTolerance ?? 0 };
  return COMPARISON_RULES.find((rule) => rule.holds(source, target, resolved))?.comment ?? 'No Issues';
}

export const EMPTY_SIDE: Readonly<SideValues> = Object.freeze({
  store_planogram_id: null,
  planogram_name: null,
  section_id: null,
  section_name: null,
  is_additional_section: null,
  pre_pog_percentage: null,
  post_pog_percentage: null,
  pre_osa_percentage: null,
  post_osa_percentage: null,
  ok_count: null,
  wandering_count: null,
  oos_count: null,
  hole_count: null,
});
