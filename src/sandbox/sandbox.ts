/**
 * A running sandbox instance: the platform's REST API over HTTP and its database over the
 * PostgreSQL wire protocol, either an external PostgreSQL (`db`) or embedded PGlite served
 * on a local port. Tests, benchmarks and the demo talk to it as to a real instance.
 */
import { randomBytes } from 'node:crypto';
import { ScanCopyError } from '../core/errors.js';
import { openDb, openPglite, safeUrl, type Db } from '../platform/db.js';
import { Semaphore } from '../core/semaphore.js';
import { prepareStorageDir } from './disk-files.js';
import { DeferredWork } from './deferred.js';
import { Faults } from './faults.js';
import { Processor } from './processing.js';
import { prepareDatabase } from './prepare.js';
import { buildServer } from './server.js';
import { UrlSigner } from './signing.js';
import { SandboxTokens } from './tokens.js';
import { lockDb, serveWire } from './wire.js';

export interface SandboxOptions {
  /** HTTP port; 0 picks a free one. @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** A `postgres://` URL: the sandbox loads its schema there. Else the database is embedded PGlite. */
  db?: string;
  /** Folder of the embedded database, kept across runs. @default in memory */
  embeddedDir?: string;
  /** Port of the embedded database's wire server; 0 picks a free one. @default 0 */
  dbPort?: number;
  /**
   * Folder that uploaded files' bytes go to (created if missing, never removed: rows point
   * into it), as the platform keeps them in object storage. @default in the database
   */
  storageDir?: string;
  /** Seed demo data into an empty database (`scans: 0`: the catalog only). @default false */
  seedDemo?: { scans?: number; seed?: number } | false;
  /** API user. @default 'sandbox' */
  username?: string;
  /** API password. @default generated, see `RunningSandbox.password` */
  password?: string;
  /** Time from creating a scan to its processing result. @default 500 */
  processingDelayMs?: number;
  /** Share of auto-mapped images recognised wrongly, 0 to 1. @default 0.25 */
  misMapRate?: number;
  /** Share of created scans whose processing ends in `error` or `interrupted`, 0 to 1. @default 0 */
  processingErrorRate?: number;
  /** Seed of the recognition error model (and of which scans fail processing). @default 1 */
  recognitionSeed?: number;
  /** Fault spec, see FAULTS_HELP. @default no faults */
  faults?: string;
  /** @default 1 */
  faultSeed?: number;
  /** Time from a `create:late` 504 to the create's commit. @default 3000 */
  lateMs?: number;
  /** Delete an upload that no scan uses this long after it was made, as a platform purges them. @default never */
  purgeUnusedUploadsMs?: number;
  /** Refuse (400) a create whose files another scan already uses. @default false */
  rejectReusedFiles?: boolean;
  /** Lifetime of an API token from its log-in: calls with an older one get 401. @default tokens never expire */
  tokenTtlMs?: number;
  /** Lifetime of a pre-signed download URL. @default 3600000 (1 h) */
  urlTtlMs?: number;
  /** Where the sandbox reports what it does (the CLI passes stderr). @default silent */
  log?: (line: string) => void;
}

export interface RunningSandbox {
  apiUrl: string;
  /** Reachable from other processes (a local wire server when embedded). */
  dbUrl: string;
  username: string;
  password: string;
  /** Writable, in-process. */
  db: Db;
  /** Replaces the faults at run time; a malformed spec throws USAGE and changes nothing. */
  setFaults(spec: string): void;
  /** Revokes every token handed out: the next authenticated call gets 401, the next log-in a new token. */
  expireTokens(): void;
  /** Resolves when no created scan is waiting for processing. */
  waitForProcessing(): Promise<void>;
  /** Resolves when no late create or purge is waiting or running. */
  waitForDeferredWork(): Promise<void>;
  close(): Promise<void>;
}

export const SANDBOX_DEFAULTS = {
  host: '127.0.0.1',
  username: 'sandbox',
  processingDelayMs: 500,
  misMapRate: 0.25,
  urlTtlMs: 3_600_000,
  lateMs: 3000,
} as const;

export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  const host = opts.host ?? SANDBOX_DEFAULTS.host;
  const username = opts.username ?? SANDBOX_DEFAULTS.username;
  const password = opts.password ?? randomBytes(12).toString('base64url');
  const misMapRate = opts.misMapRate ?? SANDBOX_DEFAULTS.misMapRate;
  const log = opts.log ?? (() => undefined);
  if (!(misMapRate >= 0 && misMapRate <= 1)) throw new ScanCopyError('USAGE', `Expected the mis-map rate to be from 0 to 1, got ${misMapRate}`);
  for (const [name, ms] of [['late commit delay', opts.lateMs], ['purge delay', opts.purgeUnusedUploadsMs]] as const) {
    if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0)) throw new ScanCopyError('USAGE', `Expected the ${name} to be a number of ms >= 0, got ${ms}`);
  }
  const errorRate = opts.processingErrorRate ?? 0;
  if (!(errorRate >= 0 && errorRate <= 1)) throw new ScanCopyError('USAGE', `Expected the processing error rate to be from 0 to 1, got ${errorRate}`);
  if (opts.tokenTtlMs !== undefined && !(Number.isFinite(opts.tokenTtlMs) && opts.tokenTtlMs >= 0)) {
    throw new ScanCopyError('USAGE', `Expected the token lifetime to be a number of ms >= 0, got ${opts.tokenTtlMs}`);
  }
  if (!username || !password) throw new ScanCopyError('USAGE', 'The sandbox user name and password must not be empty.');
  const faults = new Faults(opts.faults ?? '', opts.faultSeed ?? 1);
  const storageDir = opts.storageDir === undefined ? undefined : await prepareStorageDir(opts.storageDir);
  if (storageDir) log(`sandbox: uploaded files are kept in ${storageDir}`);

  const cleanup: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) await step().catch((err: unknown) => log(`sandbox: while closing: ${String(err)}`));
  };
  try {
    const { db, dbUrl } = await openSandboxDb(opts, host, username, cleanup);
    await prepareDatabase(db, { label: opts.db ? safeUrl(opts.db) : (opts.embeddedDir ?? 'the embedded database'), seedDemo: opts.seedDemo, log });

    const processor = new Processor({
      db,
      delayMs: opts.processingDelayMs ?? SANDBOX_DEFAULTS.processingDelayMs,
      misMapRate,
      errorRate,
      seed: opts.recognitionSeed ?? 1,
      log,
    });
    cleanup.push(() => processor.close());
    const resumed = await processor.resumePending();
    if (resumed > 0) log(`sandbox: ${resumed} scan(s) left unprocessed by an earlier run will be processed`);

    const deferred = new DeferredWork(log);
    cleanup.push(() => deferred.close());
    const tokens = new SandboxTokens(opts.tokenTtlMs);
    const app = await buildServer({
      db,
      faults,
      signer: new UrlSigner(),
      credentials: { username, password, userId: 1 },
      tokens,
      urlTtlMs: opts.urlTtlMs ?? SANDBOX_DEFAULTS.urlTtlMs,
      rejectReusedFiles: opts.rejectReusedFiles ?? false,
      storageDir,
      onScanCreated: (scanId) => processor.schedule(scanId),
      deferred,
      lateMs: opts.lateMs ?? SANDBOX_DEFAULTS.lateMs,
      purgeUnusedUploadsMs: opts.purgeUnusedUploadsMs,
      log,
    });
    cleanup.push(() => app.close());
    await app.listen({ port: opts.port ?? 0, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : opts.port;

    return {
      apiUrl: `http://${urlHost(host)}:${port}`,
      dbUrl,
      username,
      password,
      db,
      setFaults: (spec) => faults.set(spec),
      expireTokens: () => tokens.revoke(),
      waitForProcessing: () => processor.idle(),
      waitForDeferredWork: () => deferred.idle(),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function openSandboxDb(opts: SandboxOptions, host: string, username: string, cleanup: Array<() => Promise<void>>): Promise<{ db: Db; dbUrl: string }> {
  if (opts.db) {
    const db = await openDb(opts.db, { maxConnections: 20, statementTimeoutMs: 120_000 });
    cleanup.push(() => db.close());
    return { db, dbUrl: opts.db };
  }
  const embedded = await openPglite(opts.embeddedDir ?? 'memory://');
  const lock = new Semaphore(1, 'database lock');
  const db = lockDb(embedded, lock);
  cleanup.push(() => db.close());
  const wire = await serveWire(embedded.pglite, lock, { host, port: opts.dbPort ?? 0 });
  cleanup.push(() => wire.close());
  // PGlite trusts every connection: any user name and password are accepted.
  return { db, dbUrl: `postgres://${encodeURIComponent(username)}@${urlHost(host)}:${wire.port}/postgres` };
}

/** Where a client connects for a listening address (a wildcard listens on loopback too). */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
