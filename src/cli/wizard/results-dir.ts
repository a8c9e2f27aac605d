/**
 * Step 1.5 (results path) and the download folder: the default, the last one used, or a
 * path typed now. The folder is created and proven writable before the run needs it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expandHome } from '../../core/paths.js';
import { ask, choose, InvalidAnswer, type Choice } from './prompts.js';

export interface FolderQuestion {
  /** `Results folder`, `Download folder`. */
  label: string;
  /** As shown, e.g. `./testResults/`. */
  defaultPath: string;
  lastUsed?: string;
  cwd: string;
  print: (line: string) => void;
}

export async function askFolder(q: FolderQuestion): Promise<string> {
  const defaultAbs = resolve(q.cwd, q.defaultPath);
  const choices: Array<Choice<string>> = [{ name: `Default (${q.defaultPath})`, value: 'default' }];
  const last = q.lastUsed ? resolve(q.cwd, expandHome(q.lastUsed)) : undefined;
  if (last && last !== defaultAbs) choices.push({ name: `Last used (${last})`, value: 'last' });
  choices.push({ name: 'Custom path', value: 'custom' });
  for (;;) {
    const choice = await choose(`${q.label}:`, choices);
    const dir = choice === 'default' ? defaultAbs : choice === 'last' && last ? last : undefined;
    if (dir === undefined) return ask(`${q.label} path:`, (text) => prepareFolder(q.cwd, text));
    try {
      return await prepareFolder(q.cwd, dir);
    } catch (err) {
      q.print(`  ${(err as Error).message} Choose another.`);
    }
  }
}

/** Creates the folder and writes a probe file in it; the reason names what failed. */
export async function prepareFolder(cwd: string, text: string): Promise<string> {
  if (!text) throw new InvalidAnswer('Please type a folder path.');
  const dir = resolve(cwd, expandHome(text));
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new InvalidAnswer(`Cannot create ${dir}: ${codeOf(err)}.`);
  }
  const probe = join(dir, `.scancopy-write-test-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, '');
  } catch (err) {
    throw new InvalidAnswer(`Cannot write in ${dir}: ${codeOf(err)}.`);
  } finally {
    await rm(probe, { force: true });
  }
  return dir;
}

function codeOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way';
  if (code === 'EROFS') return 'read-only file system';
  return code ?? String(err);
}
