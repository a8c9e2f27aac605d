/**
 * Demo shelf photos as JPEG, what shelf cameras produce: the drawn shelf encoded by sharp,
 * with the same ground truth in a JPEG comment segment (COM, keyword
 * `scancopy-truth` then a NUL), so the sandbox recognises a copied JPEG as it does a PNG.
 */
import sharp from 'sharp';
import { drawShelfPng, parseTruth, readPngTruth, TRUTH_KEYWORD, truthText, type DrawShelfOptions, type PngTruth } from './png.js';

const SOI = [0xff, 0xd8];
const COM = 0xfe;
const SOS = 0xda;

/** @default 320x200 (the PNGs' size: seeding stays as fast), quality 85 */
export async function drawShelfJpeg(opts: DrawShelfOptions): Promise<Buffer> {
  const png = drawShelfPng(opts);
  return withTruthComment(await sharp(png).jpeg({ quality: 85 }).toBuffer(), opts);
}

/** A JPEG with the truth of `opts` in a comment segment after its SOI: any photo becomes one the sandbox recognises as that section. */
export function withTruthComment(jpeg: Buffer, opts: DrawShelfOptions): Buffer {
  const text = Buffer.concat([Buffer.from(TRUTH_KEYWORD, 'latin1'), Buffer.from([0]), Buffer.from(truthText(opts), 'latin1')]);
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xff00 | COM, 0);
  segment.writeUInt16BE(2 + text.length, 2);
  text.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

/** The truth comment of a JPEG, read from the segment headers without decoding; null when absent or not a JPEG. */
export function readJpegTruth(bytes: Uint8Array): PngTruth | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || buf[0] !== SOI[0] || buf[1] !== SOI[1]) return null;
  let offset = 2;
  while (offset + 4 <= buf.length && buf[offset] === 0xff) {
    const marker = buf[offset + 1] as number;
    if (marker === SOS) return null;
    const length = buf.readUInt16BE(offset + 2);
    const end = offset + 2 + length;
    if (length < 2 || end > buf.length) return null;
    if (marker === COM) {
      const body = buf.subarray(offset + 4, end);
      const nul = body.indexOf(0);
      if (nul > 0 && body.toString('latin1', 0, nul) === TRUTH_KEYWORD) return parseTruth(body.toString('latin1', nul + 1));
    }
    offset = end;
  }
  return null;
}

/** The truth of a demo image, PNG or JPEG. */
export function readImageTruth(bytes: Uint8Array): PngTruth | null {
  return readPngTruth(bytes) ?? readJpegTruth(bytes);
}
