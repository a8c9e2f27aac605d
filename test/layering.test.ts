/**
 * The rooms import one way (cli -> workflows -> platform/core/reports; sandbox -> platform/db
 * and core; core -> nothing of ours) and only cli/ and config/ read the environment: the lint
 * rules refuse a wrong-way import, and the SDK entry's module graph leaves the sandbox out.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test/fixtures/layering');

async function lintAs(fixture: string, path: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const text = await readFile(join(FIXTURES, fixture), 'utf8');
  const [result] = await eslint.lintText(text, { filePath: join(ROOT, path) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('layering lint rules', () => {
  it.each([
    ['core-imports-platform.ts.txt', 'src/core/wrong-way.ts', 'core/ does not import platform/'],
    ['platform-imports-workflows.ts.txt', 'src/platform/wrong-way.ts', 'platform/ does not import workflows/'],
    ['sandbox-imports-workflows.ts.txt', 'src/sandbox/wrong-way.ts', 'sandbox/ does not import workflows/'],
    ['workflows-imports-cli.ts.txt', 'src/workflows/copy/wrong-way.ts', 'workflows/ does not import cli/'],
    ['workflows-reads-env.ts.txt', 'src/workflows/wrong-way.ts', 'Only cli/ and config/ read the environment'],
    ['cli-runs-sql.ts.txt', 'src/cli/wizard/wrong-way.ts', 'cli/ runs no SQL and makes no platform calls'],
  ])('refuses %s as %s', { timeout: 60_000 }, async (fixture, path, expected) => {
    const messages = await lintAs(fixture, path);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(expected);
  });

  it('lets cli/ import workflows/ and core/, and read the environment', { timeout: 60_000 }, async () => {
    expect(await lintAs('cli-imports-workflows.ts.txt', 'src/cli/commands/right-way.ts')).toEqual([]);
  });
});

/** Every module the entry loads, statically or by `import()`, as paths under src/. */
function moduleGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    const key = relative(join(ROOT, 'src'), file);
    if (seen.has(key)) return;
    seen.add(key);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const imported of info.importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      visit(resolve(dirname(file), imported.fileName.replace(/\.js$/, '.ts')));
    }
  };
  visit(join(ROOT, entry));
  return seen;
}

describe('entry points', () => {
  it("import 'scancopy' does not load the sandbox", () => {
    const graph = moduleGraph('src/index.ts');
    expect(graph.has('workflows/copy.ts')).toBe(true);
    expect([...graph].filter((p) => p.startsWith('sandbox/'))).toEqual([]);
  });

  it("the sandbox is its own entry, 'scancopy/sandbox'", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { default: string; types: string }> };
    expect(pkg.exports['./sandbox']).toEqual({ types: './dist/sandbox/index.d.ts', default: './dist/sandbox/index.js' });
    expect(pkg.exports['.']?.default).toBe('./dist/index.js');
    expect(moduleGraph('src/sandbox/index.ts').has('sandbox/sandbox.ts')).toBe(true);
    const sandbox = await import('../src/sandbox/index.js');
    expect(typeof sandbox.startSandbox).toBe('function');
  });
});
