/**
 * The benchmark's RSS growth run (`npm run bench -- --rss-growth`) smoke-run on a tiny N: two
 * pipelined cloud copies, their memory sampled as their scans settle, and cloud.rss_growth
 * merged into an existing results file whose other figures stay as they were. Nothing here
 * asserts a speed or a size: those are the benchmark's to report.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CACHE_DIR } from '../bench/build.js';

const run = promisify(execFile);
// The suite's PostgreSQL when it has one, else an address none answers: the benchmark's sandboxes then embed PGlite.
const pgUrl = process.env.SCANCOPY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:1/postgres';
// Its own build of the children, so a benchmark running meanwhile keeps the modules it loads.
const buildDir = join(CACHE_DIR, `scancopy-bench-test-${randomBytes(4).toString('hex')}`);

afterAll(async () => {
  await rm(buildDir, { recursive: true, force: true });
});

describe.runIf(process.platform === 'linux')('the RSS growth run', () => {
  it('merges cloud.rss_growth and both copies\' memory into the results file, keeping its other figures', async () => {
    const work = await mkdtemp(join(tmpdir(), 'scancopy-rss-growth-'));
    try {
      const out = join(work, 'latest.json');
      await writeFile(out, JSON.stringify({ profile: 'quick', copy: { ratio_to_ideal: 1.3 }, cloud: { ratio_to_ideal: 1.9, scans: 200 } }));
      await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--rss-growth', '--cloud-scans', '10', '--growth-scans', '12', '--out', out], {
        cwd: resolve('.'),
        env: { ...process.env, SCANCOPY_BENCH_PG_URL: pgUrl, SCANCOPY_BENCH_BUILD_DIR: buildDir },
        timeout: 240_000,
      });
      const results = JSON.parse(await readFile(out, 'utf8')) as {
        profile: string;
        copy: unknown;
        cloud: { ratio_to_ideal: number; scans: number; rss_growth: number; rss_growth_runs: { scans: number[]; peak_rss_mb: number[]; runs: Array<{ created: number; memory: Array<{ scans: number; peakRssMb: number }> }> } };
      };
      expect(results.profile).toBe('quick');
      expect(results.copy).toEqual({ ratio_to_ideal: 1.3 });
      expect(results.cloud).toMatchObject({ ratio_to_ideal: 1.9, scans: 200 });
      const growth = results.cloud.rss_growth_runs;
      expect(growth.scans).toEqual([10, 12]);
      expect(growth.runs.map((r) => r.created)).toEqual([10, 12]);
      expect(growth.peak_rss_mb.every((mb) => mb > 0)).toBe(true);
      expect(results.cloud.rss_growth).toBeCloseTo((growth.peak_rss_mb[1] as number) / (growth.peak_rss_mb[0] as number) - 1, 2);
      // A sample per tenth of the scans, the last at the end of the copy.
      expect(growth.runs.map((r) => r.memory.map((m) => m.scans))).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 300_000);
});
