// `npm run build`: compile src/ into dist/, copy the files tsc leaves out, and stamp dist/
// with the fingerprint of the sources it was compiled from. The fingerprint is taken before
// compiling and the old stamp removed first, so a build that fails, or sources edited while
// it ran, leave dist/ unstamped and bin/scancopy on tsx.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceStamp, STAMP_FILE } from '../bin/source-stamp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = sourceStamp(root);
rmSync(join(root, STAMP_FILE), { force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const built = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
// tsc copies no non-TS files; the sandbox reads its schema at run time.
mkdirSync(join(root, 'dist', 'sandbox'), { recursive: true });
copyFileSync(join(root, 'src', 'sandbox', 'schema.sql'), join(root, 'dist', 'sandbox', 'schema.sql'));
writeFileSync(join(root, STAMP_FILE), `${stamp}\n`);
