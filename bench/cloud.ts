/**
 * The cloud profile: real scan sizes (bench/cloud-files.ts) behind the latencies of a cloud
 * platform, per endpoint and with wide jitter, pipelined against the seed's barrier schedule,
 * and the pipelined copy against its ideal bound for those sizes and latencies, with the
 * loopback's bandwidth measured in the same run (bench/README.md, "The cloud profile").
 */
import { availableParallelism } from 'node:os';
import type { TestEngine } from '../test/helpers/databases.js';
import { measureLoopbackBandwidth, type Bandwidth } from './bandwidth.js';
import { measureTransferFloor, type TransferFloor } from './transfer-floor.js';
import { cloudFilesOf, cloudPlan, ensureCloudFiles, type CloudFiles } from './cloud-files.js';
import { measureCopy, round, type CopyRun } from './copy.js';
import { writeFixture, type FixtureFile } from './fixtures.js';
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
  /**
   * A second pipelined copy of this many scans after the first: its peak RSS against the
   * first's is `rss_growth` (the 5,000 against the 1,000 of the full profile).
   */
  growthScans?: number;
  /** The barrier copy of the same scans (the speedup). @default true */
  barrier?: boolean;
}

/** Peak RSS of the pipelined copy at two sizes: a client whose memory grows with the job shows here. */
export interface RssGrowth {
  /** peak at the larger size / peak at the smaller - 1: within +-0.10 is flat. */
  rss_growth: number;
  scans: [number, number];
  peak_rss_mb: [number, number];
  runs: [CopyRun, CopyRun];
}

export interface CloudResults {
  ratio_to_ideal: number;
  speedup_vs_barrier: number | null;
  peak_rss_mb: number;
  /** See RssGrowth; null when no growth copy ran (the quick profile). */
  rss_growth: number | null;
  client_cpu_ms_per_scan: number;
  scans: number;
  files: number;
  gigabytes: number;
  bandwidth: Bandwidth;
  /** The bare transfer of the pipelined copy's files, measured right after it: what bounds `client_cpu_ms_per_scan`. */
  transfer_floor: TransferFloor;
  /** client_cpu_ms_per_scan / transfer_floor.cpu_ms_per_scan. */
  client_cpu_to_floor: number;
  /**
   * The pipelined copy's CPU floor (everyone's CPU over this machine's cores) and the share of
   * it the sandboxes and PostgreSQL take alone, each over the ideal: above 1, this machine
   * cannot run the copy at its ideal whatever the client does.
   */
  cpu_floor_to_ideal: number;
  servers_floor_to_ideal: number;
  ideal: CloudBound;
  faults: string;
  pipelined: CopyRun;
  barrier: CopyRun | null;
  rss_growth_runs: RssGrowth | null;
}

/** Memory samples per copy: the trend across the run (10 %, 20 %, ... 100 % of its scans). */
const MEMORY_SAMPLES = 10;

export async function runCloudProfile(opts: CloudOptions): Promise<CloudResults> {
  const faults = cloudFaults();
  const largest = Math.max(opts.scans, opts.growthScans ?? 0);
  opts.log(`cloud: files under node_modules/.cache (made once), loopback bandwidth, ${opts.scans} scans${opts.growthScans ? ` and ${opts.growthScans}` : ''} at ${faults}`);
  const files = await ensureCloudFiles();
  const bandwidth = await measureLoopbackBandwidth();
  opts.log(`  loopback ${round(bandwidth.bytes_per_s / 1e6, 0)} MB/s over ${bandwidth.streams} streams`);
  const source = await startBenchSandbox({ engine: opts.engine, latency: { ms: 0, jitterMs: 0 }, faults });
  try {
    const warmUpScans = Math.min(WARM_UP_SCANS, opts.scans);
    const fixture = await writeFixture(source.dbUrl, warmUpScans + largest, undefined, cloudPlan(files));
    const warmUp = fixture.scanIds.slice(0, warmUpScans);
    const measured = fixture.scanIds.slice(warmUpScans);
    // The warm-up scans come first in the plan's order, so the measured ones keep the mix of their numbers.
    const copy = (scanIds: number[], barrier: boolean, label: string, idealMs?: number): Promise<CopyRun> =>
      measureCopy({
        engine: opts.engine, source, storeId: fixture.storeId, scanIds, barrier, limits: opts.limits, batchSize: opts.batchSize, workDir: opts.workDir,
        latency: { ms: CLOUD_LATENCIES.upload, jitterMs: CLOUD_LATENCIES.upload / 2 }, faults, label, idealMs,
        memoryEvery: barrier ? undefined : Math.max(1, Math.round(scanIds.length / MEMORY_SAMPLES)),
      });
    const idealOf = (scans: number): { plan: { files: number; bytes: number }; ideal: CloudBound } => {
      const plan = measuredPlan(files, warmUpScans, scans);
      return { plan, ideal: cloudBound({ scans, files: plan.files, bytes: plan.bytes, bandwidthBytesPerS: bandwidth.bytes_per_s, latencies: CLOUD_LATENCIES, limits: opts.limits }) };
    };
    opts.log(`  warm-up: copy of ${warmUpScans} scans, not measured`);
    await copy(warmUp, false, '-cloud-warm-up');
    const { plan, ideal } = idealOf(opts.scans);
    opts.log(`  ${plan.files} files, ${round(plan.bytes / 1e9, 2)} GB; ideal ${round(ideal.wallMs / 1000, 1)} s (${ideal.bottleneck})`);
    const pipelined = await copy(measured.slice(0, opts.scans), false, '-cloud', ideal.wallMs);
    opts.log(`  pipelined: ${pipelined.wall_s} s, ${pipelined.ratio_to_ideal}x its ideal, client CPU ${pipelined.cpu_s.client} s, peak RSS ${pipelined.peak_rss_mb} MB`);
    const floor = await measureTransferFloor(measuredFiles(files, warmUpScans, opts.scans).map((f) => f.size), opts.scans, opts.limits.upload);
    const clientMsPerScan = round((pipelined.cpu_s.client * 1000) / opts.scans, 2);
    opts.log(`  bare transfer of the same files: ${floor.cpu_ms_per_scan} ms of CPU per scan (${floor.cpu_ms_per_mb} ms per MB), the client ${round(clientMsPerScan / floor.cpu_ms_per_scan, 2)}x that`);
    let barrier: CopyRun | null = null;
    if (opts.barrier ?? true) {
      barrier = await copy(measured.slice(0, opts.scans), true, '-cloud', ideal.wallMs);
      opts.log(`  barrier: ${barrier.wall_s} s`);
    }
    let growth: RssGrowth | null = null;
    if (opts.growthScans !== undefined) {
      const large = idealOf(opts.growthScans);
      opts.log(`  growth: pipelined copy of ${opts.growthScans} scans (${large.plan.files} files, ${round(large.plan.bytes / 1e9, 1)} GB; ideal ${round(large.ideal.wallMs / 1000, 1)} s)`);
      const run = await copy(measured.slice(0, opts.growthScans), false, '-cloud-growth', large.ideal.wallMs);
      growth = {
        rss_growth: round(run.peak_rss_mb / pipelined.peak_rss_mb - 1),
        scans: [opts.scans, opts.growthScans],
        peak_rss_mb: [pipelined.peak_rss_mb, run.peak_rss_mb],
        runs: [pipelined, run],
      };
      opts.log(`  growth: ${run.wall_s} s, ${run.ratio_to_ideal}x its ideal, peak RSS ${run.peak_rss_mb} MB against ${pipelined.peak_rss_mb} MB (${round(growth.rss_growth * 100, 1)} %)`);
    }
    return {
      ratio_to_ideal: pipelined.ratio_to_ideal,
      speedup_vs_barrier: barrier ? round(barrier.wall_s / pipelined.wall_s) : null,
      peak_rss_mb: pipelined.peak_rss_mb,
      rss_growth: growth?.rss_growth ?? null,
      client_cpu_ms_per_scan: clientMsPerScan,
      scans: opts.scans,
      files: plan.files,
      gigabytes: round(plan.bytes / 1e9, 2),
      bandwidth,
      transfer_floor: floor,
      client_cpu_to_floor: round(clientMsPerScan / floor.cpu_ms_per_scan, 2),
      cpu_floor_to_ideal: round(pipelined.cpu_floor_s / pipelined.ideal_s, 2),
      servers_floor_to_ideal: round((pipelined.cpu_s.source + pipelined.cpu_s.target + pipelined.cpu_s.postgres) / availableParallelism() / pipelined.ideal_s, 2),
      ideal,
      faults,
      pipelined,
      barrier,
      rss_growth_runs: growth,
    };
  } finally {
    await source.close();
  }
}

/** Files and bytes of the measured scans, from the same plan the fixture was written with. */
function measuredPlan(files: CloudFiles, first: number, count: number): { files: number; bytes: number } {
  const planned = measuredFiles(files, first, count);
  return { files: planned.length, bytes: planned.reduce((sum, f) => sum + f.size, 0) };
}

function measuredFiles(files: CloudFiles, first: number, count: number): FixtureFile[] {
  return Array.from({ length: count }, (_, i) => cloudFilesOf(files, first + i)).flat();
}
