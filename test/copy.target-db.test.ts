/**
 * A copy needs the target database to settle lost create answers: one it cannot read stops
 * the copy before any run folder (exit 2, one line), and `--no-target-db` runs without it,
 * with a warning that `--quiet` does not hide and no DB address or password asked for. One
 * that is another instance's is found out at the first created scan, which is the only one the
 * run makes: every other create waits until that scan shows in the DB (exit 2, the run saved).
 * The right one passes that gate, and every scan is created once.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInstanceArgs, fileSetKeys, runCli, startCopyPair, type CopyPair } from './helpers/copy.js';
import { testEngines } from './helpers/databases.js';
import { startTestSandbox } from './helpers/sandbox.js';

describe.each(testEngines())('the target database of a copy, on $name', (engine) => {
  let pair: CopyPair;
  beforeAll(async () => {
    pair = await startCopyPair({ engine, scans: 3 });
  });
  afterAll(async () => pair?.close());

  const copyArgs = (target: string[], results: string, extra: string[] = []): string[] => [
    'copy', '--source-api', pair.source.apiUrl, '--source-db', pair.source.dbUrl, ...target,
    '--scans', pair.scanIds.join(','), '--target-store', String(pair.targetStoreId), '--results', results, ...extra,
  ];

  const targetScanIds = async (): Promise<number[]> =>
    (await pair.target.db.query<{ id: number }>('SELECT id FROM realograms_implementation_scan ORDER BY id')).map((r) => r.id);

  it('one that cannot be read stops the copy with exit 2 and one line, --quiet or not, making no run folder', async () => {
    const { env } = cliInstanceArgs(pair);
    const results = join(pair.resultsDir, 'unreadable');
    // Nothing listens on port 9 of the loopback.
    const target = ['--target-api', pair.target.apiUrl, '--target-db', 'postgres://nobody@127.0.0.1:9/none'];
    for (const quiet of [[], ['--quiet']]) {
      const run = await runCli(copyArgs(target, results, quiet), { cwd: pair.resultsDir, env });
      expect(run.code, run.stderr).toBe(2);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/refusing to copy: the target database of target cannot be read \(.+\): a create whose answer is lost could not be settled \(.*--no-target-db/);
      expect(await readdir(results).catch(() => [])).toEqual([]);
    }
  });

  it('--no-target-db copies without it, the warning shown even with --quiet, no DB URL or password needed', async () => {
    const { env } = cliInstanceArgs(pair);
    const { SCANCOPY_TARGET_DB_PASSWORD: _unused, ...withoutDbPassword } = env;
    const run = await runCli(copyArgs(['--target-api', pair.target.apiUrl, '--no-target-db'], join(pair.resultsDir, 'no-db'), ['--quiet']), { cwd: pair.resultsDir, env: withoutDbPassword });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('warning: copying without the target database (--no-target-db): a create whose answer is lost fails "outcome unknown" and is never repeated');
    expect(run.stdout).toContain('Created:  3');
    expect(run.stdout).toContain('Duplicates: not checked: no target database: duplicates cannot be looked for');
  });

  it('another instance\'s database is found out at the first created scan, the only one made: exit 2 within the horizon, the run saved', async () => {
    const other = await startTestSandbox({ engine });
    try {
      // It has the target store, so nothing looks wrong before the first create.
      await other.db.query("INSERT INTO master_data_implementation_store (id, name) VALUES ($1, 'Look-alike store')", [pair.targetStoreId]);
      const { env } = cliInstanceArgs(pair);
      const results = join(pair.resultsDir, 'wrong-db');
      const before = await targetScanIds();
      // Workers for every scan: only the gate keeps the other creates back.
      const run = await runCli(copyArgs(['--target-api', pair.target.apiUrl, '--target-db', other.dbUrl], results, ['--commit-horizon', '2s', '--create-workers', '3', '--allow-recopy']), { cwd: pair.resultsDir, env });
      expect(run.code, run.stdout).toBe(2);
      const made = (await targetScanIds()).filter((id) => !before.includes(id));
      expect(made).toHaveLength(1);
      expect(run.stderr).toContain(`does not show scan ${made[0]},`);
      expect(run.stderr).toMatch(/the target database does not show scan \d+, which the target API created 2 s ago with files [\d, ]+: it is not that API's database/);
      const [runDir] = await readdir(results);
      expect((await readdir(join(results, runDir as string))).some((n) => n.startsWith('checkpoint_'))).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('the right one passes the gate: every scan created once', async () => {
    const { env } = cliInstanceArgs(pair);
    const before = await targetScanIds();
    const run = await runCli(copyArgs(['--target-api', pair.target.apiUrl, '--target-db', pair.target.dbUrl], join(pair.resultsDir, 'right-db'), ['--create-workers', '3', '--allow-recopy']), { cwd: pair.resultsDir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Created:  3');
    const made = (await targetScanIds()).filter((id) => !before.includes(id));
    expect(made).toHaveLength(3);
    const sourceKeys = [...(await fileSetKeys(pair.source.db, { scanIds: pair.scanIds })).values()].sort();
    expect([...(await fileSetKeys(pair.target.db, { scanIds: made })).values()].sort()).toEqual(sourceKeys);
  });
});
