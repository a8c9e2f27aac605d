/**
 * Small embedded images for the HTML report, made by sharp (libvips): any shelf image a
 * camera produces (JPEG up to 12 MB and beyond, PNG, WebP, GIF) is turned upright by its
 * EXIF orientation and shrunk to a small JPEG. libvips decodes a JPEG at a fraction of its
 * size while reading (shrink-on-load) and reads a file front to back, so a 4000x3000 photo
 * never sits decoded in memory; at most libuv's thread pool of images is decoded at once.
 */
import { open } from 'node:fs/promises';
import sharp from 'sharp';

// Each thumbnail is made once: libvips' operation cache would only hold decoded images.
sharp.cache(false);

export interface Thumbnail {
  /** `data:image/jpeg;base64,...` */
  dataUri: string;
  width: number;
  height: number;
  /** The upright source image's size. */
  sourceWidth: number;
  sourceHeight: number;
}

/** A scan whose first input is a video: its placeholder shows the name and size. */
export interface VideoPlaceholder {
  name: string;
  bytes: number | undefined;
}

/** One side's pictures by scan id, and for the scans without one, why. */
export interface ScanPictures {
  thumbnails: ReadonlyMap<number, Thumbnail>;
  videos?: ReadonlyMap<number, VideoPlaceholder>;
  failures?: ReadonlyMap<number, { code: string; reason: string }>;
}

export interface ThumbnailOptions {
  /** @default 160 */
  maxWidth?: number;
  /** @default 120 */
  maxHeight?: number;
  /** JPEG quality of the thumbnail. @default 72 */
  quality?: number;
}

/** An image that cannot be made into a thumbnail; the message says why, for the report. */
export class ImageError extends Error {
  readonly code = 'NO_IMAGE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageError';
  }
}

/** Bigger than any shelf camera (a 4000x3000 photo is 12 Mpx): a decompression bomb is refused, not decoded. */
const MAX_INPUT_PIXELS = 100_000_000;

const SIGNATURES: ReadonlyArray<{ type: string; test: (b: Uint8Array) => boolean }> = [
  { type: 'image/png', test: (b) => starts(b, [0x89, 0x50, 0x4e, 0x47]) },
  { type: 'image/jpeg', test: (b) => starts(b, [0xff, 0xd8, 0xff]) },
  { type: 'image/gif', test: (b) => starts(b, [0x47, 0x49, 0x46, 0x38]) },
  { type: 'image/webp', test: (b) => starts(b, [0x52, 0x49, 0x46, 0x46]) && ascii(b, 8, 4) === 'WEBP' },
];

const VIDEO = (b: Uint8Array): boolean => ascii(b, 4, 4) === 'ftyp' || starts(b, [0x1a, 0x45, 0xdf, 0xa3]);

/**
 * The image type from the bytes themselves: a Content-Type header or a file name is not
 * trusted, and only these raster formats reach the decoder (no SVG, whose renderer would
 * follow references).
 */
export function sniffImageType(head: Uint8Array): string | undefined {
  return SIGNATURES.find((s) => s.test(head))?.type;
}

/** True for the containers shelf videos come in (MP4/MOV, WebM/MKV). */
export function looksLikeVideo(head: Uint8Array): boolean {
  return VIDEO(head);
}

/** A thumbnail of an image given as bytes or as a file path (read sequentially). */
export async function makeThumbnail(input: Uint8Array | string, options: ThumbnailOptions = {}): Promise<Thumbnail> {
  const head = typeof input === 'string' ? await readHead(input) : input.subarray(0, 16);
  if (sniffImageType(head) === undefined) {
    throw new ImageError(looksLikeVideo(head) ? 'a video, not an image' : 'not a JPEG, PNG, WebP or GIF image');
  }
  const source = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    const image = sharp(source, { sequentialRead: true, limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', animated: false }).autoOrient();
    const { data, info } = await image
      .resize({ width: options.maxWidth ?? 160, height: options.maxHeight ?? 120, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: options.quality ?? 72 })
      .toBuffer({ resolveWithObject: true });
    const meta = await sharp(source, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
    return {
      dataUri: `data:image/jpeg;base64,${data.toString('base64')}`,
      width: info.width,
      height: info.height,
      sourceWidth: meta.autoOrient.width,
      sourceHeight: meta.autoOrient.height,
    };
  } catch (err) {
    throw new ImageError(`the image cannot be decoded: ${(err as Error).message}`, { cause: err });
  }
}

async function readHead(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

function starts(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

function ascii(bytes: Uint8Array, from: number, length: number): string {
  return Buffer.from(bytes.subarray(from, from + length)).toString('latin1');
}
