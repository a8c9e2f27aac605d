/**
 * The run folder's job store (checkpoint, journal and lock file) keeps the job store
 * contract: the same suite the ledger's store will run.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobOf } from '../src/workflows/copy/checkpoint.js';
import { LocalJobStore } from '../src/workflows/copy/local-job-store.js';
import { runFiles } from '../src/workflows/copy/run-folder.js';
import { jobStoreContract } from './helpers/job-store-contract.js';

jobStoreContract('run folder (checkpoint + journal + lock file)', async () => {
  const results = await mkdtemp(join(tmpdir(), 'scancopy-job-store-'));
  const ts = '20261201_120000';
  const dir = join(results, `run_${ts}`);
  await mkdir(dir);
  const files = runFiles(dir, ts, 'auto');
  return {
    start(scanIds, batchSize) {
      const job = jobOf({ source: 'db:source', target: 'db:target', target_store: 1, mode: 'auto' }, scanIds);
      return new LocalJobStore(files, { job, ts, startedAt: new Date().toISOString(), capturedAt: 1_764_590_400, batchSize, scanIds });
    },
    again: () => new LocalJobStore(files),
    dispose: () => rm(results, { recursive: true, force: true }),
  };
});
