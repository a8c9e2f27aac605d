/**
 * Small embedded images for the HTML report. PNGs are scaled down in pure JS (pngjs) so a
 * report of hundreds of scans stays a few megabytes; other image formats have no decoder
 * here, so they are embedded as they are when small enough and left out otherwise.
 */
import { PNG } from 'pngjs';

export interface Thumbnail {
  /** `data:image/...;base64,...` */
  dataUri: string;
  /** Pixel size when known (scaled PNGs). */
  width?: number;
  height?: number;
}

export interface ThumbnailOptions {
  /** @default 160 */
  maxWidth?: number;
  /** @default 120 */
  maxHeight?: number;
  /** Largest non-PNG image embedded unscaled. @default 200_000 */
  maxEmbedBytes?: number;
}

const SIGNATURES: ReadonlyArray<{ type: string; magic: readonly number[] }> = [
  { type: 'image/png', magic: [0x89, 0x50, 0x4e, 0x47] },
  { type: 'image/jpeg', magic: [0xff, 0xd8, 0xff] },
  { type: 'image/gif', magic: [0x47, 0x49, 0x46, 0x38] },
  { type: 'image/webp', magic: [0x52, 0x49, 0x46, 0x46] },
];

/** The image type from the bytes themselves: a Content-Type header is not trusted into a data URI. */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  return SIGNATURES.find((s) => s.magic.every((b, i) => bytes[i] === b))?.type;
}

/** A thumbnail of an image, or undefined when the bytes are not an image this can embed. */
export function makeThumbnail(bytes: Uint8Array, options: ThumbnailOptions = {}): Thumbnail | undefined {
  const type = sniffImageType(bytes);
  if (type === 'image/png') {
    const scaled = scalePng(Buffer.from(bytes), options.maxWidth ?? 160, options.maxHeight ?? 120);
    if (scaled) return scaled;
  }
  if (type === undefined || bytes.length > (options.maxEmbedBytes ?? 200_000)) return undefined;
  return { dataUri: `data:${type};base64,${Buffer.from(bytes).toString('base64')}` };
}

function scalePng(bytes: Buffer, maxWidth: number, maxHeight: number): Thumbnail | undefined {
  let source: PNG;
  try {
    source = PNG.sync.read(bytes);
  } catch {
    return undefined;
  }
  const scale = Math.min(1, maxWidth / source.width, maxHeight / source.height);
  const width = Math.max(1, Math.round(source.width * scale));
  const height = Math.max(1, Math.round(source.height * scale));
  const out = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * source.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * source.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * source.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * source.width) / width));
      averageBox(source, x0, x1, y0, y1, out.data, (y * width + x) * 4);
    }
  }
  return { dataUri: `data:image/png;base64,${PNG.sync.write(out).toString('base64')}`, width, height };
}

/** Box filter: the mean of the source pixels a thumbnail pixel covers, so thin shelf lines survive. */
function averageBox(source: PNG, x0: number, x1: number, y0: number, y1: number, out: Buffer, at: number): void {
  const sums = [0, 0, 0, 0];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * source.width + x) * 4;
      for (let c = 0; c < 4; c++) sums[c] = (sums[c] as number) + (source.data[i + c] as number);
    }
  }
  const n = (x1 - x0) * (y1 - y0);
  for (let c = 0; c < 4; c++) out[at + c] = Math.round((sums[c] as number) / n);
}
