/**
 * How bin/scancopy chooses what to run: the compiled dist/ only while its stamp matches the
 * sources as they are (any edit, added or removed file, or a build that never stamped falls
 * back to the TypeScript sources through tsx), and `--version` or an unknown command answer
 * through the real entry point. The choice is tested on a throwaway package root holding a
 * copy of the real bin/ and a dist/ and src/ that say which of them ran.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIsCurrent, sourceStamp, STAMP_FILE } from '../bin/source-stamp.mjs';

const REPO = resolve(import.meta.dirname, '..');

function run(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let root: string;
const bin = (): string => join(root, 'bin', 'scancopy');
const stamp = (): Promise<void> => writeFile(join(root, STAMP_FILE), `${sourceStamp(root)}\n`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'scancopy-start-'));
  await cp(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  await writeFile(join(root, 'package.json'), '{ "type": "module" }\n');
  for (const f of ['tsconfig.json', 'tsconfig.build.json']) await writeFile(join(root, f), '{}\n');
  await mkdir(join(root, 'src', 'cli'), { recursive: true });
  await mkdir(join(root, 'dist', 'cli'), { recursive: true });
  await writeFile(join(root, 'src', 'cli', 'main.ts'), "const ran: string = 'sources';\nconsole.log(ran);\n");
  await writeFile(join(root, 'dist', 'cli', 'main.js'), "console.log('dist');\n");
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('bin/scancopy', () => {
  it('runs the sources through tsx while dist/ has no stamp (never built, or a build that failed)', async () => {
    expect(distIsCurrent(root)).toBe(false);
    expect((await run(bin(), [])).stdout.trim()).toBe('sources');
  });

  it('runs dist/ once it is stamped with the sources as they are', async () => {
    await stamp();
    expect(distIsCurrent(root)).toBe(true);
    expect((await run(bin(), [])).stdout.trim()).toBe('dist');
  });

  it('falls back to the sources after an edit, an added file or a removed one, and returns to dist/ once rebuilt', async () => {
    await stamp();
    await writeFile(join(root, 'src', 'cli', 'main.ts'), "const ran: string = 'sources';\nconsole.log(ran); // edited\n");
    expect((await run(bin(), [])).stdout.trim()).toBe('sources');
    await stamp();
    expect((await run(bin(), [])).stdout.trim()).toBe('dist');

    await writeFile(join(root, 'src', 'cli', 'extra.ts'), 'export const extra = 1;\n');
    expect(distIsCurrent(root)).toBe(false);
    await stamp();
    await unlink(join(root, 'src', 'cli', 'extra.ts'));
    expect(distIsCurrent(root)).toBe(false);
    await stamp();
    await writeFile(join(root, 'tsconfig.build.json'), '{ "compilerOptions": {} }\n');
    expect(distIsCurrent(root)).toBe(false);
    expect((await run(bin(), [])).stdout.trim()).toBe('sources');
  });

  it('runs dist/ where there are no sources (an installed package)', async () => {
    await rm(join(root, 'src'), { recursive: true });
    expect((await run(bin(), [])).stdout.trim()).toBe('dist');
  });
});

describe('the real entry point', () => {
  it('answers --version', async () => {
    const r = await run(join(REPO, 'bin', 'scancopy'), ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('0.1.0');
  });

  it('still suggests the command meant when the one typed does not exist', async () => {
    const r = await run(join(REPO, 'bin', 'scancopy'), ['cpy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('copy');
  });
});
