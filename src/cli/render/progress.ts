/**
 * Live progress on a terminal: one bar per pipeline stage (download, upload, create) with
 * counts, failures, rate and ETA. The stages run at the same time (a pipeline, not
 * barriers), so each bar keeps its own clock; totals grow as batches are queued.
 */
import cliProgress from 'cli-progress';

export interface StageSpec {
  /** Key used by `advance`/`grow`, e.g. `download`. */
  key: string;
  /** What one unit is, e.g. `files`, `scans`. */
  unit: string;
}

interface StageState {
  spec: StageSpec;
  bar: cliProgress.SingleBar;
  done: number;
  failed: number;
  total: number;
  startedAt: number | undefined;
}

const LABEL_WIDTH = 8;
const ERASE_TO_END = '\x1b[K';

/** A rate with one decimal below 10/s, whole above. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '-';
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond));
}

/** `42s`, `3m05s`, `1h02m`; `-` while unknown. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class StageProgress {
  private readonly multi: cliProgress.MultiBar;
  private readonly stages = new Map<string, StageState>();
  private stopped = false;

  constructor(stream: NodeJS.WritableStream, stages: readonly StageSpec[], private readonly now: () => number = Date.now) {
    this.multi = new cliProgress.MultiBar(
      {
        stream,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        gracefulExit: false,
        // Long log lines above the bars wrap instead of being cut; the bars are trimmed to the width.
        linewrap: true,
        fps: 8,
        format: (options, params, payload: { label?: string; line?: string }) =>
          `${payload.label ?? ''} ${cliProgress.Format.BarFormat(params.progress, options)} ${payload.line ?? ''}`,
        barsize: 24,
        barCompleteChar: '█',
        barIncompleteChar: '░',
      },
      cliProgress.Presets.shades_classic,
    );
    for (const spec of stages) {
      const bar = this.multi.create(1, 0, { label: spec.key.padEnd(LABEL_WIDTH), line: '' });
      this.stages.set(spec.key, { spec, bar, done: 0, failed: 0, total: 0, startedAt: undefined });
      this.render(spec.key);
    }
  }

  /** More units are queued for a stage (a batch started). */
  grow(stage: string, units: number): void {
    const state = this.stages.get(stage);
    if (!state || units <= 0) return;
    state.total += units;
    this.render(stage);
  }

  /** Sets a stage's total outright, when the workflow knows it. */
  setTotal(stage: string, total: number): void {
    const state = this.stages.get(stage);
    if (!state) return;
    state.total = Math.max(total, state.done + state.failed);
    this.render(stage);
  }

  /** Units of a stage finished, successfully or not. */
  advance(stage: string, units = 1, outcome: 'ok' | 'failed' = 'ok'): void {
    const state = this.stages.get(stage);
    if (!state || units <= 0) return;
    state.startedAt ??= this.now();
    if (outcome === 'ok') state.done += units;
    else state.failed += units;
    if (state.done + state.failed > state.total) state.total = state.done + state.failed;
    this.render(stage);
  }

  /** A line printed above the bars (warnings, batch summaries). */
  log(line: string): void {
    if (this.stopped) return;
    // The line is drawn where a bar was: erase the rest of it, or the bar's tail shows through.
    for (const part of line.replace(/\n$/, '').split('\n')) this.multi.log(`${part}${ERASE_TO_END}\n`);
  }

  stop(): void {
    if (this.stopped) return;
    for (const key of this.stages.keys()) this.render(key);
    this.stopped = true;
    // Lines logged since the last redraw are only written by a redraw.
    this.multi.update();
    this.multi.stop();
  }

  private render(stage: string): void {
    const state = this.stages.get(stage);
    if (!state || this.stopped) return;
    const finished = state.done + state.failed;
    const elapsedS = state.startedAt === undefined ? 0 : (this.now() - state.startedAt) / 1000;
    const rate = elapsedS > 0 ? finished / elapsedS : 0;
    const remaining = state.total - finished;
    const eta = remaining === 0 && state.total > 0 ? 0 : rate > 0 ? remaining / rate : Number.NaN;
    const failed = state.failed > 0 ? `, ${state.failed} failed` : '';
    const line =
      `${finished}/${state.total} ${state.spec.unit}${failed}` +
      `  ${formatRate(rate)} ${state.spec.unit}/s  ETA ${formatEta(eta)}`;
    state.bar.setTotal(Math.max(state.total, 1));
    state.bar.update(finished, { line });
  }
}
