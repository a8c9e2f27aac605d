/** The benchmark's table on stdout: the headline figures against their targets, then every run. */
import type { CloudResults, RssGrowth } from './cloud.js';
import type { CopyRun } from './copy.js';
import type { DownloadRun } from './download.js';

export interface BenchResults {
  profile: string;
  startup_ms: number;
  cloud: CloudResults;
  adaptive: { ratio_to_limit: number; told_ratio_to_limit: number; ratio_to_told: number; throttled_429: number; upload_limit: number };
  copy: { ratio_to_ideal: number; ratio_to_cpu_floor: number; speedup_vs_barrier: number; peak_rss_mb: number; rss_growth: number | null; runs: CopyRun[]; control: CopyRun };
  download: DownloadRun;
  machine: { cpus: number; node: string; os: string; database: string; load_average_before: number[]; cpu_calibration_ms: { before: number; after: number } };
}

type Row = [figure: string, value: string, target: string, verdict: string];

export function printTable(r: BenchResults): void {
  const check = (value: number | null, ok: (v: number) => boolean): string => (value === null ? 'n/a' : ok(value) ? 'met' : 'NOT met');
  const show = (value: number | null, unit = ''): string => (value === null ? 'n/a' : `${value}${unit}`);
  const headline: Row[] = [
    ['cloud.ratio_to_ideal', `${r.cloud.ratio_to_ideal}x (${r.cloud.scans} scans, ${r.cloud.gigabytes} GB; CPU floor ${r.cloud.cpu_floor_to_ideal}x, servers alone ${r.cloud.servers_floor_to_ideal}x)`, '<= 1.10x', check(r.cloud.ratio_to_ideal, (v) => v <= 1.1)],
    ['cloud.speedup_vs_barrier', show(r.cloud.speedup_vs_barrier, 'x'), '>= 4x', check(r.cloud.speedup_vs_barrier, (v) => v >= 4)],
    ['cloud.peak_rss_mb', `${r.cloud.peak_rss_mb} MB`, '< 250 MB', check(r.cloud.peak_rss_mb, (v) => v < 250)],
    ['cloud.rss_growth', r.cloud.rss_growth_runs === null ? 'n/a (full profile, or --rss-growth)' : growthText(r.cloud.rss_growth_runs), '<= 10 %', check(r.cloud.rss_growth, (v) => Math.abs(v) <= 0.1)],
    ['cloud.client_cpu_ms_per_scan', `${r.cloud.client_cpu_ms_per_scan} ms (${r.cloud.client_cpu_to_floor}x a bare transfer's ${r.cloud.transfer_floor.cpu_ms_per_scan} ms)`, '<= 3 ms', check(r.cloud.client_cpu_ms_per_scan, (v) => v <= 3)],
    ['startup_ms', `${r.startup_ms} ms`, '<= 300 ms', check(r.startup_ms, (v) => v <= 300)],
    ['copy.ratio_to_ideal', show(r.copy.ratio_to_ideal, 'x'), '<= 1.25x', check(r.copy.ratio_to_ideal, (v) => v <= 1.25)],
    ['copy.ratio_to_cpu_floor', show(r.copy.ratio_to_cpu_floor, 'x'), '<= 1.15x', check(r.copy.ratio_to_cpu_floor, (v) => v <= 1.15)],
    ['adaptive.ratio_to_limit', `${r.adaptive.ratio_to_limit}x (${r.adaptive.throttled_429} x 429, limit ${r.adaptive.upload_limit}; told the limit ${r.adaptive.told_ratio_to_limit}x)`, '>= 0.9x', check(r.adaptive.ratio_to_limit, (v) => v >= 0.9)],
    ['copy.speedup_vs_barrier', show(r.copy.speedup_vs_barrier, 'x'), '>= 2x', check(r.copy.speedup_vs_barrier, (v) => v >= 2)],
    ['copy.peak_rss_mb', show(r.copy.peak_rss_mb, ' MB'), '< 200 MB', check(r.copy.peak_rss_mb, (v) => v < 200)],
    ['copy.rss_growth', r.copy.rss_growth === null ? 'n/a (full profile)' : `${Math.round(r.copy.rss_growth * 1000) / 10} %`, '<= 20 %', check(r.copy.rss_growth, (v) => Math.abs(v) <= 0.2)],
    ['download.ratio_to_aria2', r.download.ratio_to_aria2 === null ? `n/a (${'skipped' in r.download.aria2c ? r.download.aria2c.skipped : ''})` : `${r.download.ratio_to_aria2}x`, '<= 1.3x', check(r.download.ratio_to_aria2, (v) => v <= 1.3)],
  ];
  print(['figure', 'value', 'target', ''], headline);

  console.log('');
  const cloudRuns = [r.cloud.pipelined, r.cloud.barrier, r.cloud.rss_growth_runs?.runs[1]].filter((c): c is CopyRun => c !== null && c !== undefined);
  const runs = [...cloudRuns, ...r.copy.runs, r.copy.control].map((c) => [
    `copy ${c.mode} ${cloudRuns.includes(c) ? 'cloud' : `${c.latency_ms} ms`}`, String(c.scans), `${c.wall_s}`, `${c.scans_per_s}`, `${c.ideal_s}`, `${c.ratio_to_ideal}x`, `${c.peak_rss_mb}`,
    `${c.cpu_s.client} / ${c.cpu_s.source} / ${c.cpu_s.target} / ${c.cpu_s.postgres}`, `${c.cpu_floor_s} (${c.ratio_to_cpu_floor}x)`, `${Math.round(c.machine_busy * 100)} %`,
  ]);
  const d = r.download;
  runs.push([
    'download scancopy', String(d.scans), `${d.scancopy.wall_s}`, `${d.scancopy.mb_per_s} MB/s`, '', '', `${d.scancopy.peak_rss_mb}`,
    `${d.scancopy.cpu_s} / ${d.scancopy.source_cpu_s} / - / ${d.scancopy.postgres_cpu_s}`, '', `${Math.round(d.scancopy.machine_busy * 100)} %`,
  ]);
  if (!('skipped' in d.aria2c)) {
    runs.push([
      'download aria2c', String(d.scans), `${d.aria2c.wall_s}`, `${d.aria2c.mb_per_s} MB/s`, '', '', `${d.aria2c.peak_rss_mb}`,
      `${d.aria2c.cpu_s} / ${d.aria2c.source_cpu_s} / - / ${d.aria2c.postgres_cpu_s}`, '', `${Math.round(d.aria2c.machine_busy * 100)} %`,
    ]);
  }
  print(['run', 'N', 'wall s', 'scans/s', 'ideal s', 'ratio', 'peak RSS MB', 'CPU s client/source/target/pg', 'CPU floor s (wall/floor)', 'machine busy'], runs);
  console.log(`\n${r.profile} profile; ${r.machine.cpus} CPUs, Node ${r.machine.node}, ${r.machine.os}, ${r.machine.database}; load before ${r.machine.load_average_before.join(' ')}; CPU calibration ${r.machine.cpu_calibration_ms.before} ms before, ${r.machine.cpu_calibration_ms.after} ms after`);
}

/** `--rss-growth` alone: the figure, and each copy's memory as its scans settled. */
export function printGrowth(g: RssGrowth & { machine: { load_average_before: number[] } }): void {
  print(['figure', 'value', 'target', ''], [['cloud.rss_growth', growthText(g), '<= 10 %', Math.abs(g.rss_growth) <= 0.1 ? 'met' : 'NOT met']]);
  for (const run of g.runs) {
    console.log(`\npipelined cloud copy of ${run.scans} scans: ${run.wall_s} s, ${run.ratio_to_ideal}x its ideal, client CPU ${run.cpu_s.client} s, peak RSS ${run.peak_rss_mb} MB`);
    print(['scans settled', 'RSS MB', 'peak RSS MB', 'heap used MB', 'heap total MB', 'array buffers MB'], (run.memory ?? []).map((m) => [m.scans, m.rssMb, m.peakRssMb, m.heapUsedMb, m.heapTotalMb, m.arrayBuffersMb].map(String)));
  }
  console.log(`\nload before ${g.machine.load_average_before.join(' ')}`);
}

function growthText(g: RssGrowth): string {
  return `${Math.round(g.rss_growth * 1000) / 10} % (${g.peak_rss_mb[1]} MB at ${g.scans[1]} scans, ${g.peak_rss_mb[0]} MB at ${g.scans[0]})`;
}

function print(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
}
