/**
 * Thumbnails of real shelf images: sharp shrinks camera JPEGs (12 MB, 4000x3000, turned by
 * EXIF), PNG, WebP and GIF, and refuses what is not a raster image with a reason. Fetched
 * from a real sandbox through the client's download limiter, with progress, a time bound,
 * files already on disk and a copy's downloads reused, fetched files kept when asked, a
 * video shown as its name and size, a lost file explained.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformApi } from '../src/platform/api.js';
import { ImageError, makeThumbnail, type Thumbnail } from '../src/reports/thumbnail.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { thumbnailsFromCopy } from '../src/workflows/analyze/copy-images.js';
import { fetchThumbnails, type ImageFetcher, type ThumbnailProgress } from '../src/workflows/analyze/thumbnails.js';
import { fakeMp4, noisyGif, noisyJpeg, noisyPng, noisyWebp } from './helpers/images.js';
import { rawApi, startTestSandbox } from './helpers/sandbox.js';

async function decoded(thumb: Thumbnail): Promise<Metadata> {
  expect(thumb.dataUri.startsWith('data:image/jpeg;base64,')).toBe(true);
  return sharp(Buffer.from(thumb.dataUri.slice(thumb.dataUri.indexOf(',') + 1), 'base64')).metadata();
}

describe('makeThumbnail', () => {
  it('shrinks a 4000x3000 camera JPEG of about 10 MB, turned upright by its EXIF orientation', async () => {
    const jpeg = await noisyJpeg({ width: 4000, height: 3000, orientation: 6 });
    expect(jpeg.length).toBeGreaterThan(9_000_000);
    const thumb = await makeThumbnail(jpeg);
    expect([thumb.sourceWidth, thumb.sourceHeight]).toEqual([3000, 4000]);
    expect([thumb.width, thumb.height]).toEqual([90, 120]);
    const meta = await decoded(thumb);
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([90, 120, 1]);
    expect(thumb.dataUri.length).toBeLessThan(40_000);
  });

  it('shrinks PNG, WebP and GIF to a JPEG that fits the box, from bytes or from a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scancopy-thumb-'));
    try {
      const inputs = [await noisyPng({ width: 1200, height: 800 }), await noisyWebp({ width: 800, height: 1200 }), await noisyGif({ width: 300, height: 300 })];
      for (const [i, bytes] of inputs.entries()) {
        const path = join(dir, `image${i}`);
        await writeFile(path, bytes);
        for (const input of [bytes, path]) {
          const thumb = await makeThumbnail(input);
          expect(thumb.width <= 160 && thumb.height <= 120).toBe(true);
          expect(Math.max(thumb.width / 160, thumb.height / 120)).toBeCloseTo(1, 1);
          expect((await decoded(thumb)).format).toBe('jpeg');
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['an SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><image href="http://example.com/x.png"/></svg>'), /not a JPEG, PNG, WebP or GIF/],
    ['text', Buffer.from('hello, not an image'), /not a JPEG, PNG, WebP or GIF/],
    ['a video', fakeMp4(4096), /a video, not an image/],
  ])('refuses %s with a reason', async (_name, bytes, reason) => {
    const err = await makeThumbnail(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).code).toBe('NO_IMAGE');
    expect((err as Error).message).toMatch(reason);
  });

  it('refuses a truncated JPEG as one that cannot be decoded', async () => {
    const jpeg = await noisyJpeg({ width: 800, height: 600 });
    await expect(makeThumbnail(jpeg.subarray(0, jpeg.length / 2))).rejects.toThrow(/cannot be decoded/);
  });
});

/** The client, with a count of the downloads in flight: what the limiter lets through. */
function counting(api: PlatformApi): ImageFetcher & { fetched: number[]; maxInFlight: number } {
  let inFlight = 0;
  const out = {
    fetched: [] as number[],
    maxInFlight: 0,
    limitOf: (stage: 'download') => api.limitOf(stage),
    fileInfo: (fileId: number, opts?: { signal?: AbortSignal }) => api.fileInfo(fileId, opts),
    downloadFileTo: async (fileId: number, path: string, opts?: { signal?: AbortSignal }) => {
      out.fetched.push(fileId);
      out.maxInFlight = Math.max(out.maxInFlight, ++inFlight);
      try {
        return await api.downloadFileTo(fileId, path, opts);
      } finally {
        inFlight--;
      }
    },
  };
  return out;
}

describe('fetchThumbnails against a sandbox', () => {
  let sb: RunningSandbox;
  let storage: string;
  let api: PlatformApi;
  const scans: Record<string, { scanId: number; fileIds: number[] }> = {};
  const files: Record<string, Buffer> = {};

  beforeAll(async () => {
    storage = await mkdtemp(join(tmpdir(), 'scancopy-thumb-store-'));
    sb = await startTestSandbox({ seedDemo: { scans: 0, seed: 1 }, storageDir: storage });
    const raw = await rawApi(sb);
    files.jpeg = await noisyJpeg({ width: 2000, height: 1500, orientation: 6, seed: 2 });
    files.png = await noisyPng({ width: 640, height: 400, seed: 3 });
    files.webp = await noisyWebp({ width: 640, height: 400, seed: 4 });
    files.lost = await noisyJpeg({ width: 640, height: 480, seed: 5 });
    const upload = async (name: string, bytes: Buffer, type: string, inputType = 'image'): Promise<number> => {
      const res = await raw.upload(bytes, name, type, { input_type: inputType });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: number }).id;
    };
    const scan = async (key: string, fileIds: number[]): Promise<void> => {
      const res = await raw.create({ store: 1, files: fileIds });
      expect(res.status).toBe(201);
      scans[key] = { scanId: ((await res.json()) as { id: number }).id, fileIds };
    };
    await scan('jpeg', [await upload('a.jpg', files.jpeg, 'image/jpeg')]);
    await scan('multi', [await upload('b.png', files.png, 'image/png'), await upload('c.webp', files.webp, 'image/webp')]);
    await scan('video', [await upload('aisle 7.mp4', fakeMp4(200_000), 'video/mp4', 'video')]);
    const lostId = await upload('d.jpg', files.lost, 'image/jpeg');
    await scan('lost', [lostId]);
    for (let i = 0; i < 6; i++) await scan(`png${i}`, [await upload(`p${i}.png`, await noisyPng({ width: 320, height: 200, seed: 10 + i }), 'image/png')]);
    const [row] = await sb.db.query<{ storage_path: string }>('SELECT storage_path FROM sandbox_fileupload WHERE id = $1', [lostId]);
    await rm(row?.storage_path as string);
    api = new PlatformApi({ baseUrl: sb.apiUrl, username: sb.username, password: sb.password, limits: { download: 3 } });
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await sb?.close();
    if (storage) await rm(storage, { recursive: true, force: true });
  });

  it('makes every image scan a thumbnail through the download limiter, with progress, and says why one has none', async () => {
    const images = counting(api);
    const progress: ThumbnailProgress[] = [];
    const ids = Object.values(scans).map((s) => s.scanId);
    const found = await fetchThumbnails({ db: sb.db, images, scanIds: ids, onProgress: (p) => progress.push(p) });

    expect(images.maxInFlight).toBeLessThanOrEqual(3);
    expect(images.maxInFlight).toBeGreaterThan(1);
    expect(progress.map((p) => p.done)).toEqual(ids.map((_, i) => i + 1));
    expect(progress.at(-1)).toEqual({ done: ids.length, total: ids.length, failed: 1 });

    const jpeg = found.thumbnails.get(scans.jpeg!.scanId) as Thumbnail;
    expect([jpeg.sourceWidth, jpeg.sourceHeight, jpeg.width, jpeg.height]).toEqual([1500, 2000, 90, 120]);
    // A multi-file scan shows its first image, and only that one is fetched.
    expect(found.thumbnails.get(scans.multi!.scanId)?.sourceWidth).toBe(640);
    expect(images.fetched).not.toContain(scans.multi!.fileIds[1]);
    expect(found.videos.get(scans.video!.scanId)).toEqual({ name: 'aisle 7.mp4', bytes: 200_000 });
    expect(images.fetched).not.toContain(scans.video!.fileIds[0]);
    expect([...found.failures.values()]).toEqual([{ scanId: scans.lost!.scanId, fileId: scans.lost!.fileIds[0], code: 'NOT_FOUND', reason: expect.stringMatching(/404/) }]);
    expect(found.thumbnails.size).toBe(ids.length - 2);
  });

  it('makes thumbnails of files already on disk without fetching them again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scancopy-thumb-local-'));
    try {
      const path = join(dir, 'a.jpg');
      await writeFile(path, files.jpeg!);
      const images = counting(api);
      const found = await fetchThumbnails({ db: sb.db, images, scanIds: [scans.jpeg!.scanId, scans.png0!.scanId], localFiles: new Map([[scans.jpeg!.fileIds[0] as number, path]]) });
      expect(found.local).toBe(1);
      expect(found.thumbnails.get(scans.jpeg!.scanId)?.width).toBe(90);
      expect(images.fetched).toEqual([scans.png0!.fileIds[0]]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes a copy\'s downloads as they come, the first image of each scan only, and fetches none of them again', async () => {
    const copied = thumbnailsFromCopy();
    const multi = scans.multi!;
    // As a copy's concurrent downloads arrive: the second file first, then the first; bytes in memory or spooled.
    const dir = await mkdtemp(join(tmpdir(), 'scancopy-thumb-spool-'));
    try {
      const spooled = join(dir, 'spool.part');
      await writeFile(spooled, files.jpeg!);
      await copied.onSourceFile({ scanId: multi.scanId, fileId: multi.fileIds[1]!, index: 1, fileType: 'image', body: { bytes: files.webp! } });
      await copied.onSourceFile({ scanId: multi.scanId, fileId: multi.fileIds[0]!, index: 0, fileType: 'image', body: { bytes: files.png! } });
      await copied.onSourceFile({ scanId: multi.scanId, fileId: multi.fileIds[1]!, index: 1, fileType: 'image', body: { bytes: files.webp! } });
      await copied.onSourceFile({ scanId: scans.jpeg!.scanId, fileId: scans.jpeg!.fileIds[0]!, index: 0, fileType: 'image', body: { path: spooled, size: files.jpeg!.length } });
      await copied.onSourceFile({ scanId: scans.video!.scanId, fileId: scans.video!.fileIds[0]!, index: 0, fileType: 'video', body: { bytes: fakeMp4(4096) } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect([...copied.thumbnails.keys()].sort()).toEqual([multi.fileIds[1], multi.fileIds[0], scans.jpeg!.fileIds[0]].sort());
    const images = counting(api);
    const ids = [multi.scanId, scans.jpeg!.scanId, scans.png1!.scanId];
    const found = await fetchThumbnails({ db: sb.db, images, scanIds: ids, ready: copied.thumbnails });
    expect(found.reused).toBe(2);
    expect(found.thumbnails.get(multi.scanId)?.sourceWidth).toBe(640);
    expect(found.thumbnails.get(scans.jpeg!.scanId)?.width).toBe(90);
    expect(images.fetched).toEqual([scans.png1!.fileIds[0]]);
  });

  it('keeps the fetched images in a folder when asked, named by scan and file, as the originals', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scancopy-thumb-keep-'));
    try {
      const keepDir = join(dir, 'images', 'target');
      const found = await fetchThumbnails({ db: sb.db, images: counting(api), scanIds: [scans.jpeg!.scanId, scans.lost!.scanId], keepDir });
      const kept = join(keepDir, `scan_${scans.jpeg!.scanId}_file_${scans.jpeg!.fileIds[0]}.jpg`);
      expect(found.originals).toEqual(new Map([[scans.jpeg!.scanId, kept]]));
      expect((await readFile(kept)).equals(files.jpeg!)).toBe(true);
      // The lost file's partial download is not left behind.
      expect(await readdir(keepDir)).toEqual([basename(kept)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops at its time bound and says so for every scan it did not finish', async () => {
    sb.setFaults('*:latency=400ms');
    try {
      const ids = Object.values(scans).map((s) => s.scanId);
      const found = await fetchThumbnails({ db: sb.db, images: counting(api), scanIds: ids, boundMs: 300 });
      expect(found.thumbnails.size + found.videos.size).toBe(0);
      expect(found.failures.size).toBe(ids.length);
      for (const failure of found.failures.values()) expect(failure).toMatchObject({ code: 'DEADLINE', reason: expect.stringMatching(/bound of 0\.3 s/) });
    } finally {
      sb.setFaults('');
    }
  });
});
