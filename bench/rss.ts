/**
 * Peak resident memory of another process, read from /proc/<pid>/status (VmHWM, the
 * kernel's high-water mark), so the figure is the measured process's own and the sampling
 * costs it nothing. Sampled until the process exits; a Node child also reports its own peak
 * at the end, which catches a last-moment rise between two samples. The CPU time is that of
 * the last sample, for processes (aria2c) that cannot report it themselves.
 */
import { readFile } from 'node:fs/promises';
import { processCpuMs } from './cpu.js';

export interface ProcessWatch {
  /** Stops sampling: the highest VmHWM seen in MB, and the CPU time last seen (0 where /proc is absent). */
  stop(): Promise<{ peakRssMb: number; cpuMs: number }>;
}

export function watchProcess(pid: number, intervalMs = 100): ProcessWatch {
  let peakKb = 0;
  let cpuMs = 0;
  let stopped = false;
  const sample = async (): Promise<void> => {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
      if (kb > peakKb) peakKb = kb;
      cpuMs = Math.max(cpuMs, processCpuMs(pid));
    } catch {
      // gone already, or no /proc (macOS, Windows)
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { peakRssMb: peakKb / 1024, cpuMs };
    },
  };
}
