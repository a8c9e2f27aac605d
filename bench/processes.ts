/**
 * Benchmark participants run as child processes (sandboxes, the copy, the download), so that
 * the CPU and memory measured for the client are its own. A child takes its input as one JSON
 * argument and answers with JSON lines on stdout; its stderr is kept for error messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { ScanCopyError } from '../src/core/errors.js';
import { builtBenchModule } from './build.js';

export interface Child {
  pid: number;
  /** The next JSON line the child prints. */
  next<T>(): Promise<T>;
  /** Resolves with the exit code once the child has ended. */
  exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

const STDERR_KEPT = 40;

/** Runs the compiled `bench/child/<name>.ts` (see build.ts) with plain node. */
export function startChild(name: string, input: unknown): Child {
  return startProcess(name, [builtBenchModule(`child/${name}`), JSON.stringify(input)]);
}

/** `./bin/scancopy ARGS` in its own process. */
export function startCli(args: string[]): Child {
  const bin = fileURLToPath(new URL('../bin/scancopy', import.meta.url));
  return startProcess(`scancopy ${args[0] ?? ''}`, [bin, ...args]);
}

/** Children still running; killed if the benchmark itself ends abruptly. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** `SCANCOPY_BENCH_CPU_PROF=DIR`: every child writes a V8 CPU profile into DIR (Node refuses --cpu-prof in NODE_OPTIONS). */
const PROFILE_FLAGS = process.env.SCANCOPY_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SCANCOPY_BENCH_CPU_PROF}`] : [];

function startProcess(name: string, args: string[]): Child {
  const child = spawn(process.execPath, [...PROFILE_FLAGS, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (child.pid === undefined) throw new ScanCopyError('INTERNAL', `could not start the ${name} child process`);
  const stderr: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > STDERR_KEPT) stderr.shift();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const failed = (why: string): ScanCopyError =>
    new ScanCopyError('INTERNAL', `the ${name} child ${why}`, { context: { stderr: stderr.join('\n') } });
  return {
    pid: child.pid,
    async next<T>(): Promise<T> {
      for (;;) {
        const line = await lines.next();
        if (line.done) {
          await exited;
          throw failed(`ended without an answer (exit ${String(child.exitCode)}):\n${stderr.slice(-15).join('\n')}`);
        }
        if (line.value.startsWith('{')) return JSON.parse(line.value) as T;
      }
    },
    exited,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
