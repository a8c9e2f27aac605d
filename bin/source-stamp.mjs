// The fingerprint of what dist/ is compiled from: every file under src/ (path and content)
// and the compiler settings. The build writes it beside its output; bin/scancopy runs dist/
// only while the sources still have it, so an edit, a checkout or a half-finished build
// falls back to tsx instead of running stale JavaScript.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const STAMP_FILE = join('dist', '.source-stamp');

const INPUTS = ['tsconfig.json', 'tsconfig.build.json'];

export function sourceStamp(root) {
  const hash = createHash('sha256');
  const files = readdirSync(join(root, 'src'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
  for (const file of [...INPUTS.map((f) => join(root, f)), ...files]) {
    hash.update(relative(root, file).split(sep).join('/')).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** Whether dist/ was built from the sources as they are now. */
export function distIsCurrent(root) {
  try {
    return readFileSync(join(root, STAMP_FILE), 'utf8').trim() === sourceStamp(root);
  } catch {
    return false;
  }
}
