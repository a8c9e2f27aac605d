/**
 * Sandbox instances for a benchmark, each in its own process, on a fresh database of the
 * local PostgreSQL (or embedded PGlite when there is none) and a fresh folder for uploaded
 * files, both removed when it closes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresEngine, type TestEngine } from '../test/helpers/databases.js';
import { startCli } from './processes.js';

/** Injected on every call: a mean and a uniform jitter either side of it. */
export interface Latency {
  ms: number;
  jitterMs: number;
}

/** The measured latency of the issue, and a control at ten times it where CPU hardly counts. */
export const BENCH_LATENCY: Latency = { ms: 25, jitterMs: 5 };
export const CONTROL_LATENCY: Latency = { ms: 250, jitterMs: 50 };

export function faultsFor(latency: Latency): string {
  return `*:latency=${latency.ms}ms~${latency.jitterMs}ms`;
}

export interface BenchSandbox {
  apiUrl: string;
  dbUrl: string;
  username: string;
  password: string;
  pid: number;
  close(): Promise<void>;
}

export interface BenchSandboxOptions {
  /** The local PostgreSQL, or undefined for embedded PGlite. */
  engine: TestEngine | undefined;
  latency: Latency;
  /** More fault items after the latency, e.g. `upload:concurrency=5`. */
  extraFaults?: string;
  /** The whole fault spec instead of `latency` (the cloud profile's latencies per endpoint). */
  faults?: string;
  /** Serve this existing sandbox database (another sandbox's, left in place) instead of a fresh one. */
  db?: string;
}

/** The local PostgreSQL if it answers, else undefined (the sandboxes embed PGlite). */
export async function findPostgres(url: string): Promise<TestEngine | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return postgresEngine(url);
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A sandbox with the demo catalog (seed 1) and no scans; scans created in it are never processed. */
export async function startBenchSandbox(opts: BenchSandboxOptions): Promise<BenchSandbox> {
  const fresh = opts.db === undefined && opts.engine ? await opts.engine.create() : undefined;
  const db = opts.db ?? fresh;
  // The platform keeps uploads in object storage: bytea rows would bill the target's
  // encoding, WAL and TOAST to the CPU the copy is measured on.
  const storageDir = await mkdtemp(join(os.tmpdir(), 'scancopy-bench-uploads-'));
  const child = startCli([
    'sandbox', '--json', ...(db ? ['--db', db] : ['--embedded']), '--seed-demo', '--scans', '0', '--seed', '1',
    '--storage-dir', storageDir,
    '--faults', [opts.faults ?? faultsFor(opts.latency), opts.extraFaults].filter(Boolean).join(','),
    // The platform processes scans on its own machines; here processing would take the CPU
    // the client is measured on, so copied scans stay 'created' (see bench/README.md).
    '--processing-delay', String(24 * 3_600_000),
  ]);
  const drop = async (): Promise<void> => {
    try {
      await child.stop();
      if (fresh && opts.engine) await opts.engine.drop(fresh);
    } finally {
      await rm(storageDir, { recursive: true, force: true });
    }
  };
  try {
    const ready = await child.next<{ api: string; db: string; username: string; password: string }>();
    return { apiUrl: ready.api, dbUrl: ready.db, username: ready.username, password: ready.password, pid: child.pid, close: drop };
  } catch (err) {
    await drop();
    throw err;
  }
}
