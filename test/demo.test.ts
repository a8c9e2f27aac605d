/**
 * `scancopy demo` end to end as a user runs it (its default 60 scans): two embedded
 * sandboxes, a copy, the wait, the analysis showing every comment a copy that exists can get
 * (processing failures and a section missing in the copy included), every report file in one
 * run folder, and a closing line naming the HTML.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../bin/scancopy');

let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'scancopy-demo-'));
});

afterAll(async () => {
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

/** Every comment but those of a copy that is absent or still processing, which the demo never leaves. */
const SHOWN = [
  'Wrong POG Name Mapping', 'Same POG Name but Different Section', 'Target Has Additional Section (Source Does Not)',
  'Target Has Higher POG% Than Source', 'No Issues', 'Target Processing Failed', 'Section Missing in Target',
];

it('copies the demo scans, analyses them with every comment shown and leaves every report in one run folder', async () => {
  const { stdout } = await run(process.execPath, [BIN, 'demo', '--results', 'out'], { cwd, encoding: 'utf8' });
  const html = /Look first at the HTML report \(open it in a browser\): (\S+)/.exec(stdout)?.[1] as string;
  expect(html).toMatch(/analysis_\d{8}_\d{6}\.html$/);
  expect(existsSync(html)).toBe(true);
  expect(stdout).toMatch(/Created: {2}60/);
  expect(stdout).toContain('Compared 60 pair(s)');
  const counts = new Map([...stdout.matchAll(/^ {2}(\S.*?) {2,}(\d+)$/gm)].map((m) => [m[1] as string, Number(m[2])]));
  for (const comment of SHOWN) expect(counts.get(comment), comment).toBeGreaterThan(0);
  // The seed plan's one source section that no image shows: its copy has nothing to pair it with.
  expect(counts.get('Section Missing in Target')).toBe(1);
  expect([counts.get('Target Scan Missing'), counts.get('Target Not Processed')]).toEqual([0, 0]);

  const runs = await readdir(join(cwd, 'out'));
  expect(runs).toHaveLength(1);
  const ts = (runs[0] as string).replace('run_', '');
  const files = await readdir(join(cwd, 'out', runs[0] as string));
  for (const name of [
    `initial_scan_mapping_${ts}.csv`, `scan_mapping_updated_${ts}.csv`, `checkpoint_${ts}.json`, `failures_${ts}.csv`,
    `source_scandetails_${ts}.csv`, `target_scandetails_${ts}.csv`, `analysis_with_comments_${ts}.csv`,
    `analysis_with_comments_${ts}_highlighted.xlsx`, `analysis_${ts}.html`, 'events.ndjson',
  ]) {
    expect(files, name).toContain(name);
  }
  const analysis = await readFile(join(cwd, 'out', runs[0] as string, `analysis_with_comments_${ts}.csv`), 'utf8');
  expect(analysis.trim().split('\n').length).toBeGreaterThan(60);
}, 120_000);
