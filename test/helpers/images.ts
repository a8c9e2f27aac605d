/**
 * Shelf-camera-like images made with sharp in the test itself: noise compresses badly, so a
 * 4000x3000 JPEG at high quality weighs what a camera's does (about 10 MB).
 */
import sharp, { type Sharp } from 'sharp';

export interface TestImageOptions {
  width: number;
  height: number;
  /** EXIF orientation (6: the camera was turned a quarter clockwise). */
  orientation?: number;
  /** @default 95 */
  quality?: number;
  /** Seeds the noise, so two images differ. @default 1 */
  seed?: number;
}

function noise(width: number, height: number, seed: number): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < raw.length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    raw[i] = x & 255;
  }
  return raw;
}

function image(o: TestImageOptions): Sharp {
  return sharp(noise(o.width, o.height, o.seed ?? 1), { raw: { width: o.width, height: o.height, channels: 3 } });
}

export async function noisyJpeg(o: TestImageOptions): Promise<Buffer> {
  const jpeg = image(o).jpeg({ quality: o.quality ?? 95 });
  return (o.orientation ? jpeg.withMetadata({ orientation: o.orientation }) : jpeg).toBuffer();
}

export async function noisyPng(o: TestImageOptions): Promise<Buffer> {
  return image(o).png({ compressionLevel: 1 }).toBuffer();
}

export async function noisyWebp(o: TestImageOptions): Promise<Buffer> {
  return image(o).webp({ quality: 80 }).toBuffer();
}

export async function noisyGif(o: TestImageOptions): Promise<Buffer> {
  return image(o).gif().toBuffer();
}

/** The start of an MP4 (an `ftyp` box) padded to `bytes`: what a shelf video's upload looks like to a sniffer. */
export function fakeMp4(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.writeUInt32BE(24, 0);
  out.write('ftypisom', 4, 'latin1');
  return out;
}

/** The same thumbnail made distinct by a JPEG comment after its SOI: what many different shelf photos weigh in a report. */
export function distinctThumbnail<T extends { dataUri: string }>(base: T, n: number): T {
  const jpeg = Buffer.from(base.dataUri.slice(base.dataUri.indexOf(',') + 1), 'base64');
  const text = Buffer.from(`photo ${n}`, 'latin1');
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(2 + text.length, 2);
  text.copy(segment, 4);
  return { ...base, dataUri: `data:image/jpeg;base64,${Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]).toString('base64')}` };
}
