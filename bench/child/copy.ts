/**
 * One measured copy: copyScans between two sandboxes, timed around the call only (process
 * start-up and module loading are not the copy's), answering one JSON line.
 */
import { copyScans } from '../../src/workflows/copy.js';
import { answer, openSandbox, startUsage, type SandboxAddress } from './instances.js';

interface CopyInput {
  source: SandboxAddress;
  target: SandboxAddress;
  scanIds: number[];
  targetStoreId: number;
  limits: { download: number; upload: number; create: number };
  batchSize: number;
  barrier: boolean;
  resultsDir: string;
}

const input = JSON.parse(process.argv[2] ?? '{}') as CopyInput;
const source = await openSandbox('bench-source', input.source, input.limits);
// Refusals the target answered (429) and where its upload limit settled: what the adaptive run reports.
let throttled = 0;
const target = await openSandbox('bench-target', input.target, input.limits, (e) => {
  if (e.type === 'retry' && e.status === 429) throttled += 1;
});
try {
  const usage = startUsage();
  const started = performance.now();
  const result = await copyScans({
    source: { apiUrl: input.source.apiUrl, api: source.api, db: source.db },
    target: { apiUrl: input.target.apiUrl, api: target.api, db: target.db },
    scanIds: input.scanIds,
    targetStoreId: input.targetStoreId,
    mode: 'auto',
    resultsDir: input.resultsDir,
    batchSize: input.batchSize,
    limits: input.limits,
    barrier: input.barrier,
  });
  const wallMs = performance.now() - started;
  answer({
    wallMs,
    created: result.created,
    skipped: result.skipped,
    failed: result.failed,
    failures: result.failures.slice(0, 5),
    peakBytesInFlight: result.peakBytesInFlight,
    throttled,
    uploadLimit: target.api.limitOf('upload'),
    stages: result.stats,
    ...usage.end(),
  });
} finally {
  await Promise.all([source.close(), target.close()]);
}
