/**
 * One place decides how a workflow's events reach the user: live bars on a terminal, the
 * owners' plain lines (the seed's `[BATCH]` format) otherwise, one JSON object per event
 * with `--log-format json`, nothing but the result with `--quiet`. Commands describe their
 * events once (an EventView) and get an `onEvent` to hand to the workflow.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { redactText, redactValue } from '../core/redact.js';
import { StageProgress, type StageSpec } from './render/progress.js';

export type LogFormat = 'text' | 'json';

export interface OutputOptions {
  logFormat: LogFormat;
  quiet: boolean;
  /** Live bars are drawn only when stderr is a terminal (and not in JSON or quiet mode). */
  tty: boolean;
}

export interface OutputStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Where the bars go: the renderer hands this to an EventView's `progress.apply`. */
export interface ProgressSink {
  grow(stage: string, units: number): void;
  setTotal(stage: string, total: number): void;
  advance(stage: string, units?: number, outcome?: 'ok' | 'failed'): void;
}

/** Where a long run stands, for logs without a terminal: a line at milestones and on a clock. */
export interface StatusTracker<E> {
  /** Takes every event; returns a status line when the event is a milestone (a batch's end). */
  update(event: E): string | undefined;
  /** The line the clock prints, or nothing before the run has started or after it ended. */
  line(): string | undefined;
}

/** How often the status line is printed without a terminal. */
export const STATUS_EVERY_MS = 10_000;

export interface EventView<E> {
  /** A fresh status tracker per run, for output without a terminal. */
  status?: () => StatusTracker<E>;
  /** The plain lines for an event, as its owner's renderer prints them without a terminal. */
  plain(event: E): string | readonly string[] | undefined;
  /** How events move the live bars. */
  progress?: {
    stages: readonly StageSpec[];
    /** Updates the bars; returns true when the event is only a progress tick (no line above the bars). */
    apply(event: E, bars: ProgressSink): boolean;
  };
}

export interface EventRenderer<E> {
  onEvent: (event: E) => void;
  /** The command's result: lines in text mode, one `{"type":"result",...}` object in JSON mode. */
  result(data: Record<string, unknown>, lines: readonly string[]): void;
  /** A line for the user that is not an event (a notice, a path); stderr in JSON mode. */
  note(line: string): void;
  /** A warning the user must see whatever the output options: stderr, --quiet included. */
  warn(line: string): void;
  /** Stops the bars; call before printing anything else. */
  close(): void;
}

/**
 * Program-wide `--log-format` and `--quiet`. No defaults: commander lets a program's values
 * overwrite a subcommand's in optsWithGlobals, so only a flag actually given may be set.
 */
export function addOutputOptions(program: Command): Command {
  return program
    .addOption(
      new Option('--log-format <format>', 'text (bars on a terminal, plain lines otherwise) or json (one object per event on stdout)')
        .choices(['text', 'json']),
    )
    .option('-q, --quiet', 'no progress or per-batch lines; only the result and errors');
}

/** The global output options as any (sub)command sees them. */
export function outputOptions(cmd: Command, streams: OutputStreams = defaultStreams()): OutputOptions {
  const opts = cmd.optsWithGlobals<{ logFormat?: string; quiet?: boolean }>();
  const logFormat: LogFormat = opts.logFormat === 'json' ? 'json' : 'text';
  const quiet = opts.quiet === true;
  return { logFormat, quiet, tty: logFormat === 'text' && !quiet && streams.stderr.isTTY === true };
}

export function createEventRenderer<E>(out: OutputOptions, view: EventView<E>, streams: OutputStreams = defaultStreams()): EventRenderer<E> {
  const write = (stream: NodeJS.WritableStream, line: string): void => {
    stream.write(`${redactText(line)}\n`);
  };
  const lines = (event: E): readonly string[] => {
    const plain = view.plain(event);
    return plain === undefined ? [] : typeof plain === 'string' ? [plain] : plain;
  };

  if (out.logFormat === 'json') {
    return {
      onEvent: (event) => streams.stdout.write(jsonLine(toObject(event))),
      result: (data) => streams.stdout.write(jsonLine({ type: 'result', ...data })),
      note: (line) => write(streams.stderr, line),
      warn: (line) => write(streams.stderr, line),
      close: () => undefined,
    };
  }
  const textResult = (_data: Record<string, unknown>, resultLines: readonly string[]): void => {
    for (const line of resultLines) write(streams.stdout, line);
  };
  if (out.quiet) {
    return { onEvent: () => undefined, result: textResult, note: () => undefined, warn: (line) => write(streams.stderr, line), close: () => undefined };
  }
  if (!out.tty || !view.progress) {
    const status = view.status?.();
    const clock = status
      ? setInterval(() => {
          const line = status.line();
          if (line !== undefined) write(streams.stdout, line);
        }, STATUS_EVERY_MS)
      : undefined;
    clock?.unref();
    return {
      onEvent: (event) => {
        for (const line of lines(event)) write(streams.stdout, line);
        const milestone = status?.update(event);
        if (milestone !== undefined) write(streams.stdout, milestone);
      },
      result: (data, resultLines) => {
        clearInterval(clock);
        textResult(data, resultLines);
      },
      note: (line) => write(streams.stdout, line),
      warn: (line) => write(streams.stderr, line),
      close: () => clearInterval(clock),
    };
  }

  const progress = view.progress;
  let bars: StageProgress | undefined;
  const ensureBars = (): StageProgress => (bars ??= new StageProgress(streams.stderr, progress.stages));
  const close = (): void => {
    bars?.stop();
    bars = undefined;
  };
  return {
    onEvent: (event) => {
      const live = ensureBars();
      if (progress.apply(event, live)) return;
      for (const line of lines(event)) live.log(redactText(line));
    },
    result: (data, resultLines) => {
      close();
      textResult(data, resultLines);
    },
    note: (line) => (bars ? bars.log(redactText(line)) : write(streams.stdout, line)),
    warn: (line) => (bars ? bars.log(redactText(line)) : write(streams.stderr, line)),
    close,
  };
}

/** One NDJSON line: errors as {name, code, message}, secrets redacted. */
export function jsonLine(event: Record<string, unknown>): string {
  const plain: unknown = JSON.parse(JSON.stringify({ ts: new Date().toISOString(), ...event }, errorsAsObjects));
  return `${JSON.stringify(redactValue(plain))}\n`;
}

function errorsAsObjects(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const { code, hint, context } = value as Error & { code?: unknown; hint?: unknown; context?: unknown };
  return { name: value.name, code, message: value.message, hint, context };
}

function toObject(event: unknown): Record<string, unknown> {
  return event && typeof event === 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : { event };
}

function defaultStreams(): OutputStreams {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** A retry of an API call, as one line with its reason and its wait (the JSON log has the workflow's events only). */
export interface RetryNote {
  type: string;
  instance?: string;
  call?: string;
  attempt?: number;
  delayMs?: number;
  code?: string;
  status?: number;
  message?: string;
}

export function noteRetry(renderer: Pick<EventRenderer<unknown>, 'note'>, e: RetryNote): void {
  if (e.type !== 'retry') return;
  const status = e.status === undefined ? '' : ` (HTTP ${e.status})`;
  renderer.note(`[RETRY] ${e.instance} ${e.call}: ${e.code}${status}: ${e.message}; waiting ${((e.delayMs ?? 0) / 1000).toFixed(1)} s before attempt ${(e.attempt ?? 0) + 1}`);
}
