/**
 * Demo shelf images: small PNGs drawn in pure JS (pngjs), shelves as horizontal bars and
 * products as coloured facings. The layout and palette follow the planogram and section, a
 * variant moves things about, so images of different sections differ visibly and every
 * image of one (planogram, section, variant) is byte-identical.
 *
 * Each image carries its ground truth in a `tEXt` chunk (keyword `scancopy-truth`), which
 * is how the sandbox "recognises" a copied image without real vision.
 */
import { crc32 } from 'node:zlib';
import { PNG } from 'pngjs';
import { createRandom, hashSeed, type Random } from './random.js';

export const TRUTH_KEYWORD = 'scancopy-truth';

export interface PngTruth {
  planogram_id: number;
  section_id: number;
  planogram_name: string;
  section_name: string;
}

export interface DrawShelfOptions {
  planogramId: number;
  sectionId: number;
  planogramName: string;
  sectionName: string;
  /** Another photo of the same section: lighting, gaps and shift change with it. */
  variant: number;
  /** @default 320 */
  width?: number;
  /** @default 200 */
  height?: number;
}

type Rgb = readonly [number, number, number];

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IHDR_END = SIGNATURE.length + 8 + 13 + 4;

export function drawShelfPng(opts: DrawShelfOptions): Buffer {
  const width = opts.width ?? 320;
  const height = opts.height ?? 200;
  const png = new PNG({ width, height });
  const canvas = { data: png.data, width, height };
  const layout = createRandom(hashSeed('layout', opts.planogramId, opts.sectionId));
  const variant = createRandom(hashSeed('variant', opts.planogramId, opts.sectionId, opts.variant));
  const light = variant.int(-18, 18);
  const palette = planogramPalette(opts.planogramId);

  fillRect(canvas, 0, 0, width, height, shade(layout.pick(WALLS), light));
  const shelves = layout.int(3, 5);
  const bay = Math.floor(height / shelves);
  const shelfColor = shade([92, 78, 64], light);
  const shift = variant.int(0, 9);
  for (let s = 0; s < shelves; s++) {
    const top = s * bay;
    const shelfY = top + bay - 6;
    drawFacings(canvas, layout, variant, palette, { top: top + 4, bottom: shelfY, shift, light });
    fillRect(canvas, 0, shelfY, width, 6, shelfColor);
  }
  // Bay uprights, so a picture reads as a gondola rather than stripes.
  fillRect(canvas, 0, 0, 4, height, shelfColor);
  fillRect(canvas, width - 4, 0, 4, height, shelfColor);

  // Flat colours compress best unfiltered with plain deflate (pngjs defaults to RLE, which
  // leaves these images ~40x larger); RGBA skips a colour conversion pass.
  const encoded = PNG.sync.write(png, { filterType: 0, deflateStrategy: 0, deflateLevel: 6 });
  return withTextChunk(encoded, TRUTH_KEYWORD, truthText(opts));
}

interface Canvas {
  data: Buffer;
  width: number;
  height: number;
}

const WALLS: readonly Rgb[] = [
  [226, 228, 232],
  [236, 232, 222],
  [218, 226, 230],
  [240, 238, 236],
];

function drawFacings(
  canvas: Canvas,
  layout: Random,
  variant: Random,
  palette: readonly Rgb[],
  row: { top: number; bottom: number; shift: number; light: number },
): void {
  let x = 5 + row.shift;
  while (x < canvas.width - 10) {
    const w = layout.int(12, 30);
    const colour = layout.pick(palette);
    const h = Math.max(4, Math.floor((row.bottom - row.top) * layout.float(0.6, 0.95)));
    // Out-of-stock facings show as gaps: how many depends on the photo, not the section.
    if (!variant.chance(0.12)) {
      const face = shade(colour, row.light);
      fillRect(canvas, x, row.bottom - h, w - 2, h, face);
      fillRect(canvas, x + 2, row.bottom - Math.floor(h * 0.6), w - 6, Math.max(2, Math.floor(h * 0.2)), shade(face, 60));
    }
    x += w;
  }
}

function planogramPalette(planogramId: number): Rgb[] {
  const random = createRandom(hashSeed('palette', planogramId));
  const baseHue = random.float(0, 360);
  return Array.from({ length: 6 }, (_, i) => hslToRgb((baseHue + i * random.float(25, 70)) % 360, random.float(0.45, 0.85), random.float(0.35, 0.6)));
}

function hslToRgb(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

function shade([r, g, b]: Rgb, delta: number): Rgb {
  const clamp = (v: number): number => Math.max(0, Math.min(255, v + delta));
  return [clamp(r), clamp(g), clamp(b)];
}

function fillRect(canvas: Canvas, x0: number, y0: number, w: number, h: number, [r, g, b]: Rgb): void {
  const x1 = Math.min(canvas.width, x0 + w);
  const y1 = Math.min(canvas.height, y0 + h);
  const { data } = canvas;
  for (let y = Math.max(0, y0); y < y1; y++) {
    for (let i = (y * canvas.width + Math.max(0, x0)) * 4, end = (y * canvas.width + x1) * 4; i < end; i += 4) {
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
      data[i + 3] = 255;
    }
  }
}

/** The truth as Latin-1 JSON, for a PNG text chunk or a JPEG comment. */
export function truthText(opts: DrawShelfOptions): string {
  const truth: PngTruth = {
    planogram_id: opts.planogramId,
    section_id: opts.sectionId,
    planogram_name: opts.planogramName,
    section_name: opts.sectionName,
  };
  // tEXt is Latin-1: escape everything beyond ASCII so any name survives as valid JSON.
  return JSON.stringify(truth).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function withTextChunk(png: Buffer, keyword: string, text: string): Buffer {
  const body = Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]);
  const chunk = Buffer.alloc(12 + body.length);
  chunk.writeUInt32BE(body.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  body.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + body.length)), 8 + body.length);
  return Buffer.concat([png.subarray(0, IHDR_END), chunk, png.subarray(IHDR_END)]);
}

/**
 * The truth chunk of a PNG, read from the chunk list without decoding any pixels. Null for
 * bytes that are not a PNG, a PNG without the chunk, or a chunk that is not valid truth.
 */
export function readPngTruth(bytes: Uint8Array): PngTruth | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < SIGNATURE.length || !buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) return null;
  let offset = SIGNATURE.length;
  while (offset + 12 <= buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const start = offset + 8;
    if (start + length + 4 > buf.length) return null;
    if (type === 'tEXt') {
      const body = buf.subarray(start, start + length);
      const nul = body.indexOf(0);
      if (nul > 0 && body.toString('latin1', 0, nul) === TRUTH_KEYWORD) return parseTruth(body.toString('latin1', nul + 1));
    }
    if (type === 'IEND') return null;
    offset = start + length + 4;
  }
  return null;
}

export function parseTruth(text: string): PngTruth | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!Number.isSafeInteger(v.planogram_id) || !Number.isSafeInteger(v.section_id)) return null;
  if (typeof v.planogram_name !== 'string' || typeof v.section_name !== 'string') return null;
  return {
    planogram_id: v.planogram_id as number,
    section_id: v.section_id as number,
    planogram_name: v.planogram_name,
    section_name: v.section_name,
  };
}
