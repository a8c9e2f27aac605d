/**
 * The hand-written multipart body of `uploadFile`, parsed by the sandbox's real multipart
 * parser: the bytes arrive unchanged whatever they hold, the filename keeps its characters,
 * and a retried upload sends the whole body again.
 */
import { createHash, randomBytes } from 'node:crypto';
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
