/**
 * Sandboxes for tests: a real server on a free port over a real database, on the engine a
 * suite runs (PGlite by default, or PostgreSQL from testEngines()), dropped on close.
 */
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { pgliteEngine, type TestEngine } from './databases.js';
import { noteTestSecret } from './secret-audit.js';

export type TestSandboxOptions = Partial<SandboxOptions> & { engine?: TestEngine };

/** Tests wait for processing, so a short delay keeps them quick; pass processingDelayMs to change it. */
const TEST_PROCESSING_DELAY_MS = 50;

/** A sandbox on a fresh database of `engine` (default PGlite, in memory), without demo data unless asked. */
export async function startTestSandbox(opts: TestSandboxOptions = {}): Promise<RunningSandbox> {
  const { engine = pgliteEngine, ...options } = opts;
  const url = await engine.create();
  const db = engine.name === 'postgres' ? url : undefined;
  let sandbox: RunningSandbox;
  try {
    sandbox = await startSandbox({ processingDelayMs: TEST_PROCESSING_DELAY_MS, ...options, ...(db ? { db } : {}) });
  } catch (err) {
    await engine.drop(url);
    throw err;
  }
  noteTestSecret(sandbox.password);
  let closing: Promise<void> | undefined;
  return {
    ...sandbox,
    close: () => {
      closing ??= noteCurrentToken(sandbox)
        .then(() => sandbox.close())
        .finally(() => engine.drop(url));
      return closing;
    },
  };
}

/** The token a login hands out now (expireTokens replaces it), for the run's secret audit. */
async function noteCurrentToken(sandbox: RunningSandbox): Promise<void> {
  try {
    const login = await fetch(`${sandbox.apiUrl}/api/v4/token-auth/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: sandbox.username, password: sandbox.password }),
      signal: AbortSignal.timeout(2000),
    });
    if (login.status === 200) noteTestSecret(((await login.json()) as { token: string }).token);
  } catch {
    // A sandbox faulted or stopped by its test has no token left to leak.
  }
}

export interface TestSandboxPairOptions {
  engine?: TestEngine;
  /** Demo scans in the source. @default 60 */
  scans?: number;
  /** Demo seed of both sides: the target gets the same catalog ids. @default 1 */
  seed?: number;
  source?: Partial<SandboxOptions>;
  target?: Partial<SandboxOptions>;
}

export interface TestSandboxPair {
  source: RunningSandbox;
  target: RunningSandbox;
  close(): Promise<void>;
}

/** A source seeded with demo scans and a target with the same seed's catalog and no scans: a staging clone. */
export async function startTestSandboxPair(opts: TestSandboxPairOptions = {}): Promise<TestSandboxPair> {
  const seed = opts.seed ?? 1;
  const [source, target] = await Promise.allSettled([
    startTestSandbox({ engine: opts.engine, seedDemo: { scans: opts.scans ?? 60, seed }, ...opts.source }),
    startTestSandbox({ engine: opts.engine, seedDemo: { scans: 0, seed }, ...opts.target }),
  ]);
  if (source.status === 'rejected' || target.status === 'rejected') {
    if (source.status === 'fulfilled') await source.value.close();
    if (target.status === 'fulfilled') await target.value.close();
    throw source.status === 'rejected' ? source.reason : (target as PromiseRejectedResult).reason;
  }
  return {
    source: source.value,
    target: target.value,
    close: async () => {
      await Promise.all([source.value.close(), target.value.close()]);
    },
  };
}

/** Raw HTTP against a sandbox, for tests of the sandbox itself (the SDK's client lives in src/platform/api.ts). */
export interface RawApi {
  token: string;
  auth: { authorization: string };
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  upload(bytes: Uint8Array, filename: string, contentType?: string, fields?: Record<string, string>): Promise<Response>;
  /** Uploads and returns the new file id (throws on anything but 201). */
  uploadId(bytes: Uint8Array, filename: string, contentType?: string): Promise<number>;
  create(payload: unknown): Promise<Response>;
}

export async function rawApi(sandbox: Pick<RunningSandbox, 'apiUrl' | 'username' | 'password'>): Promise<RawApi> {
  const base = sandbox.apiUrl;
  const login = await fetch(`${base}/api/v4/token-auth/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: sandbox.username, password: sandbox.password }),
  });
  if (login.status !== 200) throw new Error(`sandbox login answered ${login.status}: ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  noteTestSecret(token);
  const auth = { authorization: `Token ${token}` };
  const api: RawApi = {
    token,
    auth,
    post: (path, body, headers = auth) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
    get: (path, headers = auth) => fetch(`${base}${path}`, { headers }),
    upload: (bytes, filename, contentType = 'image/png', fields = { input_type: 'image' }) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)], { type: contentType }), filename);
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      return fetch(`${base}/api/v4/processing/upload/`, { method: 'POST', headers: auth, body: form });
    },
    uploadId: async (bytes, filename, contentType) => {
      const res = await api.upload(bytes, filename, contentType);
      if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { id: number }).id;
    },
    create: (payload) => api.post('/api/v4/processing/actions/', payload),
  };
  return api;
}
