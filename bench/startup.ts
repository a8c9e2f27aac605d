/**
 * How soon scancopy is at work: `./bin/scancopy --version` from spawn to exit, and a copy from
 * spawn to the first byte it sends to an instance (API or database, whichever it reaches
 * first). The instance is a bare TCP listener on the loopback that records when a connection
 * first carries data and answers nothing; the copy is killed once that byte is in.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distIsCurrent } from '../bin/source-stamp.mjs';
import { median, round } from './copy.js';
import { processCpuMs } from './cpu.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/scancopy', import.meta.url));

export interface StartupRun {
  /** What bin/scancopy ran: compiled dist/ (current) or the sources through tsx. */
  runtime: 'dist' | 'tsx';
  runs: number;
  version_ms: number;
  copy_first_byte_ms: number;
  /** CPU the copy process had used by its first byte: what the wall time comes to on an idle machine. */
  copy_first_byte_cpu_ms: number;
  /** The larger of the two medians: the figure held against 300 ms. */
  startup_ms: number;
}

/** Builds dist/ when it is not current, as `npm ci` would have: the figure is an installed scancopy's. Returns whether it built. */
export function ensureDistCurrent(): boolean {
  if (distIsCurrent(ROOT)) return false;
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`npm run build failed (exit ${String(built.status)})`);
  return true;
}

export async function measureStartup(runs = 5): Promise<StartupRun> {
  const version: number[] = [];
  const firstByte: number[] = [];
  const firstByteCpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    version.push(await timeVersion());
    const copy = await timeCopyFirstByte();
    firstByte.push(copy.wallMs);
    firstByteCpu.push(copy.cpuMs);
  }
  const versionMs = Math.round(median(version));
  const firstByteMs = Math.round(median(firstByte));
  return { runtime: distIsCurrent(ROOT) ? 'dist' : 'tsx', runs, version_ms: versionMs, copy_first_byte_ms: firstByteMs, copy_first_byte_cpu_ms: Math.round(median(firstByteCpu)), startup_ms: round(Math.max(versionMs, firstByteMs), 0) };
}

async function timeVersion(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, '--version'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`scancopy --version exited ${String(code)}`);
  return performance.now() - started;
}

async function timeCopyFirstByte(): Promise<{ wallMs: number; cpuMs: number }> {
  const sockets = new Set<Socket>();
  let first: (() => void) | undefined;
  const reached = new Promise<void>((resolve) => (first = resolve));
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => first?.());
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const at = `127.0.0.1:${port}`;
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } as Record<string, string>;
  for (const role of ['SOURCE', 'TARGET']) Object.assign(env, { [`SCANCOPY_${role}_USERNAME`]: 'bench', [`SCANCOPY_${role}_PASSWORD`]: 'bench', [`SCANCOPY_${role}_DB_PASSWORD`]: '' });
  const args = ['copy', '--source-api', `http://${at}`, '--source-db', `postgres://bench@${at}/src`, '--target-api', `http://${at}`, '--target-db', `postgres://bench@${at}/dst`, '--scans', '1', '--target-store', '1'];
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env, cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  try {
    const ended = await Promise.race([reached.then(() => false), exited.then(() => true)]);
    if (ended) throw new Error(`the copy ended before it sent a byte: ${stderr.trim()}`);
    const wallMs = performance.now() - started;
    return { wallMs, cpuMs: processCpuMs(child.pid as number) };
  } finally {
    child.kill('SIGKILL');
    await exited;
    for (const socket of sockets) socket.destroy();
    server.close();
  }
}
