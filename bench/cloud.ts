/**
 * The cloud profile: real scan sizes (bench/cloud-files.ts) behind the latencies of a cloud
 * platform, per endpoint and with wide jitter, pipelined against the seed's barrier schedule,
 * and the pipelined copy against its ideal bound for those sizes and latencies, with the
 * loopback's bandwidth measured in the same run (bench/README.md, "The cloud profile").
 */
import type { TestEngine } from '../test/helpers/databases.js';
import { measureLoopbackBandwidth, type Bandwidth } from './bandwidth.js';
import { cloudFilesOf, cloudPlan, ensureCloudFiles, type CloudFiles } from './cloud-files.js';
import { measureCopy, round, type CopyRun } from './copy.js';
import { writeFixture } from './fixtures.js';
import { cloudBound, type CallLatencies, type CloudBound, type StageLimits } from './ideal.js';
import { startBenchSandbox } from './sandboxes.js';

/** Mean latency per endpoint; each call draws uniformly within half of it either side. */
export const CLOUD_LATENCIES: CallLatencies = { login: 60, meta: 60, content: 250, upload: 350, create: 200 };
const WARM_UP_SCANS = 20;

export function cloudFaults(l: CallLatencies = CLOUD_LATENCIES): string {
  return (Object.entries(l) as Array<[keyof CallLatencies, number]>).map(([endpoint, ms]) => `${endpoint}:latency=${ms}ms~${ms / 2}ms`).join(',');
}

export interface CloudOptions {
  engine: TestEngine | undefined;
  scans: number;
  limits: StageLimits;
  batchSize: number;
  workDir: string;
  log: (line: string) => void;
}

export interface CloudResults {
  ratio_to_ideal: number;
  speedup_vs_barrier: number;
  peak_rss_mb: number;
  client_cpu_ms_per_scan: number;
  scans: number;
  files: number;
  gigabytes: number;
  bandwidth: Bandwidth;
  ideal: CloudBound;
  faults: string;
  pipelined: CopyRun;
  barrier: CopyRun;
}

export async function runCloudProfile(opts: CloudOptions): Promise<CloudResults> {
  const faults = cloudFaults();
  opts.log(`cloud: files under node_modules/.cache (made once), loopback bandwidth, ${opts.scans} scans at ${faults}`);
  const files = await ensureCloudFiles();
  const bandwidth = await measureLoopbackBandwidth();
  opts.log(`  loopback ${round(bandwidth.bytes_per_s / 1e6, 0)} MB/s over ${bandwidth.streams} streams`);
  const source = await startBenchSandbox({ engine: opts.engine, latency: { ms: 0, jitterMs: 0 }, faults });
  try {
    const fixture = await writeFixture(source.dbUrl, WARM_UP_SCANS + opts.scans, undefined, cloudPlan(files));
    const warmUp = fixture.scanIds.slice(0, WARM_UP_SCANS);
    const measured = fixture.scanIds.slice(WARM_UP_SCANS);
    // The warm-up scans come first in the plan's order, so the measured ones keep the mix of their numbers.
    const copy = (scanIds: number[], barrier: boolean, label: string, idealMs?: number): Promise<CopyRun> =>
      measureCopy({ engine: opts.engine, source, storeId: fixture.storeId, scanIds, barrier, limits: opts.limits, batchSize: opts.batchSize, workDir: opts.workDir, latency: { ms: CLOUD_LATENCIES.upload, jitterMs: CLOUD_LATENCIES.upload / 2 }, faults, label, idealMs });
    opts.log(`  warm-up: copy of ${WARM_UP_SCANS} scans, not measured`);
    await copy(warmUp, false, '-cloud-warm-up');
    const plan = measuredPlan(files, WARM_UP_SCANS, opts.scans);
    const ideal = cloudBound({ scans: opts.scans, files: plan.files, bytes: plan.bytes, bandwidthBytesPerS: bandwidth.bytes_per_s, latencies: CLOUD_LATENCIES, limits: opts.limits });
    opts.log(`  ${plan.files} files, ${round(plan.bytes / 1e9, 2)} GB; ideal ${round(ideal.wallMs / 1000, 1)} s (${ideal.bottleneck})`);
    const pipelined = await copy(measured, false, '-cloud', ideal.wallMs);
    opts.log(`  pipelined: ${pipelined.wall_s} s, ${pipelined.ratio_to_ideal}x its ideal, client CPU ${pipelined.cpu_s.client} s, peak RSS ${pipelined.peak_rss_mb} MB`);
    const barrier = await copy(measured, true, '-cloud', ideal.wallMs);
    opts.log(`  barrier: ${barrier.wall_s} s`);
    return {
      ratio_to_ideal: pipelined.ratio_to_ideal,
      speedup_vs_barrier: round(barrier.wall_s / pipelined.wall_s),
      peak_rss_mb: pipelined.peak_rss_mb,
      client_cpu_ms_per_scan: round((pipelined.cpu_s.client * 1000) / opts.scans, 2),
      scans: opts.scans,
      files: plan.files,
      gigabytes: round(plan.bytes / 1e9, 2),
      bandwidth,
      ideal,
      faults,
      pipelined,
      barrier,
    };
  } finally {
    await source.close();
  }
}

/** Files and bytes of the measured scans, from the same plan the fixture was written with. */
function measuredPlan(files: CloudFiles, first: number, count: number): { files: number; bytes: number } {
  const planned = Array.from({ length: count }, (_, i) => cloudFilesOf(files, first + i)).flat();
  return { files: planned.length, bytes: planned.reduce((sum, f) => sum + f.size, 0) };
}
