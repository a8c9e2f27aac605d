/**
 * The measured clients run as compiled JavaScript, as an installed scancopy runs (dist/), not
 * through tsx: tsx's loader thread and transform caches add some 70 MB of resident memory
 * that is no part of the client. Every module of src/ and bench/ is transpiled file by file
 * (no type check: `tsc --noEmit` does that) into node_modules/.cache, so package imports
 * still resolve and dist/ is left alone.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Caches of the benchmark, inside node_modules so that the compiled modules' package imports resolve. */
export const CACHE_DIR = join(ROOT, 'node_modules', '.cache');
/**
 * `SCANCOPY_BENCH_BUILD_DIR` (under CACHE_DIR) gives a run its own build, so a smoke test
 * never replaces the modules a benchmark's children are loading.
 */
export const BUILD_DIR = process.env.SCANCOPY_BENCH_BUILD_DIR ?? join(CACHE_DIR, 'scancopy-bench');

/** Transpiles src/ and bench/ into BUILD_DIR; returns the number of modules. */
export async function buildForBench(): Promise<number> {
  await rm(BUILD_DIR, { recursive: true, force: true });
  await mkdir(BUILD_DIR, { recursive: true });
  // Package scope lookup stops at node_modules: say here that .js files are ES modules.
  await writeFile(join(BUILD_DIR, 'package.json'), '{ "type": "module" }\n');
  let count = 0;
  for (const folder of ['src', 'bench']) {
    for (const file of await tsFiles(join(ROOT, folder))) {
      const out = join(BUILD_DIR, relative(ROOT, file)).replace(/\.ts$/, '.js');
      const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
      });
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, outputText);
      count += 1;
    }
  }
  return count;
}

/** The compiled path of a bench module, e.g. `child/copy` -> .../bench/child/copy.js. */
export function builtBenchModule(name: string): string {
  return join(BUILD_DIR, 'bench', `${name}.js`);
}

async function tsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}
