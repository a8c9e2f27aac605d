/**
 * In each test worker: removing anything under the run's temporary folder moves it aside
 * instead, so the secret audit at the end of the run still reads every file the run wrote.
 * Only paths under that folder are affected; removal semantics (force, missing paths) hold.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename, join, resolve, sep } from 'node:path';

const runTmp = process.env.SCANCOPY_TEST_AUDIT_TMP;
let moved = 0;

function aside(path: fs.PathLike): string | undefined {
  if (!runTmp || typeof path !== 'string') return undefined;
  const full = resolve(path);
  if (!full.startsWith(runTmp + sep) || full.startsWith(join(runTmp, '.removed'))) return undefined;
  return join(runTmp, '.removed', `${process.pid}-${++moved}-${basename(full)}`);
}

if (runTmp) {
  const { rm, unlink } = fs.promises;
  const { rmSync, unlinkSync } = fs;
  const isDir = (p: string): boolean => fs.lstatSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  fs.promises.rm = async (path, options) => {
    const to = aside(path);
    if (!to || !fs.existsSync(path) || (isDir(path as string) && !options?.recursive)) return rm(path, options);
    await fs.promises.rename(path, to);
  };
  fs.promises.unlink = async (path) => {
    const to = aside(path);
    if (!to || !fs.existsSync(path) || isDir(path as string)) return unlink(path);
    await fs.promises.rename(path, to);
  };
  fs.rmSync = (path, options) => {
    const to = aside(path);
    if (!to || !fs.existsSync(path) || (isDir(path as string) && !options?.recursive)) return rmSync(path, options);
    fs.renameSync(path, to);
  };
  fs.unlinkSync = (path) => {
    const to = aside(path);
    if (!to || !fs.existsSync(path) || isDir(path as string)) return unlinkSync(path);
    fs.renameSync(path, to);
  };
  syncBuiltinESMExports();
}
