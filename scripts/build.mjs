// `npm run build`: compile src/ into dist/, bundle the command line, copy the files tsc
// leaves out, and stamp dist/ with the fingerprint of the sources it was compiled from. The
// fingerprint is taken before compiling and the old stamp removed first, so a build that
// fails, or sources edited while it ran, leave dist/ unstamped and bin/scancopy on tsx.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sourceStamp, STAMP_FILE } from '../bin/source-stamp.mjs';

/**
 * The packages a command's start loads (pg just after it, on the first query), bundled into
 * the command line with our own modules: loaded as hundreds of separate modules (zod alone
 * is 95 files) they cost a copy's start more CPU than anything else before its first byte
 * (bench/README.md, start-up). Every other dependency stays external: those with native or
 * wasm parts (sharp, PGlite, sql.js) and those only some commands load (fastify, exceljs,
 * the prompts), each on its first use. pg-native and pg-cloudflare are optional peers that
 * pg requires only when asked to.
 */
const BUNDLED = new Set(['cli-progress', 'commander', 'csv-parse', 'csv-stringify', 'pg', 'undici', 'zod']);

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = sourceStamp(root);
rmSync(join(root, STAMP_FILE), { force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const built = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

// tsc compiled the package's exports (the SDK and the sandbox, with their types); the command
// line is bundled instead (tsconfig.build.json leaves src/cli out), into a dist/cli/ emptied
// first so that no chunk of an earlier build stays.
const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
rmSync(join(root, 'dist', 'cli'), { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outdir: join(root, 'dist', 'cli'),
  bundle: true,
  // Each command, and each package loaded on first use, stays in a chunk of its own, beside main.js.
  splitting: true,
  chunkNames: '[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  external: [...Object.keys(dependencies).filter((name) => !BUNDLED.has(name)), 'pg-native', 'pg-cloudflare'],
  // The bundled CommonJS packages require node's own modules, which an ES module can only do through a require of its own.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module';\nconst require = createRequireForBundle(import.meta.url);" },
});

// tsc copies no non-TS files; the sandbox reads its schema at run time, next to its module
// (the command line's sandbox is in dist/cli/).
for (const dir of ['sandbox', 'cli']) {
  mkdirSync(join(root, 'dist', dir), { recursive: true });
  copyFileSync(join(root, 'src', 'sandbox', 'schema.sql'), join(root, 'dist', dir, 'schema.sql'));
}
writeFileSync(join(root, STAMP_FILE), `${stamp}\n`);
