/**
 * A folder scancopy is about to write into is checked before any work: created when
 * missing, then proven writable with a probe file. A path that is a file, a folder without
 * write permission or one on a read-only file system is one USAGE error saying which.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanCopyError } from './errors.js';

/** `what` names the folder for the user, e.g. `results folder`; `hint` says how to give another. */
export async function ensureWritableDir(dir: string, what: string, hint: string): Promise<void> {
  const refuse = (problem: string, cause?: unknown): never => {
    throw new ScanCopyError('USAGE', `the ${what} ${dir} ${problem}`, { hint, cause, context: { path: dir } });
  };
  const explain = (err: unknown): never => {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') return refuse('is a file, or inside one, not a folder', err);
    if (code === 'EROFS') return refuse('is on a read-only file system', err);
    if (code === 'EACCES' || code === 'EPERM') return refuse('is not writable (permission denied)', err);
    if (code === 'ENOSPC' || code === 'EDQUOT') return refuse('is on a full disk', err);
    return refuse(`cannot be written: ${(err as Error).message}`, err);
  };
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    explain(err);
  }
  if (!(await stat(dir)).isDirectory()) refuse('is a file, not a folder');
  const probe = join(dir, `.scancopy-write-check-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(probe, 'wx');
    await handle.close();
  } catch (err) {
    explain(err);
  }
  await rm(probe, { force: true });
}
