/**
 * Files kept in a storage dir, served back and taken in: the bytes a download gets are the
 * stored ones whether the sandbox serves them from memory or streams them from disk (over
 * 64 MiB), a file replaced on disk is served as it is now, and an upload is stored the same
 * whether its content is new, already stored, or too large to hold while it is hashed (over 16 MiB).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { rawApi, startTestSandbox, type RawApi } from './helpers/sandbox.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('a sandbox serving and taking files in a storage dir', () => {
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

  it('stores a duplicate upload as the same file, written once, and serves each upload its bytes', async () => {
    const bytes = randomBytes(5 * MiB);
    const a = await upload(bytes, 'dup-a.jpg');
    const path = join(dir, sha256(bytes));
    const written = await stat(path);
    const b = await upload(bytes, 'dup-b.jpg');
    expect(b.id).not.toBe(a.id);
    expect(b.size).toBe(bytes.length);
    expect(await rowOf(b.id)).toEqual({ size: bytes.length, sha256: sha256(bytes), storage_path: path, content: null });
    expect(await rowOf(a.id)).toEqual(await rowOf(b.id));
    const now = await stat(path);
    expect([now.ino, now.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
    for (const id of [a.id, b.id]) expect((await download(id)).bytes.equals(bytes)).toBe(true);
  });

  it('stores distinct uploads taken at the same time, round after round, each with its own bytes', async () => {
    for (let round = 0; round < 3; round++) {
      const contents = Array.from({ length: 8 }, (_, i) => randomBytes(3 * MiB + i * 1000 + round));
      const ids = await Promise.all(contents.map(async (bytes, i) => (await upload(bytes, `round${round}-${i}.jpg`)).id));
      for (const [i, bytes] of contents.entries()) {
        expect((await readFile(join(dir, sha256(bytes)))).equals(bytes)).toBe(true);
        expect((await download(ids[i] as number)).bytes.equals(bytes)).toBe(true);
      }
    }
  });

  it('writes a duplicate upload again when the stored file left the folder', async () => {
    const bytes = randomBytes(MiB);
    const { id: first } = await upload(bytes, 'again-1.jpg');
    await rm(join(dir, sha256(bytes)));
    const { id } = await upload(bytes, 'again-2.jpg');
    expect((await download(id)).bytes.equals(bytes)).toBe(true);
    expect((await download(first)).bytes.equals(bytes)).toBe(true);
  });

  it('stores a new upload larger than it holds while hashing (over 16 MiB) by its sha256, and no temp file stays', async () => {
    const bytes = randomBytes(16 * MiB + 12_345);
    const { id, size } = await upload(bytes, 'large.jpg');
    expect(size).toBe(bytes.length);
    expect(await rowOf(id)).toEqual({ size: bytes.length, sha256: sha256(bytes), storage_path: join(dir, sha256(bytes)), content: null });
    expect((await download(id)).bytes.equals(bytes)).toBe(true);
    const again = await upload(bytes, 'large-again.jpg');
    expect(await rowOf(again.id)).toEqual(await rowOf(id));
    expect((await readdir(dir)).every((name) => /^[0-9a-f]{64}$/.test(name))).toBe(true);
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
