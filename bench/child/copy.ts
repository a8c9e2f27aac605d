/**
 * One measured copy: copyScans between two sandboxes, timed around the call only (process
 * start-up and module loading are not the copy's), answering one JSON line.
 */
import { copyScans } from '../../src/workflows/copy.js';
import type { CopyEvent } from '../../src/workflows/copy.js';
import { answer, memorySample, openSandbox, startUsage, type MemorySample, type SandboxAddress } from './instances.js';

interface CopyInput {
  source: SandboxAddress;
  target: SandboxAddress;
  scanIds: number[];
  targetStoreId: number;
  limits: { download: number; upload: number; create: number };
  batchSize: number;
  barrier: boolean;
  resultsDir: string;
  /** Also answer the process's memory each time this many more scans have settled (and at the end). */
  memoryEvery?: number;
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
  const memory: MemorySample[] = [];
  let settled = 0;
  const onEvent = input.memoryEvery === undefined ? undefined : (event: CopyEvent): void => {
    if (event.type !== 'created' && event.type !== 'skipped' && event.type !== 'failed') return;
    settled += 1;
    if (settled % (input.memoryEvery as number) === 0) memory.push(memorySample(settled));
  };
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
  }, { onEvent });
  const wallMs = performance.now() - started;
  if (onEvent && memory.at(-1)?.scans !== settled) memory.push(memorySample(settled));
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
    memory,
    ...usage.end(),
  });
} finally {
  await Promise.all([source.close(), target.close()]);
}
