/**
 * Choosing between resume and restart, and the run's stops, through `./bin/scancopy copy`:
 * a non-interactive run that finds this job's checkpoint stops and says to choose; resuming
 * another job's run is refused with what differs; a corrupt checkpoint is a clear error and
 * nothing is deleted; --restart wants --yes without a terminal; SIGINT saves and exits 130,
 * --max-duration exits 5, and --resume then finishes with each scan created once; and one
 * process at a time runs a job. `scancopy runs` lists the runs with their state, and
 * `copy --resume RUN_DIR` alone continues a run from what its checkpoint recorded.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyScans } from '../src/workflows/copy.js';
import { censusByFileSets, cliInstanceArgs, runCli, startCopyPair, type CliRun, type CopyPair } from './helpers/copy.js';
import { filesUnder, secretsFound } from './helpers/wizard.js';

interface Json {
  type: string;
  [key: string]: unknown;
}

const events = (run: CliRun): Json[] => run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json);

describe('scancopy copy: resume, restart and stops', () => {
  let pair: CopyPair;
  let stores: number[];
  let base: (store: number, ...extra: string[]) => string[];
  let env: Record<string, string>;
  beforeAll(async () => {
    pair = await startCopyPair({ scans: 6 });
    stores = (await pair.target.db.query<{ id: number }>('SELECT id FROM master_data_implementation_store ORDER BY id LIMIT 4')).map((r) => r.id);
    const cli = cliInstanceArgs(pair);
    env = cli.env;
    base = (store, ...extra) => ['copy', ...cli.args, '--scans', pair.scanIds.join(','), '--target-store', String(store), '--results', pair.resultsDir, '--batch-size', '2', '--log-format', 'json', ...extra];
  });
  afterAll(async () => pair?.close());

  it('stops a non-interactive run that finds this job\'s checkpoint, refuses another job\'s, and leaves a corrupt one alone', async () => {
    const store = stores[0] as number;
    const first = await runCli(base(store), { cwd: pair.resultsDir, env });
    expect(first.code, first.stderr).toBe(0);
    const runDir = String(events(first)[0]?.runDir);

    const again = await runCli(base(store), { cwd: pair.resultsDir, env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('CHECKPOINT_EXISTS');
    expect(again.stderr).toContain('--resume');
    expect(again.stderr).toContain('--restart');

    const other = await runCli(base(stores[1] as number, '--resume', runDir), { cwd: pair.resultsDir, env });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('JOB_MISMATCH');
    expect(other.stderr).toContain(`target store ${store} (this run: ${stores[1]})`);

    const names = (await readdir(runDir)).sort();
    const checkpoint = join(runDir, names.find((n) => n.startsWith('checkpoint_')) as string);
    const text = await readFile(checkpoint, 'utf8');
    await writeFile(checkpoint, text.slice(0, text.length / 2));
    const corrupt = await runCli(base(store, '--resume'), { cwd: pair.resultsDir, env });
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toContain('CHECKPOINT_CORRUPT');
    expect(corrupt.stderr).toContain('Nothing was deleted');
    expect((await readdir(runDir)).sort()).toEqual(names);
    expect(await readFile(checkpoint, 'utf8')).toBe(text.slice(0, text.length / 2));
    await writeFile(checkpoint, text);
  });

  it('asks for --yes before --restart discards a checkpoint without a terminal, then starts over in a new folder', async () => {
    const store = stores[0] as number;
    const refused = await runCli(base(store, '--restart'), { cwd: pair.resultsDir, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const restarted = await runCli(base(store, '--restart', '--yes'), { cwd: pair.resultsDir, env });
    expect(restarted.code, restarted.stderr).toBe(0);
    // The ledger still knows the first run's copies: starting over copies none of them again.
    expect(events(restarted).at(-1)).toMatchObject({ type: 'result', created: 0, skipped: 6, resumed: false });
    const again = await runCli(base(store), { cwd: pair.resultsDir, env });
    expect(again.stderr).toContain(String(events(restarted)[0]?.runDir));
  });

  it('saves and exits 130 on SIGINT, and --resume finishes with each scan created once', async () => {
    const store = stores[2] as number;
    pair.target.setFaults('create:latency=400ms');
    let signalled = false;
    const interrupted = await runCli(base(store, '--create-workers', '1'), {
      cwd: pair.resultsDir,
      env,
      onStdout: (chunk, child) => {
        if (!signalled && chunk.includes('"type":"created"')) {
          signalled = true;
          child.kill('SIGINT');
        }
      },
    });
    pair.target.setFaults('');
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const result = events(interrupted).at(-1) as Json & { created: number; pending: number; stopped: string };
    expect(result).toMatchObject({ type: 'result', stopped: 'interrupted' });
    expect(result.pending).toBeGreaterThan(0);
    expect(events(interrupted).some((e) => e.type === 'stopping')).toBe(true);

    const resumed = await runCli(base(store, '--resume'), { cwd: pair.resultsDir, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, store)).toMatchObject({ duplicates: 0, missing: 0, targets: 6 });
  });

  it('lets one process at a time run a job', async () => {
    const store = stores[1] as number;
    pair.target.setFaults('create:latency=500ms');
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    const first = copyScans(pair.options({ targetStoreId: store }), { onEvent: (e) => e.type === 'copy-start' && started() });
    await running;
    const second = await copyScans(pair.options({ targetStoreId: store, resume: true })).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: 'JOB_LOCKED' });
    expect((second as Error).message).toContain(`another scancopy process (pid ${process.pid} on `);
    expect((second as Error).message).toMatch(/is running this job in .+; its lock: .+copy\.lock$/);
    await expect(first).resolves.toMatchObject({ created: 6 });
    pair.target.setFaults('');
  });

  it('stops at --max-duration with exit 5 and state saved', async () => {
    const store = stores[3] as number;
    pair.target.setFaults('create:latency=700ms');
    const stopped = await runCli(base(store, '--create-workers', '1', '--max-duration', '1s'), { cwd: pair.resultsDir, env });
    pair.target.setFaults('');
    expect(stopped.code, stopped.stderr).toBe(5);
    const result = events(stopped).at(-1) as Json & { files: { checkpoint: string } };
    expect(result).toMatchObject({ type: 'result', stopped: 'max-duration' });
    const checkpoint = JSON.parse(await readFile(result.files.checkpoint, 'utf8')) as { scan_mapping: unknown[]; job: { target_store: number } };
    expect(checkpoint.job.target_store).toBe(store);
    const resumed = await runCli(base(store, '--resume'), { cwd: pair.resultsDir, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, store)).toMatchObject({ duplicates: 0, missing: 0, targets: 6 });
  });

  it('lists an unfinished run with `scancopy runs`, and `copy --resume RUN_DIR` alone finishes it from what its checkpoint recorded', async () => {
    const store = stores[2] as number;
    const scans = pair.scanIds.slice(0, 4);
    const cli = cliInstanceArgs(pair);
    // The SIGINT test copied these scans into this store: a ledger of its own, or they would be skipped as already copied.
    const own = { ...env, SCANCOPY_LEDGER: join(pair.resultsDir, 'ledger-runs') };
    pair.target.setFaults('create:latency=700ms');
    const stopped = await runCli(['copy', ...cli.args, '--scans', scans.join(','), '--target-store', String(store), '--results', pair.resultsDir, '--batch-size', '2', '--create-workers', '1', '--max-duration', '1s', '--log-format', 'json'], { cwd: pair.resultsDir, env: own });
    pair.target.setFaults('');
    expect(stopped.code, stopped.stderr).toBe(5);
    const runDir = String((events(stopped).at(-1) as Json & { runDir: string }).runDir);

    const listed = await runCli(['runs', '--results', pair.resultsDir], { cwd: pair.resultsDir, env: {} });
    expect(listed.code, listed.stderr).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(basename(runDir))) ?? '';
    expect(line).toMatch(new RegExp(`^${basename(runDir)} +unfinished +source -> target store ${store} \\(auto\\) +\\d/4 done`));

    // No instance, scan, store or mode flag: all of it comes from the run folder; the secrets from the environment.
    const resumed = await runCli(['copy', '--resume', runDir, '--log-format', 'json'], { cwd: pair.resultsDir, env: own });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(events(resumed).at(-1)).toMatchObject({ type: 'result', runDir, resumed: true, scans: 4, created: 4, failed: 0, pending: 0 });

    const after = JSON.parse((await runCli(['runs', '--results', pair.resultsDir, '--json'], { cwd: pair.resultsDir, env: {} })).stdout) as Array<{ dir: string; state: string; instances: unknown }>;
    expect(after.find((r) => r.dir === runDir)).toMatchObject({
      state: 'finished',
      instances: { source: { name: 'source', api: pair.source.apiUrl, db: pair.source.dbUrl }, target: { name: 'target', api: pair.target.apiUrl, db: pair.target.dbUrl } },
    });
    for (const file of await filesUnder(runDir)) expect(secretsFound(await readFile(file, 'latin1'), [pair.source.password, pair.target.password]), file).toEqual([]);

    const old = await runCli(['copy', '--resume', join(pair.resultsDir, 'run_20000101_000000')], { cwd: pair.resultsDir, env });
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/run_20000101_000000/);
  });
});
