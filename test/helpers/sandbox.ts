/**
 * Sandboxes for tests: a real server on a free port over a real database, on the engine a
 * suite runs (PGlite by default, or PostgreSQL from testEngines()), dropped on close.
 */
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { pgliteEngine, type TestEngine } from './databases.js';

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
  let closing: Promise<void> | undefined;
  return {
    ...sandbox,
    close: () => {
      closing ??= sandbox.close().finally(() => engine.drop(url));
      return closing;
    },
  };
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
