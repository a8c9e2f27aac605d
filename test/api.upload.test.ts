/**
 * The hand-written multipart body of `uploadFile`, parsed by the sandbox's real multipart
 * parser: the bytes arrive unchanged whatever they hold, the filename keeps its characters,
 * and a retried upload sends the whole body again. A file uploaded from disk with the sha256
 * it was written with arrives as written, and one changed on disk since never reaches the
 * platform.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformApi, type ApiEvent } from '../src/platform/api.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { startTestSandbox } from './helpers/sandbox.js';

let sandbox: RunningSandbox;
let api: PlatformApi;

beforeAll(async () => {
  sandbox = await startTestSandbox({ processingDelayMs: 60_000, faultSeed: 3 });
  api = new PlatformApi({
    baseUrl: sandbox.apiUrl,
    username: sandbox.username,
    password: sandbox.password,
    retry: { retries: 10, baseMs: 1, capMs: 5, budgetMinRetries: 1000 },
  });
});
afterAll(async () => {
  await api?.close();
  await sandbox?.close();
});

async function stored(id: number): Promise<{ original_filename: string; content_type: string; size: number; sha256: string }> {
  const [row] = await sandbox.db.query<{ original_filename: string; content_type: string; size: number; sha256: string }>(
    'SELECT original_filename, content_type, size, sha256 FROM sandbox_fileupload WHERE id = $1',
    [id],
  );
  if (!row) throw new Error(`file ${id} was not stored`);
  return row;
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('uploadFile sends a multipart body the platform parses', () => {
  it('bytes that look like multipart delimiters arrive unchanged', async () => {
    const bytes = Buffer.concat([Buffer.from('\r\n--\r\n------scancopy\r\nContent-Disposition: form-data\r\n\r\n'), randomBytes(200_000), Buffer.from('\r\n--')]);
    const { id } = await api.uploadFile({ bytes, filename: 'shelf.png', contentType: 'image/png', inputType: 'image' });
    const row = await stored(id);
    expect(row).toMatchObject({ original_filename: 'shelf.png', content_type: 'image/png', size: bytes.length });
    expect(row.sha256.trim()).toBe(sha(bytes));
  });

  it('a filename with spaces and non-ASCII letters is kept as it is', async () => {
    const bytes = randomBytes(1000);
    const { id } = await api.uploadFile({ bytes, filename: 'Regal Süd 01 (Kühlung).jpg', contentType: 'image/jpeg', inputType: 'image' });
    expect((await stored(id)).original_filename).toBe('Regal Süd 01 (Kühlung).jpg');
  });

  it('a quote or a line break in a filename cannot end the header early', async () => {
    const bytes = randomBytes(1000);
    const { id } = await api.uploadFile({ bytes, filename: 'a"b\r\nContent-Type: text/html.png', contentType: 'image/png', inputType: 'image' });
    const row = await stored(id);
    expect(row.content_type).toBe('image/png');
    expect(row.original_filename).not.toMatch(/[\r\n"]/);
    expect(row.sha256.trim()).toBe(sha(bytes));
  });

  it('an upload retried after resets sends the whole body each time', async () => {
    const events: ApiEvent[] = [];
    const retrying = new PlatformApi({
      baseUrl: sandbox.apiUrl,
      username: sandbox.username,
      password: sandbox.password,
      retry: { retries: 10, baseMs: 1, capMs: 5, budgetMinRetries: 1000 },
      onEvent: (e) => events.push(e),
    });
    sandbox.setFaults('upload:reset=0.5');
    try {
      const bytes = randomBytes(150_000);
      const ids = [];
      for (let i = 0; i < 6; i++) ids.push((await retrying.uploadFile({ bytes, filename: `r${i}.png`, contentType: 'image/png', inputType: 'image' })).id);
      expect(events.filter((e) => e.type === 'retry').length).toBeGreaterThan(0);
      for (const id of ids) expect((await stored(id)).sha256.trim()).toBe(sha(bytes));
    } finally {
      sandbox.setFaults('');
      await retrying.close();
    }
  });
});

describe('uploadFile from a file on disk, checked against the sha256 it was written with', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'scancopy-spool-upload-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  const uploads = async (): Promise<number> => (await sandbox.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sandbox_fileupload'))[0]?.n ?? 0;

  async function spool(name: string, bytes: Buffer): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  }

  it('arrives byte for byte when the file is as it was written', async () => {
    // Several reads' worth, so the held-back last chunk is one of many.
    const bytes = randomBytes(1_300_000);
    const path = await spool('intact.part', bytes);
    const { id } = await api.uploadFile({ path, size: bytes.length, sha256: sha(bytes), filename: 'intact.jpg', contentType: 'image/jpeg', inputType: 'image' });
    expect((await stored(id)).sha256.trim()).toBe(sha(bytes));
  });

  it.each([
    ['one byte changed', (b: Buffer): Buffer => Buffer.concat([b.subarray(0, 700_000), Buffer.from([b[700_000]! ^ 1]), b.subarray(700_001)])],
    ['cut short', (b: Buffer): Buffer => b.subarray(0, b.length - 10)],
    ['grown', (b: Buffer): Buffer => Buffer.concat([b, Buffer.from('more')])],
  ])('fails INTEGRITY and stores nothing when the file was %s on disk', async (_what, change) => {
    const bytes = randomBytes(1_300_000);
    const path = await spool('changed.part', change(bytes));
    const before = await uploads();
    await expect(api.uploadFile({ path, size: bytes.length, sha256: sha(bytes), filename: 'changed.jpg', contentType: 'image/jpeg', inputType: 'image' }))
      .rejects.toMatchObject({ code: 'INTEGRITY', message: expect.stringContaining('changed on disk') as unknown });
    expect(await uploads()).toBe(before);
  });
});
