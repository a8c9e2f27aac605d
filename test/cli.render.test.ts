import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { ScanCopyError } from '../src/core/errors.js';
import { registerSecret } from '../src/core/redact.js';
import { addOutputOptions, createEventRenderer, outputOptions, type EventView, type OutputStreams } from '../src/cli/render.js';
import { formatEta, formatRate } from '../src/cli/render/progress.js';

type Tick = { type: 'batch'; n: number } | { type: 'file'; stage: 'download' | 'upload' } | { type: 'failed'; error: Error };

const view: EventView<Tick> = {
  plain: (e) => (e.type === 'batch' ? `[BATCH ${e.n}] started` : e.type === 'failed' ? `failed: ${e.error.message}` : undefined),
  progress: {
    stages: [{ key: 'download', unit: 'files' }, { key: 'upload', unit: 'files' }],
    apply: (e, bars) => {
      if (e.type === 'batch') bars.grow('download', 2);
      if (e.type === 'file') bars.advance(e.stage);
      return e.type === 'file';
    },
  },
};

function streams(tty: boolean): OutputStreams & { out: () => string; err: () => string } {
  const collect = (s: PassThrough): (() => string) => {
    let text = '';
    s.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    return () => text;
  };
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: tty, columns: 120 });
  return { stdout, stderr, out: collect(stdout), err: collect(stderr) };
}

function parse(argv: string[], s: OutputStreams): ReturnType<typeof outputOptions> {
  let seen: ReturnType<typeof outputOptions> | undefined;
  const program = addOutputOptions(new Command('scancopy').exitOverride());
  program.addCommand(new Command('copy').action((_o, cmd: Command) => void (seen = outputOptions(cmd, s))));
  program.parse(argv, { from: 'user' });
  return seen!;
}

describe('output modes of a command', () => {
  it('reads --log-format and --quiet before or after the subcommand', () => {
    const s = streams(false);
    expect(parse(['copy'], s)).toEqual({ logFormat: 'text', quiet: false, tty: false });
    expect(parse(['--log-format', 'json', 'copy'], s)).toMatchObject({ logFormat: 'json' });
    expect(parse(['copy', '--quiet'], s)).toMatchObject({ quiet: true });
    expect(parse(['copy'], streams(true))).toMatchObject({ tty: true });
    expect(parse(['copy', '--quiet'], streams(true))).toMatchObject({ tty: false });
    expect(() => parse(['copy', '--log-format', 'xml'], s)).toThrow(/Allowed choices are text, json/);
  });

  it('prints the owner plain lines without a terminal, and the result', () => {
    const s = streams(false);
    const r = createEventRenderer({ logFormat: 'text', quiet: false, tty: false }, view, s);
    r.onEvent({ type: 'batch', n: 1 });
    r.onEvent({ type: 'file', stage: 'download' });
    r.result({ created: 1 }, ['Created: 1']);
    expect(s.out()).toBe('[BATCH 1] started\nCreated: 1\n');
  });

  it('writes one JSON object per event with errors spelled out and secrets redacted', () => {
    registerSecret('hunter2-secret');
    const s = streams(false);
    const r = createEventRenderer({ logFormat: 'json', quiet: false, tty: false }, view, s);
    r.onEvent({ type: 'batch', n: 1 });
    r.onEvent({ type: 'failed', error: new ScanCopyError('AUTH_FAILED', 'bad password hunter2-secret', { hint: 'check it' }) });
    r.result({ created: 0, password: 'x' }, ['ignored in JSON']);
    const lines = s.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ type: 'batch', n: 1 });
    expect(lines[1]).toMatchObject({ type: 'failed', error: { name: 'ScanCopyError', code: 'AUTH_FAILED', message: 'bad password ***', hint: 'check it' } });
    expect(lines[2]).toMatchObject({ type: 'result', created: 0, password: '***' });
    expect(typeof lines[0]!.ts).toBe('string');
    expect(s.out()).not.toContain('hunter2-secret');
  });

  it('keeps only the result when quiet', () => {
    const s = streams(false);
    const r = createEventRenderer({ logFormat: 'text', quiet: true, tty: false }, view, s);
    r.onEvent({ type: 'batch', n: 1 });
    r.note('a notice');
    r.result({}, ['done']);
    expect(s.out()).toBe('done\n');
  });

  it('draws bars on a terminal with counts, rate and ETA, and lines above them', () => {
    const s = streams(true);
    const r = createEventRenderer({ logFormat: 'text', quiet: false, tty: true }, view, s);
    r.onEvent({ type: 'batch', n: 1 });
    r.onEvent({ type: 'file', stage: 'download' });
    r.onEvent({ type: 'file', stage: 'download' });
    r.close();
    const screen = s.err();
    expect(screen).toContain('[BATCH 1] started');
    expect(screen).toMatch(/download .*2\/2 files .*files\/s {2}ETA 0s/);
    expect(screen).toMatch(/upload .*0\/0 files/);
    expect(s.out()).toBe('');
  });

  it('formats rates and ETAs for people', () => {
    expect([formatRate(0), formatRate(3.25), formatRate(42.4)]).toEqual(['-', '3.3', '42']);
    expect([formatEta(Number.NaN), formatEta(42), formatEta(185), formatEta(3720)]).toEqual(['-', '42s', '3m05s', '1h02m']);
  });
});
