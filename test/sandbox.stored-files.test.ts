/**
 * Files kept in a storage dir, served back: the bytes a download gets are the stored ones
 * whether the sandbox serves them from memory or streams them from disk (over 64 MiB), and a
 * file replaced on disk is served as it is now.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { rawApi, startTestSandbox, type RawApi } from './helpers/sandbox.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('a sandbox serving files from a storage dir', () => {
  let parent: string;
  let dir: string;
  let sb: RunningSandbox;
  let api: RawApi;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'scancopy-stored-'));
    dir = join(parent, 'uploads');
    sb = await startTestSandbox({ storageDir: dir, processingDelayMs: 60_000 });
    api = await rawApi(sb);
  });
  afterAll(async () => {
    await sb?.close();
    await rm(parent, { recursive: true, force: true });
  });
  beforeEach(() => sb.setFaults(''));

  const upload = async (bytes: Buffer, name: string): Promise<{ id: number; size: number }> => {
    const res = await api.upload(bytes, name, 'image/jpeg');
    expect(res.status).toBe(201);
    return (await res.json()) as { id: number; size: number };
  };
  const urlOf = async (id: number): Promise<string> => ((await (await api.get(`/api/v1/master-data/file-upload/${id}/`)).json()) as { file: string }).file;
  const download = async (id: number): Promise<{ res: Response; bytes: Buffer }> => {
    const res = await fetch(await urlOf(id));
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  };
  const rowOf = async (id: number) =>
    (await sb.db.query<{ size: number; sha256: string; storage_path: string; content: Uint8Array | null }>('SELECT size::int AS size, sha256, storage_path, content FROM sandbox_fileupload WHERE id = $1', [id]))[0];

  it.each([
    ['held in memory', 3 * MiB],
    ['too large to hold, streamed from disk', 64 * MiB + 1],
  ])('serves a file %s byte-identical, with its length, type and sha256 ETag, again and again', async (_kind, size) => {
    const bytes = randomBytes(size);
    const { id } = await upload(bytes, `served-${size}.jpg`);
    for (let i = 0; i < 3; i++) {
      const { res, bytes: got } = await download(id);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(size));
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      expect(res.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
      expect(got.equals(bytes)).toBe(true);
    }
  });

  it('serves the bytes on disk now when the file was replaced after it was served', async () => {
    const first = randomBytes(2 * MiB);
    const { id } = await upload(first, 'replaced.jpg');
    expect((await download(id)).bytes.equals(first)).toBe(true);
    const path = (await rowOf(id))?.storage_path as string;
    const second = randomBytes(first.length);
    await writeFile(`${path}.new`, second);
    await rename(`${path}.new`, path);
    expect((await download(id)).bytes.equals(second)).toBe(true);
  });

  it('answers a held file whose bytes then left the folder as a missing object', async () => {
    const bytes = randomBytes(MiB);
    const { id } = await upload(bytes, 'held-then-gone.jpg');
    expect((await download(id)).bytes.equals(bytes)).toBe(true);
    await rm(join(dir, sha256(bytes)));
    const { res, bytes: body } = await download(id);
    expect(res.status).toBe(404);
    expect(body.toString()).toContain('<Code>NoSuchKey</Code>');
  });

  it.each([
    ['held in memory', 2 * MiB],
    ['streamed from disk', 64 * MiB + 1],
  ])('truncate on a file %s promises all of it and sends exactly the first half', async (_kind, size) => {
    const bytes = randomBytes(size);
    const { id } = await upload(bytes, `cut-${size}.jpg`);
    const url = await urlOf(id);
    // Once without the fault, so a file that can be held is held when the fault strikes.
    expect((await download(id)).bytes.length).toBe(size);
    sb.setFaults('content:truncate=1');
    const cut = await receiveUntilClosed(url);
    expect(cut.headers['content-length']).toBe(String(size));
    expect(cut.bytes.equals(bytes.subarray(0, Math.floor(size / 2)))).toBe(true);
  });
});

/** A GET read until the server closes the connection: every byte it sent, however the body ended. */
function receiveUntilClosed(url: string): Promise<{ headers: http.IncomingHttpHeaders; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => undefined);
      res.on('close', () => resolve({ headers: res.headers, bytes: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}
