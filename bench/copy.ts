/**
 * One copy measurement: a fresh target sandbox, the copy in its own process (pipelined or
 * barrier), its wall time against the ideal bound, its peak RSS, and the CPU each process
 * spent, so a slow run can be told latency-bound from CPU-bound.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { TestEngine } from '../test/helpers/databases.js';
import type { MemorySample } from './child/instances.js';
import { busyShare, machineCpu, postgresCpuMs, processCpuMs } from './cpu.js';
import { FILES_PER_SCAN } from './fixtures.js';
import { barrierBound, pipelineBound, type StageLimits } from './ideal.js';
import { startChild } from './processes.js';
import { watchProcess } from './rss.js';
import { startBenchSandbox, type BenchSandbox, type Latency } from './sandboxes.js';

export interface CopyMeasureOptions {
  engine: TestEngine | undefined;
  source: BenchSandbox;
  storeId: number;
  scanIds: number[];
  barrier: boolean;
  limits: StageLimits;
  batchSize: number;
  workDir: string;
  /** Injected on every call of the target (the source must have been started with the same). */
  latency: Latency;
  /** Tells repeated runs of the same copy apart (each needs its own results folder). @default '' */
  label?: string;
  /** Fault items for the target beyond the latency (the adaptive run's `upload:concurrency=N`). */
  targetFaults?: string;
  /** The target's whole fault spec instead of `latency` (the cloud profile's). */
  faults?: string;
  /** The ideal wall time when the default model (FILES_PER_SCAN files, one latency) does not describe the copy. */
  idealMs?: number;
  /** Sample the client's memory each time this many more scans have settled (CopyRun.memory). */
  memoryEvery?: number;
}

export interface CopyRun {
  mode: 'pipelined' | 'barrier';
  scans: number;
  latency_ms: number;
  created: number;
  failed: number;
  wall_s: number;
  scans_per_s: number;
  ideal_s: number;
  ratio_to_ideal: number;
  peak_rss_mb: number;
  /** Resident memory of the copy process before the copy started (Node, tsx, modules). */
  start_rss_mb: number;
  /** Mean time of a successful step per stage, as the copy counted it: from its call's first send (the client's slot held), retries included. */
  stage_mean_ms: Record<string, number>;
  /** CPU time per process during the copy; `other` is the rest of the machine's busy time (other users included). */
  cpu_s: { client: number; source: number; target: number; postgres: number; other: number };
  /** The wall time the CPU spent by client, sandboxes and PostgreSQL allows at best on this machine's cores. */
  cpu_floor_s: number;
  /** wall / cpu_floor_s: near 1, the run was bound by CPU, not by the latencies. */
  ratio_to_cpu_floor: number;
  /** Share of all cores busy during the copy (everyone's work, other users' included). */
  machine_busy: number;
  /** Calls the target refused with 429 (each retried after its Retry-After). */
  throttled_429: number;
  /** The client's upload concurrency limit at the end of the copy. */
  upload_limit: number;
  /** The client's memory as the scans settled, when asked for (memoryEvery). */
  memory?: MemorySample[];
}

interface ChildAnswer {
  wallMs: number;
  created: number;
  failed: number;
  failures: unknown[];
  stages: { stages: Record<string, { ok: number; latencyMs: number }> };
  cpuMs: number;
  startRssMb: number;
  peakRssMb: number;
  throttled: number;
  uploadLimit: number;
  memory: MemorySample[];
}

export async function measureCopy(opts: CopyMeasureOptions): Promise<CopyRun> {
  const target = await startBenchSandbox({ engine: opts.engine, latency: opts.latency, faults: opts.faults, extraFaults: opts.targetFaults });
  try {
    const address = (s: BenchSandbox): object => ({ apiUrl: s.apiUrl, dbUrl: s.dbUrl, username: s.username, password: s.password });
    const cpuBefore = { source: processCpuMs(opts.source.pid), target: processCpuMs(target.pid), postgres: postgresCpuMs(), machine: machineCpu() };
    const child = startChild('copy', {
      source: address(opts.source),
      target: address(target),
      scanIds: opts.scanIds,
      targetStoreId: opts.storeId,
      limits: opts.limits,
      batchSize: opts.batchSize,
      barrier: opts.barrier,
      memoryEvery: opts.memoryEvery,
      resultsDir: join(opts.workDir, `copy-${opts.barrier ? 'barrier' : 'pipelined'}-${opts.scanIds.length}-${opts.latency.ms}ms${opts.label ?? ''}`),
    });
    const rss = watchProcess(child.pid);
    const got = await child.next<ChildAnswer>();
    await child.exited;
    const { peakRssMb: sampledPeak } = await rss.stop();
    const machineAfter = machineCpu();
    const cpu = {
      client: got.cpuMs,
      source: processCpuMs(opts.source.pid) - cpuBefore.source,
      target: processCpuMs(target.pid) - cpuBefore.target,
      postgres: Math.max(0, postgresCpuMs() - cpuBefore.postgres),
    };
    const ours = cpu.client + cpu.source + cpu.target + cpu.postgres;
    const other = Math.max(0, machineAfter.busyMs - cpuBefore.machine.busyMs - ours);
    if (got.failed > 0 || got.created !== opts.scanIds.length) {
      process.stderr.write(`bench: the copy created ${got.created} of ${opts.scanIds.length} scans; first failures: ${JSON.stringify(got.failures)}\n`);
    }
    const model = { scans: opts.scanIds.length, filesPerScan: FILES_PER_SCAN, latencyMs: opts.latency.ms, jitterMs: opts.latency.jitterMs, limits: opts.limits };
    const idealMs = opts.idealMs ?? (opts.barrier ? barrierBound(model, opts.batchSize).wallMs : pipelineBound(model).wallMs);
    return {
      mode: opts.barrier ? 'barrier' : 'pipelined',
      scans: opts.scanIds.length,
      latency_ms: opts.latency.ms,
      created: got.created,
      failed: got.failed,
      wall_s: round(got.wallMs / 1000),
      scans_per_s: round(got.created / (got.wallMs / 1000)),
      ideal_s: round(idealMs / 1000),
      ratio_to_ideal: round(got.wallMs / idealMs),
      peak_rss_mb: round(Math.max(sampledPeak, got.peakRssMb)),
      start_rss_mb: round(got.startRssMb),
      stage_mean_ms: Object.fromEntries(Object.entries(got.stages.stages).map(([stage, c]) => [stage, round(c.ok > 0 ? c.latencyMs / c.ok : 0)])),
      cpu_s: { client: round(cpu.client / 1000), source: round(cpu.source / 1000), target: round(cpu.target / 1000), postgres: round(cpu.postgres / 1000), other: round(other / 1000) },
      cpu_floor_s: round(ours / 1000 / availableParallelism()),
      ratio_to_cpu_floor: round(got.wallMs / (ours / availableParallelism())),
      machine_busy: round(busyShare(cpuBefore.machine, machineAfter)),
      throttled_429: got.throttled,
      upload_limit: got.uploadLimit,
      ...(opts.memoryEvery === undefined ? {} : { memory: got.memory }),
    };
  } finally {
    await target.close();
  }
}

export const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** The middle value (the mean of the two middle ones for an even count); one run's noise moves it least. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
