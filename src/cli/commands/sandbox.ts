/** `scancopy sandbox`: runs a sandbox platform instance until SIGINT or SIGTERM. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ScanCopyError } from '../../core/errors.js';
import { FAULTS_HELP } from '../../sandbox/faults.js';
import { SANDBOX_DEFAULTS, startSandbox, type SandboxOptions } from '../../sandbox/sandbox.js';

interface SandboxFlags {
  port: number;
  host: string;
  db?: string;
  embedded?: string | true;
  dbPort: number;
  storageDir?: string;
  seedDemo?: true;
  scans: number;
  seed: number;
  user: string;
  password?: string;
  processingDelay: number;
  misMap: number;
  processingErrors: number;
  faults?: string;
  faultSeed: number;
  lateMs: number;
  purgeUnusedUploads?: number;
  rejectReusedFiles?: true;
  urlTtl: number;
  tokenTtl?: number;
  json?: true;
}

const PASSWORD_ENV = 'SCANCOPY_SANDBOX_PASSWORD';

const HELP_AFTER = `
Credentials: user "${SANDBOX_DEFAULTS.username}" and a password generated at each start (printed
on start), unless --user / --password (or ${PASSWORD_ENV}) set them. The embedded
database accepts any database user and password.

Processing: a created scan is processed --processing-delay ms later; --processing-errors of
them end in "error" (or, one in three, "interrupted") with no result. A payload that names
its store_planogram / section_id is filed under them; any other is recognised from each
image (the demo images' truth chunk), and --mis-map of the images are recognised wrongly:
another planogram, another section of the same planogram, or an extra additional section.
A file id already used by another scan is accepted (a blind re-create duplicates a scan)
unless --reject-reused-files. --purge-unused-uploads MS deletes an upload that no scan
uses MS after it was made, as a platform purges them: a create naming it then answers 400.

Uploaded files: their bytes are kept in the database, or with --storage-dir as files in
DIR named by their sha256 (identical uploads share one). DIR is created if missing and
never emptied: the database's rows point into it.

Output: where it listens, on stdout; with --json exactly one line
  {"api": URL, "db": URL, "username": ..., "password": ...}
and everything else on stderr.

${FAULTS_HELP}

Examples:
  scancopy sandbox --seed-demo --port 8081
  scancopy sandbox --embedded ./sandbox-db --seed-demo --scans 0 --json
  scancopy sandbox --db postgres://postgres@127.0.0.1:5432/sandbox --seed-demo --faults '*:latency=25ms~5ms,create:lost=0.1'`;

export function sandboxCommand(): Command {
  return new Command('sandbox')
    .description('Run a sandbox platform instance: the REST API over HTTP and its database over the PostgreSQL protocol, for tests, benchmarks and demos.')
    .addOption(new Option('--port <n>', 'HTTP port (0 = a free port)').argParser(whole('--port')).default(0))
    .addOption(new Option('--host <address>', 'address to listen on (API and embedded database)').default(SANDBOX_DEFAULTS.host))
    .addOption(new Option('--db <url>', 'use this PostgreSQL database: the schema is loaded into it if it is empty').conflicts('embedded'))
    .addOption(new Option('--embedded [dir]', 'keep the database in embedded PGlite, in DIR or in memory (the default)'))
    .addOption(new Option('--db-port <n>', 'port of the embedded database (0 = a free port)').argParser(whole('--db-port')).default(0))
    .option('--storage-dir <dir>', 'keep uploaded files in DIR (created if missing) instead of in the database')
    .option('--seed-demo', 'fill an empty database with demo data')
    .addOption(new Option('--scans <n>', 'demo scans with --seed-demo (0 = catalog, stores and planograms only)').argParser(whole('--scans')).default(60))
    .addOption(new Option('--seed <s>', 'demo data seed: the same seed gives the same catalog ids').argParser(whole('--seed')).default(1))
    .addOption(new Option('--user <name>', 'API user name').default(SANDBOX_DEFAULTS.username))
    .addOption(new Option('--password <pw>', `API password (default: generated; or set ${PASSWORD_ENV})`))
    .addOption(new Option('--processing-delay <ms>', 'time from creating a scan to its processing result').argParser(whole('--processing-delay')).default(SANDBOX_DEFAULTS.processingDelayMs))
    .addOption(new Option('--mis-map <rate>', 'share of auto-mapped images recognised wrongly, 0 to 1').argParser(rate('--mis-map')).default(SANDBOX_DEFAULTS.misMapRate))
    .addOption(new Option('--processing-errors <rate>', 'share of created scans whose processing fails (error / interrupted), 0 to 1').argParser(rate('--processing-errors')).default(0))
    .option('--faults <spec>', 'inject faults per endpoint (see below)')
    .addOption(new Option('--fault-seed <n>', 'seed of the fault draws').argParser(whole('--fault-seed')).default(1))
    .addOption(new Option('--late-ms <ms>', 'with create:late=R: time from the 504 to the create\'s commit').argParser(whole('--late-ms')).default(SANDBOX_DEFAULTS.lateMs))
    .addOption(new Option('--purge-unused-uploads <ms>', 'delete an upload that no scan uses MS after it was made').argParser(whole('--purge-unused-uploads')))
    .option('--reject-reused-files', 'answer 400 to a create whose files another scan already uses')
    .addOption(new Option('--url-ttl <ms>', 'lifetime of pre-signed download URLs').argParser(whole('--url-ttl')).default(SANDBOX_DEFAULTS.urlTtlMs))
    .addOption(new Option('--token-ttl <ms>', 'lifetime of an API token from its log-in; calls with an expired one get 401 (default: never expire)').argParser(whole('--token-ttl')))
    .option('--json', 'print one JSON line {api, db, username, password} on stdout; logs on stderr')
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: SandboxFlags) => {
      await runSandbox(flags);
    });
}

async function runSandbox(flags: SandboxFlags): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const options: SandboxOptions = {
    port: flags.port,
    host: flags.host,
    db: flags.db,
    embeddedDir: typeof flags.embedded === 'string' ? flags.embedded : undefined,
    dbPort: flags.dbPort,
    storageDir: flags.storageDir,
    seedDemo: flags.seedDemo ? { scans: flags.scans, seed: flags.seed } : false,
    username: flags.user,
    password: flags.password ?? process.env[PASSWORD_ENV],
    processingDelayMs: flags.processingDelay,
    misMapRate: flags.misMap,
    processingErrorRate: flags.processingErrors,
    faults: flags.faults,
    faultSeed: flags.faultSeed,
    lateMs: flags.lateMs,
    purgeUnusedUploadsMs: flags.purgeUnusedUploads,
    rejectReusedFiles: flags.rejectReusedFiles ?? false,
    urlTtlMs: flags.urlTtl,
    tokenTtlMs: flags.tokenTtl,
    log,
  };
  const stopped = waitForStopSignal();
  const sandbox = await startSandbox(options).catch((err: unknown) => {
    throw portInUse(err) ?? err;
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ api: sandbox.apiUrl, db: sandbox.dbUrl, username: sandbox.username, password: sandbox.password })}\n`);
  } else {
    process.stdout.write(
      `sandbox API  ${sandbox.apiUrl}  (user ${sandbox.username}, password ${sandbox.password})\n` +
        `sandbox DB   ${sandbox.dbUrl}\n` +
        'Stop with Ctrl-C.\n',
    );
  }
  const signal = await stopped;
  log(`sandbox: ${signal} received, stopping`);
  await sandbox.close();
  log('sandbox: stopped');
}

/** A port another program holds is the user's to change (exit 2), not an internal failure. */
function portInUse(err: unknown): ScanCopyError | undefined {
  for (let current = err as { code?: unknown; port?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; current = current.cause as typeof current, depth++) {
    if (current.code === 'EADDRINUSE') {
      const port = typeof current.port === 'number' ? current.port : undefined;
      return new ScanCopyError('USAGE', `port ${port ?? '?'} is in use`, { hint: 'Stop what listens there, or pick another with --port / --db-port (0 picks a free one).', cause: err });
    }
  }
  return undefined;
}

function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function whole(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} expects a whole number >= 0, got "${value}".`);
    return Number(value);
  };
}

function rate(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${flag} expects a rate from 0 to 1, got "${value}".`);
    return n;
  };
}
