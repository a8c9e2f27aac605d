/**
 * The peer for the download benchmark: `aria2c -j 20 -i list` fetching the same pre-signed
 * URLs scancopy downloads, into its own folder, timed from spawn to exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanCopyError } from '../src/core/errors.js';
import { watchProcess } from './rss.js';

export interface Aria2Result {
  version: string;
  wallMs: number;
  files: number;
  bytes: number;
  peakRssMb: number;
  cpuMs: number;
}

/** aria2c's version line, or undefined when it is not installed. */
export function aria2Version(): string | undefined {
  const probe = spawnSync('aria2c', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return undefined;
  return probe.stdout.split('\n')[0]?.trim();
}

export async function fetchWithAria2(items: ReadonlyArray<{ url: string; out: string }>, dir: string, jobs: number): Promise<Aria2Result> {
  const version = aria2Version();
  if (!version) throw new ScanCopyError('USAGE', 'aria2c is not installed', { hint: 'apt-get install -y aria2' });
  await mkdir(dir, { recursive: true });
  const list = join(dir, '..', 'aria2-input.txt');
  await writeFile(list, items.map((item) => `${item.url}\n  out=${item.out}\n`).join(''));
  const args = [
    '-j', String(jobs), '-i', list, '-d', dir,
    // One connection per file (100 KB files are never split) and no pre-allocation, so it
    // does what scancopy does: one GET per file, written as it arrives.
    '--max-connection-per-server=1', '--split=1', '--file-allocation=none',
    '--allow-overwrite=true', '--auto-file-renaming=false',
    '--console-log-level=error', '--summary-interval=0', '--download-result=hide', '--quiet=true',
  ];
  const started = performance.now();
  const child = spawn('aria2c', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const rss = watchProcess(child.pid ?? 0, 50);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallMs = performance.now() - started;
  const { peakRssMb, cpuMs } = await rss.stop();
  if (code !== 0) throw new ScanCopyError('INTERNAL', `aria2c exited with ${String(code)}: ${stderr.slice(0, 500)}`);
  const names = await readdir(dir);
  let bytes = 0;
  for (const name of names) bytes += (await stat(join(dir, name))).size;
  return { version, wallMs, files: names.length, bytes, peakRssMb, cpuMs };
}
