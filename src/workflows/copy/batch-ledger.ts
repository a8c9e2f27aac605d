/**
 * A batch's success rates per stage, over all its attempts: each item counts once, with its
 * latest outcome, so a retry that fixes a failure raises the rate. The seed tool's rule
 * decides whether a batch is tried again: download < 80 %, upload < 80 % or create < 50 %.
 */
import { byStage, type Stage } from '../../platform/stages.js';
import type { StageRates } from './events.js';

export const SEED_THRESHOLDS: StageRates = { download: 0.8, upload: 0.8, create: 0.5 };

export class BatchLedger {
  readonly #items: Record<Stage, Map<string, boolean>> = byStage(() => new Map());

  mark(stage: Stage, key: string, ok: boolean): void {
    this.#items[stage].set(key, ok);
  }

  /** Share of successes per stage; a stage with nothing attempted counts as 1. */
  rates(): StageRates {
    const rate = (stage: Stage): number => {
      const outcomes = [...this.#items[stage].values()];
      return outcomes.length === 0 ? 1 : outcomes.filter(Boolean).length / outcomes.length;
    };
    return byStage(rate);
  }
}

/** The stages whose rate is under its threshold. */
export function stagesBelow(rates: StageRates, thresholds: StageRates): Stage[] {
  return (Object.keys(thresholds) as Stage[]).filter((stage) => rates[stage] < thresholds[stage]);
}
