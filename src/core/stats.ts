/**
 * Outcome counters for a run: every item ends in exactly one outcome, and the summary, the
 * reports and the exit code all read these counts, so they cannot disagree. Stage counters
 * (work done, failures, bytes, latency) sit beside them for rates and the summary line.
 */

export interface StageCounters {
  ok: number;
  failed: number;
  bytes: number;
  /** Sum of the latencies of successful calls, for the mean. */
  latencyMs: number;
}

export interface StatsSnapshot<O extends string, S extends string> {
  /** Items per final outcome. */
  outcomes: Record<O, number>;
  /** Items that have an outcome; equals the selected items once a run is complete. */
  settled: number;
  stages: Record<S, StageCounters>;
  elapsedMs: number;
  /** Settled items per second of elapsed time. */
  itemsPerSecond: number;
}

export class RunStats<O extends string, S extends string> {
  readonly #outcomes: Map<string, O> = new Map();
  readonly #stages: Record<S, StageCounters>;
  readonly #outcomeNames: readonly O[];
  readonly #started: number;
  readonly #now: () => number;

  constructor(outcomes: readonly O[], stages: readonly S[], now: () => number = Date.now) {
    this.#outcomeNames = outcomes;
    this.#stages = Object.fromEntries(stages.map((s) => [s, { ok: 0, failed: 0, bytes: 0, latencyMs: 0 }])) as Record<S, StageCounters>;
    this.#now = now;
    this.#started = now();
  }

  /** Sets an item's outcome; a later call replaces an earlier one, so each item counts once. */
  settle(item: string | number, outcome: O): void {
    this.#outcomes.set(String(item), outcome);
  }

  /** Forgets an item's outcome (it is being tried again). */
  unsettle(item: string | number): void {
    this.#outcomes.delete(String(item));
  }

  outcomeOf(item: string | number): O | undefined {
    return this.#outcomes.get(String(item));
  }

  stage(stage: S, result: 'ok' | 'failed', extra: { bytes?: number; latencyMs?: number } = {}): void {
    const counters = this.#stages[stage];
    counters[result] += 1;
    counters.bytes += extra.bytes ?? 0;
    if (result === 'ok') counters.latencyMs += extra.latencyMs ?? 0;
  }

  count(outcome: O): number {
    let n = 0;
    for (const o of this.#outcomes.values()) if (o === outcome) n += 1;
    return n;
  }

  snapshot(): StatsSnapshot<O, S> {
    const outcomes = Object.fromEntries(this.#outcomeNames.map((o) => [o, 0])) as Record<O, number>;
    for (const o of this.#outcomes.values()) outcomes[o] += 1;
    const elapsedMs = Math.max(0, this.#now() - this.#started);
    const settled = this.#outcomes.size;
    const stages = Object.fromEntries(Object.entries(this.#stages).map(([k, v]) => [k, { ...(v as StageCounters) }])) as Record<S, StageCounters>;
    return { outcomes, settled, stages, elapsedMs, itemsPerSecond: elapsedMs > 0 ? settled / (elapsedMs / 1000) : 0 };
  }
}
