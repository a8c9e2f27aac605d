/**
 * Download measurement: downloadScanImages in its own process, then aria2c fetching the same
 * files' pre-signed URLs (resolved through the metadata call just before, and timed apart).
 */
import { join } from 'node:path';
import { PlatformApi } from '../src/platform/api.js';
import { aria2Version, fetchWithAria2 } from './aria2.js';
import { round } from './copy.js';
import { busyShare, machineCpu, postgresCpuMs, processCpuMs } from './cpu.js';
import { startChild } from './processes.js';
import { watchProcess } from './rss.js';
import type { BenchSandbox } from './sandboxes.js';

export interface DownloadMeasureOptions {
  source: BenchSandbox;
  scanIds: number[];
  workers: number;
  workDir: string;
}

export interface DownloadSide {
  wall_s: number;
  files: number;
  mb_per_s: number;
  peak_rss_mb: number;
}

export interface DownloadRun {
  scans: number;
  files: number;
  scancopy: DownloadSide & { failed: number; cpu_s: number; source_cpu_s: number; postgres_cpu_s: number; machine_busy: number };
  aria2c: (DownloadSide & { version: string; cpu_s: number; source_cpu_s: number; postgres_cpu_s: number; machine_busy: number; url_list_s: number }) | { skipped: string };
  /** Ours / aria2c's fetch of the ready list. */
  ratio_to_aria2: number | null;
  /** Ours / (resolving the URLs + aria2c's fetch): what getting there with aria2c costs in all. */
  ratio_to_aria2_with_urls: number | null;
}

interface ChildAnswer {
  wallMs: number;
  downloaded: number;
  failed: number;
  failures: unknown[];
  bytes: number;
  files: Array<{ fileId: number; fileName: string }>;
  cpuMs: number;
  peakRssMb: number;
}

export async function measureDownload(opts: DownloadMeasureOptions): Promise<DownloadRun> {
  const sourceCpu = processCpuMs(opts.source.pid);
  const pgCpu = postgresCpuMs();
  const machine = machineCpu();
  const child = startChild('download', {
    source: { apiUrl: opts.source.apiUrl, dbUrl: opts.source.dbUrl, username: opts.source.username, password: opts.source.password },
    scanIds: opts.scanIds,
    workers: opts.workers,
    outDir: join(opts.workDir, 'download-scancopy'),
  });
  const rss = watchProcess(child.pid);
  const ours = await child.next<ChildAnswer>();
  await child.exited;
  const oursSide = {
    wall_s: round(ours.wallMs / 1000),
    files: ours.downloaded,
    mb_per_s: round(ours.bytes / 2 ** 20 / (ours.wallMs / 1000)),
    peak_rss_mb: round(Math.max((await rss.stop()).peakRssMb, ours.peakRssMb)),
    failed: ours.failed,
    cpu_s: round(ours.cpuMs / 1000),
    source_cpu_s: round((processCpuMs(opts.source.pid) - sourceCpu) / 1000),
    postgres_cpu_s: round(Math.max(0, postgresCpuMs() - pgCpu) / 1000),
    machine_busy: round(busyShare(machine, machineCpu())),
  };
  if (ours.failed > 0) process.stderr.write(`bench: ${ours.failed} downloads failed; first: ${JSON.stringify(ours.failures)}\n`);
  const base = { scans: opts.scanIds.length, files: ours.files.length, scancopy: oursSide };
  if (!aria2Version()) {
    return { ...base, aria2c: { skipped: 'aria2c is not installed (apt-get install -y aria2)' }, ratio_to_aria2: null, ratio_to_aria2_with_urls: null };
  }

  const listed = await listUrls(opts.source, ours.files, opts.workers);
  const peerCpu = processCpuMs(opts.source.pid);
  const peerPgCpu = postgresCpuMs();
  const peerMachine = machineCpu();
  const peer = await fetchWithAria2(listed.items, join(opts.workDir, 'download-aria2c'), opts.workers);
  const peerSide = {
    version: peer.version,
    wall_s: round(peer.wallMs / 1000),
    files: peer.files,
    mb_per_s: round(peer.bytes / 2 ** 20 / (peer.wallMs / 1000)),
    peak_rss_mb: round(peer.peakRssMb),
    cpu_s: round(peer.cpuMs / 1000),
    source_cpu_s: round((processCpuMs(opts.source.pid) - peerCpu) / 1000),
    postgres_cpu_s: round(Math.max(0, postgresCpuMs() - peerPgCpu) / 1000),
    machine_busy: round(busyShare(peerMachine, machineCpu())),
    url_list_s: round(listed.ms / 1000),
  };
  return {
    ...base,
    aria2c: peerSide,
    ratio_to_aria2: round(ours.wallMs / peer.wallMs),
    ratio_to_aria2_with_urls: round(ours.wallMs / (peer.wallMs + listed.ms)),
  };
}

/** Each file's pre-signed URL through the platform client (20 metadata calls at a time), named as scancopy named it. */
async function listUrls(source: BenchSandbox, files: ChildAnswer['files'], workers: number): Promise<{ items: Array<{ url: string; out: string }>; ms: number }> {
  const api = new PlatformApi({ baseUrl: source.apiUrl, username: source.username, password: source.password, limits: { download: workers } });
  try {
    await api.login();
    const started = performance.now();
    const items = await Promise.all(files.map(async (f) => ({ url: (await api.getFileMeta(f.fileId)).file, out: f.fileName })));
    return { items, ms: performance.now() - started };
  } finally {
    await api.close();
  }
}
