/**
 * A lock file held by one process: created exclusively (`wx`), holding the holder's pid, its
 * start time (field 22 of /proc/PID/stat) and host. A holder is gone when its pid is not
 * running, or runs with another start time: the pid was reused by an unrelated process
 * after a kill -9, which a pid alone cannot tell.
 *
 * Why not proper-lockfile: it judges a lock stale by an mtime its holder must refresh on a
 * timer, so a holder stalled longer than the stale time (a suspended laptop, a loaded
 * 2-core box) loses its lock while still running, and a killed holder blocks others for that
 * time. The pid and its start time answer "is the holder alive" exactly on one host.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export interface LockHolder {
  pid: number;
  /** Clock ticks after boot at which the process started; null where /proc is not there. */
  startTime: string | null;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Distinguishes two takes of one lock by one process. */
  nonce: string;
}

export type LockAttempt = { taken: true; release: () => Promise<void> } | { taken: false; holder: LockHolder };

/** The start time of a process, or null when it is not running or /proc is absent. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `holder` still runs (another host's holder counts as running). */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (holder.startTime === null) return true;
  const now = processStartTime(holder.pid);
  return now === null || now === holder.startTime;
}

export function currentHolder(): LockHolder {
  return { pid: process.pid, startTime: processStartTime(process.pid), host: hostname(), since: new Date().toISOString(), nonce: randomBytes(8).toString('hex') };
}

/** One attempt: taken, or the live holder. A dead holder's lock is taken over. */
export async function tryLock(path: string): Promise<LockAttempt> {
  await mkdir(dirname(path), { recursive: true });
  for (let round = 0; round < 5; round++) {
    const me = currentHolder();
    if (await publish(path, me)) return { taken: true, release: () => releaseIfMine(path, me.nonce) };
    const holder = await readHolder(path);
    if (holder && holderAlive(holder)) return { taken: false, holder };
    await takeOver(path, holder);
  }
  const holder = await readHolder(path);
  if (holder) return { taken: false, holder };
  throw new Error(`cannot take the lock ${path}: it keeps changing hands`);
}

/**
 * Writes the holder to a file of its own, then links it in place: the lock file appears
 * whole or not at all (link fails when it exists), so no one reads a half-written holder.
 */
async function publish(path: string, me: LockHolder): Promise<boolean> {
  const temp = `${path}.${me.nonce}.new`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(JSON.stringify(me));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Moves a dead holder's file away. Two processes may judge the same file dead at once: the
 * one whose rename moved a fresh lock (not the dead holder it judged) puts it back, so
 * the winner keeps its lock.
 */
async function takeOver(path: string, judged: LockHolder | undefined): Promise<void> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readHolder(aside);
  if (moved && moved.nonce !== judged?.nonce) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}

/** The holder of the lock at `path` while it runs; undefined when the lock is free or its holder gone. */
export async function liveHolder(path: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(path);
  return holder && holderAlive(holder) ? holder : undefined;
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    if (typeof data.pid !== 'number') return undefined;
    return { pid: data.pid, startTime: data.startTime ?? null, host: data.host ?? hostname(), since: data.since ?? '', nonce: data.nonce ?? '' };
  } catch {
    // Gone, or not a holder at all (published whole, so never half-written): nobody holds it.
    return undefined;
  }
}

async function releaseIfMine(path: string, nonce: string): Promise<void> {
  const holder = await readHolder(path);
  if (holder?.nonce === nonce) await rm(path, { force: true });
}

/** The holder for a message: `pid 123 on host, since 2026-12-01T10:00:00Z`. */
export function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.host}${holder.since ? `, since ${holder.since}` : ''}`;
}
