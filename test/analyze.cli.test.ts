/**
 * `scancopy analyze` as a user runs it, in a subprocess against two sandboxes: the pairs from
 * a mapping file, the five files in a new run folder, the counts on stdout, exit code 1
 * because one source scan has no copy; and usage errors as one line with exit code 2.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/reports/csv.js';
import { copyAllScans } from './helpers/copy-demo.js';
import { startTestSandboxPair, type TestSandboxPair } from './helpers/sandbox.js';

const BIN = resolve(import.meta.dirname, '../bin/scancopy');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let cwd: string;
let pair: TestSandboxPair;
let mapping: Map<number, number>;
let env: Record<string, string>;

function scancopy(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'scancopy-analyze-cli-'));
  pair = await startTestSandboxPair({ scans: 8, target: { misMapRate: 0.25, processingDelayMs: 300 } });
  mapping = await copyAllScans(pair.source, pair.target, 'auto', 2);
  env = {
    SCANCOPY_SOURCE_API: pair.source.apiUrl,
    SCANCOPY_SOURCE_DB: pair.source.dbUrl,
    SCANCOPY_SOURCE_USERNAME: pair.source.username,
    SCANCOPY_SOURCE_PASSWORD: pair.source.password,
    SCANCOPY_SOURCE_DB_PASSWORD: '',
    SCANCOPY_TARGET_API: pair.target.apiUrl,
    SCANCOPY_TARGET_DB: pair.target.dbUrl,
    SCANCOPY_TARGET_USERNAME: pair.target.username,
    SCANCOPY_TARGET_PASSWORD: pair.target.password,
    SCANCOPY_TARGET_DB_PASSWORD: '',
  };
}, 120_000);

afterAll(async () => {
  await pair?.close();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('scancopy analyze', () => {
  it('analyses the pairs of a mapping file into a new run folder and exits 1 for the scan without copy', async () => {
    const ids = [...mapping.keys()].sort((a, b) => a - b);
    const lines = ids.map((id, i) => `${id},${i === 0 ? '' : mapping.get(id)}`);
    await writeFile(join(cwd, 'scan_mapping.csv'), `Source_Scan_ID,Target_Scan_ID\n${lines.join('\n')}\n`);
    const run = await scancopy(['analyze', '--source-api', pair.source.apiUrl, '--target-api', pair.target.apiUrl, '--mapping', 'scan_mapping.csv', '--results', 'out', '--wait', '1m']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^\[ANALYZE\] 8 pair\(s\); waiting up to 60 s for 7 copies/m);
    expect(run.stdout).toMatch(/^\[WAIT\] all copies settled after/m);
    // One row per source section of the scan without copy (the demo's first scan has two: one its images do not show).
    const [sections] = await pair.source.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM planograms_compliance_planogramcompliancereport r
         JOIN realograms_implementation_scan s ON s.active_realogram_id = r.realogram_id WHERE s.id = $1`,
      [ids[0]],
    );
    expect(run.stdout).toMatch(new RegExp(`^ {2}Target Scan Missing +${sections?.n}$`, 'm'));
    expect(run.stdout).toContain(`Copies missing for source scans: ${ids[0]}`);

    const [runDir] = await readdir(join(cwd, 'out'));
    expect(runDir).toMatch(/^run_\d{8}_\d{6}$/);
    const ts = (runDir as string).slice(4);
    expect((await readdir(join(cwd, 'out', runDir as string))).sort()).toEqual(
      [`analysis_${ts}.html`, `scans_${ts}.html`, `analysis_with_comments_${ts}.csv`, `analysis_with_comments_${ts}_highlighted.xlsx`, `source_scandetails_${ts}.csv`, `target_scandetails_${ts}.csv`].sort(),
    );
    const rows = await readCsv(join(cwd, 'out', runDir as string, `analysis_with_comments_${ts}.csv`));
    expect(new Set(rows.map((r) => r.source_scan_id))).toEqual(new Set(ids.map(String)));
    for (const row of rows) expect(row.comment === 'Target Scan Missing').toBe(row.source_scan_id === String(ids[0]));
  });

  it('pairs --source-scans with --target-scans, leaves images out with --no-thumbnails, and exits 0 when every copy is compared', async () => {
    const [a, b] = [...mapping.keys()].sort((x, y) => x - y);
    const run = await scancopy([
      'analyze', '--source-scans', `${a},${b}`, '--target-scans', `${mapping.get(a as number)},${mapping.get(b as number)}`,
      '--results', 'pairs-out', '--no-thumbnails',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Compared 2 pair\(s\) in \d+ row\(s\):$/m);
    expect(run.stdout).not.toContain('[IMAGES]');
    expect(run.stdout).toMatch(/^Rows whose copy's pre-POG % dropped by more than 0 points: \d+$/m);
    expect(run.stdout).not.toContain('Copies missing');
    expect(run.stdout.match(/^\[WRITE\] /gm)).toHaveLength(6);
  });

  it('makes the source thumbnails from a download folder given with --images instead of fetching them again', async () => {
    const [a, b] = [...mapping.keys()].sort((x, y) => x - y);
    const download = await scancopy(['download', '--scans', `${a},${b}`, '--out', 'images-dl']);
    expect(download.code).toBe(0);
    const run = await scancopy([
      'analyze', '--source-scans', `${a},${b}`, '--target-scans', `${mapping.get(a as number)},${mapping.get(b as number)}`,
      '--results', 'images-out', '--images', 'images-dl',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\[IMAGES\] source: 2 first images, \d+ at a time, \d+ files already on disk, at most 300 s$/m);
    expect(run.stdout).toMatch(/^\[IMAGES\] source: 2\/2 first images \(2 from disk\)$/m);
    expect(run.stdout).toMatch(/^\[IMAGES\] target: 2\/2 first images$/m);
  });

  it.each([
    [['--source-scans', '1,2', '--target-scans', '3'], /pair by position/],
    [['--source-scans', '1', '--target-scans', '3', '--wait', 'soon'], /--wait/],
    [['--source-scans', '1', '--target-scans', '3', '--thumbnail-time', 'a while'], /--thumbnail-time = "a while": expected a duration/],
    [['--source-scans', '1', '--target-scans', '3', '--pog-tolerance', '-2'], /--pog-tolerance = "-2": expected points of POG % from 0 to 100/],
    [[], /--mapping FILE, or --source-scans and --target-scans/],
    [['--mapping', 'missing.csv'], /cannot read the mapping file/],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const run = await scancopy(['analyze', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });
});
