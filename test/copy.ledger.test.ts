/**
 * One job however it is started: the job's identity comes from the instances' databases, its
 * run folders and copies are in a ledger outside any results folder (a local folder on
 * PGlite runs, a shared PostgreSQL ledger on PostgreSQL runs), and its lock is taken before
 * any folder is made. Re-running a finished job with other URL spellings or another results
 * folder, two copies started together, and a kill -9 followed by a run from another folder
 * all leave exactly one target scan per source scan (counted by file contents).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentHolder } from '../src/core/process-lock.js';
import { testEngines } from './helpers/databases.js';
import { censusByFileSets, cliInstanceArgs, runCli, startCopyPair, type CliRun, type CopyPair } from './helpers/copy.js';

interface Result {
  type: 'result';
  runDir: string;
  resumed: boolean;
  created: number;
  skipped: number;
  failed: number;
  failures: Array<{ scanId: number; code: string; reason: string }>;
}

/** The same address spelt another way: `127.0.0.1` as `127.1` or `localhost`. */
function respell(url: string, host: '127.1' | 'localhost'): string {
  return url.replace('127.0.0.1', host);
}

function resultOf(run: CliRun): Result {
  return JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as Result;
}

describe.each(testEngines())('one copy job however it is started, on $name', (engine) => {
  let pair: CopyPair;
  let ledger: string;
  let stores: number[];
  let work: string;
  const pgLedger = engine.name === 'postgres';

  beforeAll(async () => {
    pair = await startCopyPair({ engine, scans: 8 });
    work = await mkdtemp(join(tmpdir(), 'scancopy-ledger-'));
    ledger = pgLedger ? await engine.create() : join(work, 'state');
    const rows = await pair.target.db.query<{ id: number }>('SELECT id FROM master_data_implementation_store ORDER BY id');
    stores = rows.map((r) => r.id);
    while (stores.length < 7) {
      const [added] = await pair.target.db.query<{ id: number }>("INSERT INTO master_data_implementation_store (name) VALUES ('Ledger test store') RETURNING id");
      stores.push((added as { id: number }).id);
    }
  });
  afterAll(async () => {
    await pair?.close();
    if (pgLedger && ledger) await engine.drop(ledger);
  });

  /** `scancopy copy` of `scans` into `store`, from `results`, the addresses spelt with `host`. */
  function copy(store: number, results: string, opts: { host?: '127.1' | 'localhost'; scans?: number[]; extra?: string[]; env?: Record<string, string> } = {}): Promise<CliRun> {
    const { env } = cliInstanceArgs(pair);
    const at = (url: string): string => (opts.host ? respell(url, opts.host) : url);
    const args = [
      'copy', '--source-api', at(pair.source.apiUrl), '--source-db', at(pair.source.dbUrl), '--target-api', at(pair.target.apiUrl), '--target-db', at(pair.target.dbUrl),
      '--scans', (opts.scans ?? pair.scanIds).join(','), '--target-store', String(store), '--results', results, '--log-format', 'json', '--commit-horizon', '2s',
      ...(opts.extra ?? []),
    ];
    // The ledger comes from the environment here (--ledger is the same setting as a flag).
    return runCli(args, { cwd: work, env: { ...env, SCANCOPY_LEDGER: ledger, ...opts.env } });
  }

  async function targetCount(store: number): Promise<{ targets: number; duplicates: number; missing: number }> {
    const census = await censusByFileSets(pair.source.db, pair.target.db, pair.scanIds, store);
    return { targets: census.targets, duplicates: census.duplicates, missing: census.missing };
  }

  it('a finished job started again with other URL spellings or from another results folder copies nothing again', async () => {
    const store = stores[0] as number;
    const first = await copy(store, join(work, 'r1'));
    expect(first.code, first.stderr).toBe(0);
    const done = resultOf(first);
    expect(done).toMatchObject({ created: 8, failed: 0 });

    // Another spelling of every address, another results folder: the same job, found through the ledger.
    const again = await copy(store, join(work, 'r2'), { host: '127.1' });
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toContain(`this job has a checkpoint in ${done.runDir}`);
    expect(await readdir(join(work, 'r2')).catch(() => [])).toEqual([]);

    const resumed = await copy(store, join(work, 'r2'), { host: 'localhost', extra: ['--resume'] });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resultOf(resumed)).toMatchObject({ runDir: done.runDir, resumed: true, created: 8 });

    // Starting over discards the checkpoint, not what the ledger knows is on the target.
    const restarted = await copy(store, join(work, 'r2'), { host: '127.1', extra: ['--restart', '--yes'] });
    expect(restarted.code, restarted.stderr).toBe(0);
    const fresh = resultOf(restarted);
    expect(fresh).toMatchObject({ created: 0, skipped: 8, failed: 0 });
    expect(fresh.failures.every((f) => f.code === 'ALREADY_COPIED' && f.reason.startsWith(`already copied in run ${done.runDir} (target scan `))).toBe(true);
    expect(await targetCount(store)).toEqual({ targets: 8, duplicates: 0, missing: 0 });
  });

  it('another job skips the scans already copied into the store, unless --allow-recopy', async () => {
    const store = stores[1] as number;
    const firstHalf = pair.scanIds.slice(0, 4);
    const half = await copy(store, join(work, 'r3'), { scans: firstHalf });
    expect(half.code, half.stderr).toBe(0);

    const all = await copy(store, join(work, 'r4'), { host: 'localhost' });
    expect(all.code, all.stderr).toBe(0);
    const result = resultOf(all);
    expect(result).toMatchObject({ created: 4, skipped: 4 });
    expect(result.failures.map((f) => f.scanId).sort((a, b) => a - b)).toEqual(firstHalf);
    expect(all.stdout).toContain('already copied in run');
    expect(await targetCount(store)).toEqual({ targets: 8, duplicates: 0, missing: 0 });

    const recopy = await copy(store, join(work, 'r5'), { scans: firstHalf.slice(0, 1), extra: ['--allow-recopy'] });
    // Asked for: a second copy made from fresh uploads, which the ledger records too.
    expect(recopy.code, recopy.stderr).toBe(0);
    expect(resultOf(recopy)).toMatchObject({ created: 1, skipped: 0 });
    expect((await targetCount(store)).duplicates).toBe(1);
  });

  it('--resume with nothing to resume stops with exit 2 and one line, making no run folder', async () => {
    const results = join(work, 'r6');
    const run = await copy(stores[2] as number, results, { extra: ['--resume'] });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('nothing to resume: this job has no checkpoint under');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(await readdir(results).catch(() => [])).toEqual([]);
    expect(run.stdout).not.toContain('copy-start');
  });

  it('two copies of one job started together create each scan once', async () => {
    for (const store of [stores[3] as number, stores[4] as number]) {
      const runs = await Promise.all([copy(store, join(work, `c${store}a`)), copy(store, join(work, `c${store}b`), { host: '127.1' })]);
      const codes = runs.map((r) => r.code).sort();
      expect(codes, runs.map((r) => r.stderr).join('\n')).toEqual([0, 2]);
      const loser = runs.find((r) => r.code === 2) as CliRun;
      expect(loser.stderr).toMatch(/already running in another scancopy process \(pid \d+ on .+\); its lock: |this job has a checkpoint in /);
      expect(await targetCount(store)).toEqual({ targets: 8, duplicates: 0, missing: 0 });
    }
  });

  it('a kill -9 mid-run, then runs from another results folder: each scan once', async () => {
    const store = stores[5] as number;
    // One create at a time: the kill comes after the 5th create was answered, before its journal line.
    const seven = pair.scanIds.slice(0, 7);
    const killed = await copy(store, join(work, 'k1'), { scans: seven, extra: ['--create-workers', '1'], env: { SCANCOPY_CRASH_AT: 'after-create:5' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const runDir = (JSON.parse(killed.stdout.split('\n')[0] as string) as { runDir: string }).runDir;

    // A job of other scans overlapping it reads the killed run's journal: what it created is
    // skipped, the create it left in doubt is not repeated.
    const overlap = await copy(store, join(work, 'k2'));
    expect(overlap.code, overlap.stderr.slice(-3000)).toBe(1);
    const o = resultOf(overlap);
    expect(o).toMatchObject({ created: 3, skipped: 4, failed: 1 });
    expect(o.failures.find((f) => f.code === 'OUTCOME_UNKNOWN')?.reason).toContain(`resume that run first (--resume ${runDir})`);
    expect((await targetCount(store)).duplicates).toBe(0);

    const plain = await copy(store, join(work, 'k3'), { scans: seven, host: 'localhost' });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain(`this job has a checkpoint in ${runDir}`);

    // Its own run settles the create in doubt; what the other job made since is skipped.
    const resumed = await copy(store, join(work, 'k3'), { scans: seven, host: 'localhost', extra: ['--resume'] });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resultOf(resumed)).toMatchObject({ runDir, resumed: true, failed: 0 });
    expect(await targetCount(store)).toEqual({ targets: 8, duplicates: 0, missing: 0 });
  });

  it.runIf(!pgLedger)('a job lock held by a live process is refused naming it; one whose pid was reused is taken over', async () => {
    const store = stores[0] as number;
    // The first test's --restart left the job's checkpoint in r2.
    const checkpoint = (await readdir(join(work, 'r2'))).map((d) => join(work, 'r2', d))[0] as string;
    const name = (await readdir(checkpoint)).find((n) => n.startsWith('checkpoint_')) as string;
    const fingerprint = (JSON.parse(await readFile(join(checkpoint, name), 'utf8')) as { job: { fingerprint: string } }).job.fingerprint;
    const lock = join(ledger, 'locks', `job-${fingerprint.slice(0, 32)}.lock`);
    await mkdir(join(ledger, 'locks'), { recursive: true });

    // This test process is alive: its lock holds.
    const live = currentHolder();
    await writeFile(lock, JSON.stringify(live));
    const refused = await copy(store, join(work, 'r2'), { extra: ['--resume'] });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`pid ${process.pid} on `);
    expect(refused.stderr).toContain(`its lock: ${lock}`);

    // The same pid with another start time is another process: the holder is gone.
    await writeFile(lock, JSON.stringify({ ...live, startTime: '1' }));
    const taken = await copy(store, join(work, 'r2'), { extra: ['--resume'] });
    expect(taken.code, taken.stderr).toBe(0);
    expect(await readdir(join(ledger, 'locks'))).toEqual([]);
  });

  it('a target that is the source instance, however spelt, is refused without --allow-same-instance', async () => {
    const { env } = cliInstanceArgs(pair);
    const results = join(work, 's1');
    const args = (extra: string[]): string[] => [
      'copy', '--source-api', pair.source.apiUrl, '--source-db', pair.source.dbUrl, '--target-api', respell(pair.source.apiUrl, '127.1'), '--target-db', respell(pair.source.dbUrl, 'localhost'),
      '--scans', String(pair.scanIds[0]), '--target-store', '1', '--results', results, '--log-format', 'json', ...extra,
    ];
    const same = await runCli(args([]), { cwd: work, env: { ...env, SCANCOPY_TARGET_USERNAME: pair.source.username, SCANCOPY_TARGET_PASSWORD: pair.source.password, SCANCOPY_LEDGER: ledger } });
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/the source and the target are the same instance \(pg:\d+\/[\w]+\)/);
    expect(same.stderr.trim().split('\n')).toHaveLength(1);
    expect(await readdir(results).catch(() => [])).toEqual([]);

    const allowed = await runCli(args(['--allow-same-instance']), { cwd: work, env: { ...env, SCANCOPY_TARGET_USERNAME: pair.source.username, SCANCOPY_TARGET_PASSWORD: pair.source.password, SCANCOPY_LEDGER: ledger } });
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(resultOf(allowed)).toMatchObject({ created: 1 });
  });

  it('`scancopy runs` lists the runs the ledger knows in other results folders, and a deleted one as gone with its copies', async () => {
    const store = stores[6] as number;
    const kept = await copy(store, join(work, 'runs-a'), { scans: pair.scanIds.slice(0, 3) });
    const deleted = await copy(store, join(work, 'runs-b'), { scans: pair.scanIds.slice(3, 5) });
    expect([kept.code, deleted.code], kept.stderr + deleted.stderr).toEqual([0, 0]);
    const keptDir = resultOf(kept).runDir;
    const deletedDir = resultOf(deleted).runDir;
    await rm(deletedDir, { recursive: true });

    const listed = await runCli(['runs', '--results', join(work, 'runs-c')], { cwd: work, env: { SCANCOPY_LEDGER: ledger } });
    expect(listed.code, listed.stderr).toBe(0);
    // Runs outside the results folder are named by their whole path: two folders may hold a run_<ts> of the same second.
    const lineOf = (dir: string): string => listed.stdout.split('\n').find((l) => l.startsWith(`${dir} `)) ?? '';
    expect(lineOf(keptDir)).toMatch(new RegExp(` +finished +source -> target store ${store} \\(auto\\) +3/3 done`));
    expect(lineOf(deletedDir)).toMatch(new RegExp(` +gone +pg:.+ -> pg:.+ store ${store} +2 copied`));
    expect(listed.stderr).toMatch(/^0 run\(s\) in .+runs-c, \d+ elsewhere \(from the ledger .+\)$/m);

    const json = JSON.parse((await runCli(['runs', '--results', join(work, 'runs-a'), '--json'], { cwd: work, env: { SCANCOPY_LEDGER: ledger } })).stdout) as Array<{ dir: string; state: string; recorded?: unknown }>;
    expect(json.find((r) => r.dir === keptDir)).toMatchObject({ state: 'finished' });
    expect(json.find((r) => r.dir === deletedDir)).toMatchObject({ state: 'gone', recorded: { targetStore: store, copies: 2, finished: true } });

    // A ledger never written is not created by listing: only the results folder's runs show.
    const unwritten = join(work, 'no-ledger-yet');
    const alone = await runCli(['runs', '--results', join(work, 'runs-a'), '--ledger', unwritten], { cwd: work, env: {} });
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stdout.trim().split('\n').slice(1).map((l) => l.split(' ')[0])).toEqual([basename(keptDir)]);
    expect(await readdir(unwritten).catch(() => 'absent')).toBe('absent');
  });
});
