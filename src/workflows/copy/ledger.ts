/**
 * The ledger: what has been copied where (source instance + source scan -> target instance +
 * target store + target scan, and the run that made it), and every run folder of every job,
 * outside any one run folder, so a job started again from another folder, with another URL
 * spelling, or at the same instant by a second process finds what was done.
 *
 * Local (the default, a folder in the user's state directory): an embedded SQLite database
 * file (core/sqlite-file), used for one short transaction at a time under a lock file beside
 * it (core/process-lock): several scancopy processes take turns, none holds it while copying.
 * Job locks are lock files in `locks/` beside it, held for the whole run. The SQL below is
 * what SQLite and PostgreSQL both run (no casts, no arrays), so the two ledgers share it.
 *
 * Shared (`--ledger postgres://...`, for a team): every use is a transaction that first takes
 * a transaction-level advisory lock, so the same reads and writes are serialised the same
 * way; a job lock is a session-level advisory lock on a connection of its own, released by
 * the server when the process dies, plus a row naming its holder for the refusal message.
 */
import { access, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ScanCopyError } from '../../core/errors.js';
import { currentHolder, describeHolder, tryLock, type LockHolder } from '../../core/process-lock.js';
import { sleep } from '../../core/sleep.js';
import { withSqliteFile } from '../../core/sqlite-file.js';
import { isPostgresUrl, openDb, safeUrl, type Db, type Queryable } from '../../platform/db.js';
import { dbUrlWithPassword } from '../../platform/instance.js';

export interface Ledger {
  /** The folder or the URL (without password), for messages. */
  readonly location: string;
  /** The job's lock, or JOB_LOCKED naming the lock and its holder. Resolves to the release. */
  lockJob(job: string): Promise<() => Promise<void>>;
  /** `fn` in one transaction that no other process's use of this ledger overlaps. */
  use<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenLedgerOptions {
  /** The shared ledger's DB password (never in its URL). */
  password?: string;
  /** How long a use waits for the local ledger's turn. @default 120000 */
  waitMs?: number;
}

/** A folder (local, created when missing) or a postgres:// URL (shared). */
export async function openLedger(location: string, options: OpenLedgerOptions = {}): Promise<Ledger> {
  return isPostgresUrl(location) ? openSharedLedger(location, options) : openLocalLedger(resolve(location), options);
}

/** Whether a ledger was ever written there: readers (`scancopy runs`) must not create one. A shared one is assumed to. */
export async function ledgerExists(location: string): Promise<boolean> {
  if (isPostgresUrl(location)) return true;
  return access(join(resolve(location), LEDGER_FILE)).then(
    () => true,
    () => false,
  );
}

const LEDGER_FILE = 'ledger.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS scancopy_ledger_copies (
  target_instance text NOT NULL,
  target_store bigint NOT NULL,
  source_instance text NOT NULL,
  source_scan bigint NOT NULL,
  target_scan bigint NOT NULL,
  host text NOT NULL,
  run_dir text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (target_instance, target_store, source_instance, source_scan, target_scan)
);
CREATE TABLE IF NOT EXISTS scancopy_ledger_runs (
  host text NOT NULL,
  run_dir text NOT NULL,
  job text NOT NULL,
  source_instance text NOT NULL,
  target_instance text NOT NULL,
  target_store bigint NOT NULL,
  finished boolean NOT NULL DEFAULT false,
  started_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (host, run_dir)
);
CREATE TABLE IF NOT EXISTS scancopy_ledger_job_locks (
  job text PRIMARY KEY,
  holder jsonb NOT NULL
);`;

async function openLocalLedger(dir: string, options: OpenLedgerOptions): Promise<Ledger> {
  try {
    await mkdir(join(dir, 'locks'), { recursive: true });
  } catch (err) {
    throw new ScanCopyError('IO_ERROR', `cannot create the ledger folder ${dir}`, { cause: err, hint: 'Give a writable folder with --ledger (or SCANCOPY_LEDGER / ledger in the config).' });
  }
  const waitMs = options.waitMs ?? 120_000;
  return {
    location: dir,
    async lockJob(job) {
      const path = join(dir, 'locks', `job-${job.slice(0, 32)}.lock`);
      const attempt = await tryLock(path);
      if (!attempt.taken) throw jobLocked(path, describeHolder(attempt.holder));
      return attempt.release;
    },
    async use(fn) {
      const release = await turn(join(dir, 'ledger.lock'), waitMs);
      try {
        return await withSqliteFile(join(dir, LEDGER_FILE), SCHEMA, fn);
      } finally {
        await release();
      }
    },
    close: async () => undefined,
  };
}

/** Waits for the local ledger's lock: each holder keeps it for one short transaction. */
async function turn(path: string, waitMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + waitMs;
  for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
    const attempt = await tryLock(path);
    if (attempt.taken) return attempt.release;
    if (Date.now() > deadline) {
      throw new ScanCopyError('IO_ERROR', `the ledger is busy: ${path} has been held by ${describeHolder(attempt.holder)} for over ${Math.round(waitMs / 1000)} s`, {
        hint: 'Another scancopy process is stuck inside the ledger; stop it, or remove the lock file if that process is gone.',
      });
    }
    await sleep(pause);
  }
}

async function openSharedLedger(url: string, options: OpenLedgerOptions): Promise<Ledger> {
  const withPassword = dbUrlWithPassword({ dbUrl: url, dbPassword: options.password });
  const db = await openDb(withPassword, { maxConnections: 2 });
  let schemaReady = false;
  const use = <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> =>
    db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [LEDGER_LOCK_KEY]);
      if (!schemaReady) {
        for (const statement of SCHEMA.split(';').filter((s) => s.trim())) await tx.query(statement);
        schemaReady = true;
      }
      return fn(tx);
    });
  return {
    location: safeUrl(url),
    use,
    async lockJob(job) {
      await use(async () => undefined);
      const session: Db = await openDb(withPassword, { session: true });
      try {
        // Taking the lock and naming its holder is one turn of the ledger: a second process
        // refused reads the holder only once the first has written it, never a missing row.
        const held = await session.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [LEDGER_LOCK_KEY]);
          const [row] = await tx.query<{ got: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS got', [job]);
          if (!row?.got) return (await tx.query<{ holder: LockHolder }>('SELECT holder FROM scancopy_ledger_job_locks WHERE job = $1', [job]))[0] ?? null;
          await tx.query(
            'INSERT INTO scancopy_ledger_job_locks (job, holder) VALUES ($1, $2::jsonb) ON CONFLICT (job) DO UPDATE SET holder = EXCLUDED.holder',
            [job, JSON.stringify(currentHolder())],
          );
          return undefined;
        });
        if (held !== undefined) throw jobLocked(`advisory lock ${job.slice(0, 32)} in ${safeUrl(url)}`, held ? describeHolder(held.holder) : 'another session');
      } catch (err) {
        await session.close();
        throw err;
      }
      return () => session.close();
    },
    close: () => db.close(),
  };
}

/** Every use of a shared ledger takes this transaction-level advisory lock first. */
const LEDGER_LOCK_KEY = 0x5ca4c0b1;

function jobLocked(lock: string, holder: string): ScanCopyError {
  return new ScanCopyError('JOB_LOCKED', `this job is already running in another scancopy process (${holder}); its lock: ${lock}`, {
    hint: 'Wait for it to end, or stop it (Ctrl-C saves its state) and continue with --resume. A lock whose process is gone is taken over.',
    context: { lock },
  });
}

export interface LedgerRun {
  runDir: string;
  job: string;
  sourceInstance: string;
  targetInstance: string;
  targetStore: number;
}

export interface LedgerCopy {
  sourceInstance: string;
  sourceScanId: number;
  targetInstance: string;
  targetStore: number;
  targetScanId: number;
  runDir: string;
}

/** This host's run folders of the job, newest first. */
export async function runsOfJob(tx: Queryable, job: string): Promise<string[]> {
  const rows = await tx.query<{ run_dir: string }>('SELECT run_dir FROM scancopy_ledger_runs WHERE job = $1 AND host = $2 ORDER BY started_at DESC, run_dir DESC', [job, hostname()]);
  return rows.map((r) => r.run_dir);
}

/** Registers the run folder (again, on a resume) as not finished: its journal is the truth until it ends. */
export async function registerRun(tx: Queryable, run: LedgerRun): Promise<void> {
  await tx.query(
    `INSERT INTO scancopy_ledger_runs (host, run_dir, job, source_instance, target_instance, target_store)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (host, run_dir) DO UPDATE SET job = EXCLUDED.job, finished = false`,
    [hostname(), run.runDir, run.job, run.sourceInstance, run.targetInstance, run.targetStore],
  );
}

export async function finishRun(tx: Queryable, runDir: string): Promise<void> {
  await tx.query('UPDATE scancopy_ledger_runs SET finished = true WHERE host = $1 AND run_dir = $2', [hostname(), runDir]);
}

/** A run of this host as the ledger knows it, with the copies it recorded. */
export interface KnownRun extends LedgerRun {
  finished: boolean;
  copies: number;
}

/** Every run of this host, oldest first: their folders may be under any results folder, or gone. */
export async function runsOnHost(tx: Queryable): Promise<KnownRun[]> {
  const rows = await tx.query<{ run_dir: string; job: string; source_instance: string; target_instance: string; target_store: number | string; finished: boolean | number; copies: number | string }>(
    `SELECT r.run_dir, r.job, r.source_instance, r.target_instance, r.target_store, r.finished,
            (SELECT count(*) FROM scancopy_ledger_copies c WHERE c.host = r.host AND c.run_dir = r.run_dir) AS copies
       FROM scancopy_ledger_runs r WHERE r.host = $1 ORDER BY r.started_at, r.run_dir`,
    [hostname()],
  );
  return rows.map((r) => ({
    runDir: r.run_dir,
    job: r.job,
    sourceInstance: r.source_instance,
    targetInstance: r.target_instance,
    targetStore: Number(r.target_store),
    finished: Boolean(r.finished),
    copies: Number(r.copies),
  }));
}

/** This host's runs into the target store that did not record their end (killed, or still running). */
export async function unfinishedRuns(tx: Queryable, targetInstance: string, targetStore: number): Promise<string[]> {
  const rows = await tx.query<{ run_dir: string }>(
    'SELECT run_dir FROM scancopy_ledger_runs WHERE host = $1 AND target_instance = $2 AND target_store = $3 AND NOT finished ORDER BY started_at',
    [hostname(), targetInstance, targetStore],
  );
  return rows.map((r) => r.run_dir);
}

export async function recordCopies(tx: Queryable, copies: readonly LedgerCopy[]): Promise<void> {
  for (const c of copies) {
    await tx.query(
      `INSERT INTO scancopy_ledger_copies (target_instance, target_store, source_instance, source_scan, target_scan, host, run_dir)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [c.targetInstance, c.targetStore, c.sourceInstance, c.sourceScanId, c.targetScanId, hostname(), c.runDir],
    );
  }
}

/** Ids per lookup: an IN list both engines take, well under SQLite's 32,766 parameters. */
const IDS_PER_QUERY = 500;

/** The recorded copies of these source scans in the target store, the first per scan. */
export async function copiesOf(
  tx: Queryable,
  where: { sourceInstance: string; targetInstance: string; targetStore: number },
  scanIds: readonly number[],
): Promise<Map<number, { targetScanId: number; runDir: string }>> {
  const rows: Array<{ source_scan: number; target_scan: number; run_dir: string; recorded_at: Date | string }> = [];
  for (let i = 0; i < scanIds.length; i += IDS_PER_QUERY) {
    const chunk = scanIds.slice(i, i + IDS_PER_QUERY);
    rows.push(...(await tx.query<{ source_scan: number; target_scan: number; run_dir: string; recorded_at: Date | string }>(
      `SELECT source_scan, target_scan, run_dir, recorded_at FROM scancopy_ledger_copies
        WHERE target_instance = $1 AND target_store = $2 AND source_instance = $3 AND source_scan IN (${chunk.map((_, j) => `$${j + 4}`).join(', ')})`,
      [where.targetInstance, where.targetStore, where.sourceInstance, ...chunk],
    )));
  }
  rows.sort((a, b) => timeOf(a.recorded_at) - timeOf(b.recorded_at) || a.target_scan - b.target_scan);
  const out = new Map<number, { targetScanId: number; runDir: string }>();
  for (const r of rows) if (!out.has(r.source_scan)) out.set(r.source_scan, { targetScanId: r.target_scan, runDir: r.run_dir });
  return out;
}

/** PostgreSQL answers a timestamptz as a Date, SQLite as UTC text `YYYY-MM-DD HH:MM:SS`. */
function timeOf(value: Date | string): number {
  return value instanceof Date ? value.getTime() : Date.parse(`${value.replace(' ', 'T')}Z`);
}
