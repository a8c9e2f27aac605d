/**
 * How the command line starts: no arguments without a terminal prints help and exits 2
 * (the wizard needs someone to answer), help lists every command and the exit codes, bad
 * demo flags are usage errors, and `--log-format json` gives one JSON object per line
 * (--quiet and the terminal bars: cli.render.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../bin/scancopy');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'scancopy-cli-'));
});

afterAll(async () => {
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

function scancopy(args: string[]): Promise<Ran> {
  return new Promise((done) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

describe('scancopy without a terminal', () => {
  it('prints help and exits 2 when run with no arguments', async () => {
    const r = await scancopy([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: scancopy');
    expect(r.stderr).toContain('Guided workflow: run scancopy with no arguments on a terminal');
  });

  it('lists every command and the exit codes in --help', async () => {
    const r = await scancopy(['--help']);
    expect(r.code).toBe(0);
    for (const command of ['sandbox', 'find', 'download', 'analyze', 'copy', 'verify', 'demo', 'runs', 'config', 'completion']) expect(r.stdout).toMatch(new RegExp(`\\n  ${command} `));
    for (const code of ['0 ', '1 ', '2 ', '3 ', '4 ', '5 ', '130']) expect(r.stdout).toMatch(new RegExp(`\\n  ${code}`));
    expect(r.stdout).toContain('--log-format <format>');
  });

  it('prints bash and zsh completion scripts made from the commands and their options; bash completes with it', async () => {
    const bash = await scancopy(['completion', 'bash']);
    expect(bash.code, bash.stderr).toBe(0);
    const script = join(cwd, 'scancopy.bash');
    await writeFile(script, bash.stdout);
    const complete = (words: string[]): Promise<string> =>
      new Promise((done) => {
        const line = `source '${script}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _scancopy; echo "\${COMPREPLY[*]}"`;
        execFile('bash', ['-c', line], { encoding: 'utf8' }, (_err, stdout) => done(stdout.trim()));
      });
    expect(await complete(['scancopy', 'co'])).toBe('copy config completion');
    expect(await complete(['scancopy', 'copy', '--target-s'])).toBe('--target-store');
    expect(await complete(['scancopy', 'download', '--dry'])).toBe('--dry-run');
    expect(await complete(['scancopy', 'config', ''])).toMatch(/^path show /);
    expect(await complete(['scancopy', 'completion', ''])).toMatch(/^bash zsh /);
    expect(bash.stdout).not.toContain('--barrier');

    const zsh = await scancopy(['completion', 'zsh']);
    expect(zsh.code, zsh.stderr).toBe(0);
    expect(zsh.stdout.startsWith('#compdef scancopy\n')).toBe(true);
    expect(zsh.stdout).toContain("'copy:Copy scans from a source instance");
    expect(zsh.stdout).toContain("'--mode[auto\\: the target maps the scans itself");
    expect((await scancopy(['completion', 'fish'])).code).toBe(2);
  });

  it('shows the program-wide output options and the exit codes in each command help', async () => {
    const r = await scancopy(['download', '--help']);
    expect(r.stdout).toContain('--log-format <format>');
    expect(r.stdout).toContain('--quiet');
    expect(r.stdout).toContain('Exit codes: 0 done');
  });

  it('refuses bad demo flags as usage errors', async () => {
    const zero = await scancopy(['demo', '--scans', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--scans = "0": expected a positive whole number');
    const rate = await scancopy(['demo', '--mis-map', '2']);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain('--mis-map = "2": expected a rate from 0 to 1');
  });

  it('writes one JSON object per event with --log-format json, the result last', async () => {
    const json = await scancopy(['--log-format', 'json', 'demo', '--scans', '2', '--results', 'json-run']);
    expect(json.code).toBe(0);
    const events = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { ts: string; type: string; command?: string; html?: string });
    expect(events.every((e) => typeof e.ts === 'string' && typeof e.type === 'string')).toBe(true);
    const types = new Set(events.map((e) => e.type));
    for (const type of ['demo-step', 'copy-start', 'created', 'batch-complete', 'analyze-start', 'result']) expect(types).toContain(type);
    expect(events.at(-1)).toMatchObject({ type: 'result', command: 'demo', html: expect.stringMatching(/analysis_\d{8}_\d{6}\.html$/) });
  }, 120_000);
});
