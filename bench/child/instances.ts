/**
 * What the benchmark children share: the instances, opened as the CLI opens them, their own
 * usage, and the one JSON line they answer with. Kept free of the parent's modules (build.ts
 * loads TypeScript, 70 MB the measured client must not carry).
 */
import { openInstance, type Instance } from '../../src/platform/instance.js';
import type { ApiEvent } from '../../src/platform/api.js';
import type { Stage } from '../../src/platform/stages.js';

export interface SandboxAddress {
  apiUrl: string;
  dbUrl: string;
  username: string;
  password: string;
}

export function openSandbox(name: string, sandbox: SandboxAddress, limits: Record<Stage, number>, onEvent?: (event: ApiEvent) => void): Promise<Instance> {
  return openInstance({ name, ...sandbox }, { limits, onEvent });
}

export interface SelfUsage {
  /** CPU time since `startUsage()`: the work measured, not module loading. */
  cpuMs: number;
  /** Resident memory when `startUsage()` was called: the process before any work. */
  startRssMb: number;
  /** Peak resident memory of the whole life of the process. */
  peakRssMb: number;
}

/** What a child reports about itself besides its result. */
export function startUsage(): { end(): SelfUsage } {
  const cpu = process.cpuUsage();
  const startRssMb = process.memoryUsage().rss / 2 ** 20;
  return {
    end: () => {
      const used = process.cpuUsage(cpu);
      return { cpuMs: (used.user + used.system) / 1000, startRssMb, peakRssMb: process.resourceUsage().maxRSS / 1024 };
    },
  };
}

/** The process's memory after `scans` scans have settled, in MB: where a growth would show. */
export interface MemorySample {
  scans: number;
  /** Resident now, and the most resident so far (VmHWM). */
  rssMb: number;
  peakRssMb: number;
  /** V8's heap: in use (live objects and garbage not yet collected) and reserved. */
  heapUsedMb: number;
  heapTotalMb: number;
  /** Buffers outside the heap (file bytes, socket chunks). */
  arrayBuffersMb: number;
}

export function memorySample(scans: number): MemorySample {
  const m = process.memoryUsage();
  const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
  return { scans, rssMb: mb(m.rss), peakRssMb: mb(process.resourceUsage().maxRSS * 1024), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), arrayBuffersMb: mb(m.arrayBuffers) };
}

/** The child's answer to its parent: one JSON line on stdout. */
export function answer(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
