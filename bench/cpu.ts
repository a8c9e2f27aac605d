/**
 * CPU time, to tell a latency-bound run from a CPU-bound one: per process from
 * /proc/<pid>/stat (user + system), and for the whole machine from /proc/stat (which counts
 * everyone's work, other users' included). Zero where /proc is absent.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports stat times in clock ticks of 1/100 s on every common build. */
const TICK_MS = 10;

export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * CPU time of every live PostgreSQL process (the server and its backends). Backends that end
 * during a run take their time with them, and other users' queries count too: an estimate.
 */
export function postgresCpuMs(): number {
  let total = 0;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += processCpuMs(Number(pid));
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

export interface MachineCpu {
  busyMs: number;
  totalMs: number;
}

/** Busy and total CPU time of all cores since boot. */
export function machineCpu(): MachineCpu {
  try {
    const [line = ''] = readFileSync('/proc/stat', 'utf8').split('\n');
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busyMs: (total - idle) * TICK_MS, totalMs: total * TICK_MS };
  } catch {
    return { busyMs: 0, totalMs: 0 };
  }
}

/** The share of the machine's CPU that was busy between two readings, 0 to 1. */
export function busyShare(before: MachineCpu, after: MachineCpu): number {
  const total = after.totalMs - before.totalMs;
  return total > 0 ? (after.busyMs - before.busyMs) / total : 0;
}
