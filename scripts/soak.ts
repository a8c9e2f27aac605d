/**
 * `npm run soak`: exactly-once under faults and kills. 300 demo scans are copied between two
 * sandboxes that fail on every call (10 % 5xx, 5 % connection resets, 5 % truncated file
 * content, 10 % of creates carried out but answered 502, 15 % answered 504 at once and
 * committed 3 s later), by `./bin/scancopy copy` processes
 * of which three are SIGKILLed at random moments and resumed. Then the target's scans are
 * counted by the contents of their files (0 duplicates, 0 missing), the copy is verified,
 * and the figures are printed.
 *
 * Env: SOAK_SCANS (300), SOAK_SEED (random; printed, to replay the kill points),
 * SCANCOPY_TEST_PG_URL (sandboxes on that PostgreSQL instead of embedded PGlite).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { Db } from '../src/platform/db.js';
import { createRandom } from '../src/sandbox/random.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/sandbox.js';

const SCANS = Number(process.env.SOAK_SCANS ?? 300);
const SEED = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 1e9));
const KILLS = 3;
const FIVE_XX = '*:502=0.04,*:503=0.03,*:504=0.03';
const SOURCE_FAULTS = `${FIVE_XX},*:reset=0.05,content:truncate=0.05`;
const TARGET_FAULTS = `${FIVE_XX},*:reset=0.05,create:lost=0.1,create:late=0.15`;
/** The sandbox's late commits land 3 s after their 504; the horizon leaves room for a loaded machine. */
const LATE_MS = 3000;
const COMMIT_HORIZON = '15s';
const BIN = resolve('bin/scancopy');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  created: number;
  stderr: string;
  result?: Record<string, unknown>;
}

const log = (line: string): void => {
  process.stdout.write(`[soak] ${line}\n`);
};

async function main(): Promise<number> {
  const started = Date.now();
  const random = createRandom(SEED);
  log(`seed ${SEED}: ${SCANS} scans, ${KILLS} kills; source faults ${SOURCE_FAULTS}; target faults ${TARGET_FAULTS}`);
  const databases = await freshDatabases();
  const [source, target] = await Promise.all([
    startSandbox({ db: databases.urls[0], seedDemo: { scans: SCANS, seed: 1 }, processingDelayMs: 600_000, faultSeed: SEED }),
    startSandbox({ db: databases.urls[1], seedDemo: { scans: 0, seed: 1 }, processingDelayMs: 600_000, faultSeed: SEED + 1, lateMs: LATE_MS }),
  ]);
  try {
    const scanIds = (await source.db.query<{ id: number }>('SELECT id FROM realograms_implementation_scan ORDER BY id')).map((r) => r.id);
    const [store] = await target.db.query<{ id: number }>('SELECT min(id) AS id FROM master_data_implementation_store');
    const results = await mkdtemp(join(tmpdir(), 'scancopy-soak-'));
    const cli = cliOf(source, target, results);
    const copyArgs = ['copy', ...cli.args, '--scans', scanIds.join(','), '--target-store', String(store?.id), '--results', results, '--log-format', 'json', '--commit-horizon', COMMIT_HORIZON];
    log(`seeded in ${seconds(Date.now() - started)}; results in ${results}`);
    source.setFaults(SOURCE_FAULTS);
    target.setFaults(TARGET_FAULTS);

    // Each kill lands after a random share of the scans left is created, plus a random delay: anywhere in the pipeline.
    const runs: Run[] = [];
    let created = 0;
    for (let i = 0; i < KILLS; i++) {
      const killAt = random.int(1, Math.max(1, Math.floor((SCANS - created) * 0.6)));
      const delayMs = random.int(0, 400);
      const run = await copyProcess([...copyArgs, ...(i > 0 ? ['--resume'] : [])], cli.env, { killAt, delayMs });
      runs.push(run);
      created += run.created;
      log(`run ${runs.length}: ${run.signal === 'SIGKILL' ? `SIGKILLed ${delayMs} ms after it had created ${killAt} scan(s)` : `ended with exit ${run.code}`} (${created} created so far)`);
    }
    for (let extra = 0; extra < 5; extra++) {
      const run = await copyProcess([...copyArgs, '--resume'], cli.env, {});
      runs.push(run);
      log(`run ${runs.length}: exit ${run.code}: ${JSON.stringify(pick(run.result, ['created', 'skipped', 'failed', 'pending']))}`);
      if (run.code === 0) break;
    }
    const final = runs.at(-1)?.result as { files?: { mapping: string; events: string }; created?: number; failed?: number } | undefined;
    source.setFaults('');
    target.setFaults('');
    // A late create still pending would land after the count: let every one land first.
    await target.waitForDeferredWork();

    const census = await censusByFileSets(source.db, target.db, scanIds);
    const events = await eventCounts(join(String(final?.files?.mapping ?? ''), '..', 'events.ndjson'));
    const verify = await runVerify(cli, final?.files?.mapping);
    const figures = {
      seed: SEED,
      scans: SCANS,
      files: census.sourceFiles,
      runs: runs.length,
      kills: runs.filter((r) => r.signal === 'SIGKILL').length,
      created: final?.created,
      failed: final?.failed,
      target_scans: census.targets,
      duplicates: census.duplicates,
      missing: census.missing,
      adopted_after_lost_answer: events.reconciledFound,
      lost_answers_recreated: events.reconciledAbsent,
      batch_retries: events.batchRetries,
      verify: verify.code === 0 ? 'passed' : `failed (exit ${verify.code})`,
      verify_summary: verify.summary,
      wall_s: Number(((Date.now() - started) / 1000).toFixed(1)),
    };
    log('figures:');
    for (const [k, v] of Object.entries(figures)) log(`  ${k.padEnd(26)} ${String(v)}`);
    process.stdout.write(`${JSON.stringify({ soak: figures })}\n`);
    return census.duplicates === 0 && census.missing === 0 && verify.code === 0 && figures.kills === KILLS ? 0 : 1;
  } finally {
    await Promise.all([source.close(), target.close()]);
    await databases.drop();
  }
}

/** Runs one copy process; with `killAt`, SIGKILLs it `delayMs` after that many `created` events. */
function copyProcess(args: string[], env: Record<string, string>, kill: { killAt?: number; delayMs?: number }): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let created = 0;
    let buffer = '';
    let stderr = '';
    let result: Record<string, unknown> | undefined;
    let armed = kill.killAt !== undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line) as { type: string };
        if (event.type === 'created') created += 1;
        if (event.type === 'result') result = event as Record<string, unknown>;
        if (armed && created >= (kill.killAt as number)) {
          armed = false;
          setTimeout(() => child.kill('SIGKILL'), kill.delayMs ?? 0);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, created, stderr, result }));
  });
}

function cliOf(source: RunningSandbox, target: RunningSandbox, cwd: string): { args: string[]; env: Record<string, string>; cwd: string } {
  return {
    cwd,
    args: ['--source-api', source.apiUrl, '--source-db', source.dbUrl, '--target-api', target.apiUrl, '--target-db', target.dbUrl],
    env: {
      HOME: cwd,
      SCANCOPY_SOURCE_USERNAME: source.username,
      SCANCOPY_SOURCE_PASSWORD: source.password,
      SCANCOPY_SOURCE_DB_PASSWORD: '',
      SCANCOPY_TARGET_USERNAME: target.username,
      SCANCOPY_TARGET_PASSWORD: target.password,
      SCANCOPY_TARGET_DB_PASSWORD: '',
    },
  };
}

async function runVerify(cli: ReturnType<typeof cliOf>, mapping: string | undefined): Promise<{ code: number | null; summary: string }> {
  if (!mapping) return { code: null, summary: 'no mapping: the copy did not finish' };
  const child = spawn(process.execPath, [BIN, 'verify', ...cli.args, '--mapping', mapping], { env: { PATH: process.env.PATH ?? '', ...cli.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { code, summary: out.split('\n').find((l) => l.startsWith('Verified')) ?? out.trim().split('\n').slice(-3).join(' | ') };
}

/** Target scans grouped by the sorted sha256 of their files, against the source scans' groups. */
async function censusByFileSets(source: Db, target: Db, scanIds: number[]): Promise<{ sourceFiles: number; targets: number; duplicates: number; missing: number }> {
  const keys = async (db: Db, ids: number[] | null): Promise<{ keys: Map<string, number>; scans: number; files: number }> => {
    const rows = await db.query<{ key: string; n: number }>(
      `SELECT string_agg(f.sha256, ',' ORDER BY f.sha256) AS key, count(*)::int AS n
         FROM realograms_implementation_scanfile sf JOIN sandbox_fileupload f ON f.id = sf.file_id
        WHERE $1::bigint[] IS NULL OR sf.scan_id = ANY($1::bigint[])
        GROUP BY sf.scan_id`,
      [ids],
    );
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
    return { keys: counts, scans: rows.length, files: rows.reduce((s, r) => s + r.n, 0) };
  };
  const want = await keys(source, scanIds);
  const have = await keys(target, null);
  let duplicates = 0;
  let missing = 0;
  for (const [key, n] of want.keys) {
    const got = have.keys.get(key) ?? 0;
    duplicates += Math.max(0, got - n);
    missing += Math.max(0, n - got);
  }
  for (const [key, got] of have.keys) if (!want.keys.has(key)) duplicates += got;
  return { sourceFiles: want.files, targets: have.scans, duplicates, missing };
}

async function eventCounts(path: string): Promise<{ reconciledFound: number; reconciledAbsent: number; batchRetries: number }> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const counts = { reconciledFound: 0, reconciledAbsent: 0, batchRetries: 0 };
  for (const line of text.split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { type: string; targetScanId?: number | null };
    if (e.type === 'reconciled') counts[e.targetScanId === null ? 'reconciledAbsent' : 'reconciledFound'] += 1;
    if (e.type === 'batch-retry') counts.batchRetries += 1;
  }
  return counts;
}

/** Two empty databases on SCANCOPY_TEST_PG_URL's server, or none (embedded PGlite). */
async function freshDatabases(): Promise<{ urls: Array<string | undefined>; drop(): Promise<void> }> {
  const admin = process.env.SCANCOPY_TEST_PG_URL;
  if (!admin) return { urls: [undefined, undefined], drop: async () => undefined };
  const names = [`scancopy_soak_${SEED}_s`, `scancopy_soak_${SEED}_t`];
  const run = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  for (const name of names) await run(`CREATE DATABASE ${name}`);
  const urlOf = (name: string): string => {
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return url.toString();
  };
  return { urls: names.map(urlOf), drop: async () => Promise.all(names.map((n) => run(`DROP DATABASE IF EXISTS ${n} WITH (FORCE)`))).then(() => undefined) };
}

function pick(obj: Record<string, unknown> | undefined, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, obj?.[k]]));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

process.exitCode = await main();
