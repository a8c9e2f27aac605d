/**
 * `scancopy config path|show` in a subprocess: the config file a command reads here, or
 * none; the resolved settings as JSON, with an instance's addresses and where each of its
 * secrets comes from, never a secret itself.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/copy.js';

describe('scancopy config', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'scancopy-config-cmd-'));
  });
  afterAll(async () => {
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  it('path: none here, then the file once there is one', async () => {
    const none = await runCli(['config', 'path'], { cwd });
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^no config file: neither \.\/scancopy\.config\.json nor \S+\/\.config\/scancopy\/config\.json exists/);
    await writeFile(join(cwd, 'scancopy.config.json'), JSON.stringify({ instances: { stg: { api: 'https://stg.example.net' } }, batchSize: 7 }));
    const found = await runCli(['config', 'path'], { cwd });
    expect(found.stdout).toBe(`${join(cwd, 'scancopy.config.json')}\n`);
  });

  it('show: the resolved settings and where secrets come from, never a secret', async () => {
    const run = await runCli(['config', 'show'], { cwd, env: { SCANCOPY_SOURCE: 'stg', SCANCOPY_SOURCE_USERNAME: 'alice', SCANCOPY_SOURCE_PASSWORD: 'shown-never-7c2f' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('shown-never-7c2f');
    const shown = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({
      configPath: join(cwd, 'scancopy.config.json'),
      batchSize: 7,
      source: { name: 'stg', apiUrl: 'https://stg.example.net', username: 'alice', given: { api: 'environment', db: 'prompt' } },
      limits: { download: 20, upload: 20, create: 10 },
    });
  });

  it('a bad config file: exit 2, one line naming the key', async () => {
    await writeFile(join(cwd, 'bad.json'), JSON.stringify({ batchSize: 0 }));
    const run = await runCli(['config', 'show', '--config', 'bad.json'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^scancopy: error CONFIG_INVALID: .*bad\.json: batchSize = 0/);
  });
});
