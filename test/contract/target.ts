/**
 * The instance the contract suite runs against: the one the environment names, or a sandbox
 * the suite starts (with demo data) when it names none. The same tests then prove that
 * scancopy's calls and queries hold on a real instance as on the sandbox.
 *
 *   SCANCOPY_CONTRACT_API            API base URL (without it: a sandbox is started)
 *   SCANCOPY_CONTRACT_DB             postgres://user@host:port/db, without the password
 *   SCANCOPY_CONTRACT_USERNAME       API user
 *   SCANCOPY_CONTRACT_PASSWORD       API password
 *   SCANCOPY_CONTRACT_DB_PASSWORD    DB password ('' or unset: none)
 *   SCANCOPY_CONTRACT_SCAN           a processed scan with files to read (default: the newest one)
 *   SCANCOPY_CONTRACT_WRITE=1        also upload, create and delete a scan (always on a sandbox)
 *   SCANCOPY_CONTRACT_STORE          the store those writes use (default: the sample scan's)
 *
 * Against a real instance the suite only reads unless SCANCOPY_CONTRACT_WRITE=1: then it
 * uploads one file (a copy of the sample's first), creates one scan with it and deletes that
 * scan again; the platform purges the upload. It sends one wrong password to check the refusal.
 */
import { openInstance, type Instance } from '../../src/platform/instance.js';
import type { RunningSandbox } from '../../src/sandbox/sandbox.js';
import { noteTestSecret } from '../helpers/secret-audit.js';
import { startTestSandbox } from '../helpers/sandbox.js';

export interface ContractTarget {
  /** `sandbox` or the API URL's host. */
  name: string;
  apiUrl: string;
  dbUrl: string;
  username: string;
  password: string;
  dbPassword: string;
  /** Uploads, creates and deletes are allowed. */
  write: boolean;
  /** The scan the read checks use: processed, with files. */
  sampleScanId: number;
  /** Where writes create their scan. */
  storeId: number;
  /** Present when the suite started the instance itself. */
  sandbox?: RunningSandbox;
  /** API and read-only DB, opened as scancopy opens an instance. */
  open(): Promise<Instance>;
  close(): Promise<void>;
}

const env = (name: string): string | undefined => {
  const value = process.env[`SCANCOPY_CONTRACT_${name}`];
  return value === undefined || value === '' ? undefined : value;
};

export async function contractTarget(): Promise<ContractTarget> {
  const apiUrl = env('API');
  const address = apiUrl ? fromEnvironment(apiUrl) : await sandboxAddress();
  noteTestSecret(address.password);
  noteTestSecret(address.dbPassword);
  const open = (): Promise<Instance> =>
    openInstance({ name: address.name, apiUrl: address.apiUrl, dbUrl: address.dbUrl, username: address.username, password: address.password, dbPassword: address.dbPassword }, { maxConnections: 2 });
  const probe = await open();
  try {
    const sampleScanId = Number(env('SCAN') ?? (await newestProcessedScan(probe)));
    const [scan] = await probe.db.query<{ store_id: number }>('SELECT store_id FROM realograms_implementation_scan WHERE id = $1', [sampleScanId]);
    if (!scan) throw new Error(`contract: scan ${sampleScanId} is not on ${address.name}`);
    return { ...address, sampleScanId, storeId: Number(env('STORE') ?? scan.store_id), open };
  } finally {
    await probe.close();
  }
}

type Address = Omit<ContractTarget, 'sampleScanId' | 'storeId' | 'open'>;

function fromEnvironment(apiUrl: string): Address {
  const missing = ['DB', 'USERNAME', 'PASSWORD'].filter((n) => env(n) === undefined);
  if (missing.length > 0) throw new Error(`contract: SCANCOPY_CONTRACT_API is set, so ${missing.map((n) => `SCANCOPY_CONTRACT_${n}`).join(', ')} must be too`);
  return {
    name: new URL(apiUrl).host,
    apiUrl,
    dbUrl: env('DB') as string,
    username: env('USERNAME') as string,
    password: env('PASSWORD') as string,
    dbPassword: env('DB_PASSWORD') ?? '',
    write: env('WRITE') === '1',
    close: async () => undefined,
  };
}

async function sandboxAddress(): Promise<Address> {
  const sandbox = await startTestSandbox({ seedDemo: { scans: 8 } });
  return { name: 'sandbox', apiUrl: sandbox.apiUrl, dbUrl: sandbox.dbUrl, username: sandbox.username, password: sandbox.password, dbPassword: '', write: true, sandbox, close: () => sandbox.close() };
}

/** Contract columns only, like every scancopy query. */
async function newestProcessedScan(instance: Instance): Promise<number> {
  const [row] = await instance.db.query<{ id: number }>(
    `SELECT s.id FROM realograms_implementation_scan s
      WHERE s.status = 'done' AND s.has_report AND EXISTS (SELECT 1 FROM realograms_implementation_scanfile f WHERE f.scan_id = s.id)
      ORDER BY s.id DESC LIMIT 1`,
  );
  if (!row) throw new Error(`contract: no processed scan with files on ${instance.name}; name one with SCANCOPY_CONTRACT_SCAN`);
  return Number(row.id);
}
