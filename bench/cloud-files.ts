/**
 * The cloud profile's files, as shelf cameras make them: JPEGs of 3-8 MB and a 60 MB video,
 * made once and kept under node_modules/.cache (a re-run reuses them), and the mix of the
 * issue: 70 % of scans one 4 MB JPEG, 25 % two or three JPEGs of 3-8 MB, 5 % one video.
 *
 * A JPEG is a noise photo made by sharp, padded to its size with comment segments of random
 * bytes: a valid JPEG every reader decodes, that nothing on the way can compress. The video
 * is an MP4 header (ftyp) and one mdat box of random bytes. Many scans' rows point at the
 * same file on disk: the source serves it as object storage would, and each copy uploads it
 * again, as a real copy does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { createRandom, hashSeed } from '../src/sandbox/random.js';
import { CACHE_DIR } from './build.js';
import type { FilePlan, FixtureFile } from './fixtures.js';

export const CLOUD_FILES_DIR = join(CACHE_DIR, 'scancopy-bench-files');
const MB = 1024 * 1024;
const JPEG_SIZES_MB = [3, 4, 5, 6, 7, 8] as const;
const VIDEO_MB = 60;

export interface CloudFiles {
  jpegs: Map<number, FixtureFile>;
  video: FixtureFile;
}

/** The cached files, made first where missing (or of the wrong size). */
export async function ensureCloudFiles(dir = CLOUD_FILES_DIR): Promise<CloudFiles> {
  await mkdir(dir, { recursive: true });
  const jpegs = new Map<number, FixtureFile>();
  for (const mb of JPEG_SIZES_MB) {
    jpegs.set(mb, await cached(dir, `shelf_${mb}mb.jpg`, 'image/jpeg', 'image', () => paddedJpeg(mb * MB, mb)));
  }
  const video = await cached(dir, `shelf_${VIDEO_MB}mb.mp4`, 'video/mp4', 'video', async () => mp4(VIDEO_MB * MB));
  return { jpegs, video };
}

/** Scan `index`'s files in the issue's mix, drawn from a seeded random per scan. */
export function cloudFilesOf(files: CloudFiles, index: number): FixtureFile[] {
  const random = createRandom(hashSeed('bench-cloud', index));
  const draw = random.next();
  const named = (f: FixtureFile, n: number): FixtureFile => ({ ...f, name: `scan${index}_${n}_${f.name}` });
  if (draw < 0.7) return [named(files.jpegs.get(4) as FixtureFile, 1)];
  if (draw < 0.95) {
    return Array.from({ length: random.int(2, 3) }, (_, n) => named(files.jpegs.get(random.pick(JPEG_SIZES_MB)) as FixtureFile, n + 1));
  }
  return [named(files.video, 1)];
}

export function cloudPlan(files: CloudFiles): FilePlan {
  return async (index) => cloudFilesOf(files, index);
}

async function cached(dir: string, name: string, contentType: string, inputType: 'image' | 'video', make: () => Promise<Buffer>): Promise<FixtureFile> {
  const path = join(dir, name);
  if (!(await stat(path).catch(() => undefined))) {
    const bytes = await make();
    // A temp name of this process's own: two runs making the same file never write into one.
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, path);
  }
  return { name, contentType, inputType, size: (await stat(path)).size, sha256: await sha256Of(path), path };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A 1600x1200 noise photo, then comment segments (at most 65,533 bytes each) up to `size`. */
async function paddedJpeg(size: number, seed: number): Promise<Buffer> {
  const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: { r: 120 + seed, g: 110, b: 100 }, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
  const segments: Buffer[] = [];
  let missing = size - photo.length;
  while (missing > 0) {
    // A segment is its marker (2 bytes), its length (2 bytes, counting itself) and its data.
    const data = Math.min(65_533, missing - 4);
    if (data < 0) break;
    const segment = Buffer.alloc(4 + data);
    segment.writeUInt16BE(0xfffe, 0);
    segment.writeUInt16BE(2 + data, 2);
    randomBytes(data).copy(segment, 4);
    segments.push(segment);
    missing -= segment.length;
  }
  const jpeg = Buffer.concat([photo.subarray(0, 2), ...segments, photo.subarray(2)]);
  // A remainder under one segment's header goes after the end marker, which readers ignore.
  return jpeg.length < size ? Buffer.concat([jpeg, Buffer.alloc(size - jpeg.length)]) : jpeg;
}

function mp4(size: number): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypisom', 4, 'latin1');
  ftyp.writeUInt32BE(0x200, 12);
  ftyp.write('isomiso2', 16, 'latin1');
  const mdat = Buffer.alloc(8);
  mdat.writeUInt32BE(size - ftyp.length, 0);
  mdat.write('mdat', 4, 'latin1');
  return Buffer.concat([ftyp, mdat, randomBytes(size - ftyp.length - mdat.length)]);
}
