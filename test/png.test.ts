import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { drawShelfJpeg, readJpegTruth } from '../src/sandbox/jpeg.js';
import { drawShelfPng, readPngTruth } from '../src/sandbox/png.js';
import { createRandom } from '../src/sandbox/random.js';

const base = { planogramId: 7, sectionId: 23, planogramName: 'Cereal Aisle 4ft', sectionName: 'Top Shelf Left', variant: 0 };

describe('demo shelf PNGs', () => {
  it('decode as ordinary PNGs of the requested size', () => {
    const decoded = PNG.sync.read(drawShelfPng({ ...base, width: 160, height: 120 }));
    expect([decoded.width, decoded.height]).toEqual([160, 120]);
  });

  it('carry their planogram and section as truth that reads back without decoding pixels', () => {
    const tricky = { ...base, sectionName: 'Bay 2, Lower "Value" Shelf — café' };
    expect(readPngTruth(drawShelfPng(tricky))).toEqual({
      planogram_id: 7,
      section_id: 23,
      planogram_name: 'Cereal Aisle 4ft',
      section_name: 'Bay 2, Lower "Value" Shelf — café',
    });
  });

  it('are byte-identical for the same inputs and differ by section, planogram and variant', () => {
    const a = drawShelfPng(base);
    expect(drawShelfPng(base).equals(a)).toBe(true);
    const pixels = (bytes: Buffer): Buffer => PNG.sync.read(bytes).data;
    expect(pixels(drawShelfPng({ ...base, sectionId: 24 })).equals(pixels(a))).toBe(false);
    expect(pixels(drawShelfPng({ ...base, planogramId: 8 })).equals(pixels(a))).toBe(false);
    expect(pixels(drawShelfPng({ ...base, variant: 1 })).equals(pixels(a))).toBe(false);
  });

  it('stay small and quick to encode', () => {
    const started = performance.now();
    const sizes = Array.from({ length: 40 }, (_, i) => drawShelfPng({ ...base, sectionId: i, variant: i }).length);
    expect(Math.max(...sizes)).toBeLessThan(16_000);
    expect((performance.now() - started) / 40).toBeLessThan(50);
  });

  it('give no truth for non-PNG bytes, a PNG without the chunk, or a truncated file', () => {
    expect(readPngTruth(Buffer.from('GIF89a not a png'))).toBeNull();
    expect(readPngTruth(new Uint8Array(0))).toBeNull();
    expect(readPngTruth(PNG.sync.write(new PNG({ width: 4, height: 4 })))).toBeNull();
    const full = drawShelfPng(base);
    expect(readPngTruth(full.subarray(0, 40))).toBeNull();
  });

  it('read truth from a view into a larger buffer', () => {
    const png = drawShelfPng(base);
    const padded = Buffer.concat([Buffer.from('xxxx'), png]);
    expect(readPngTruth(new Uint8Array(padded.buffer, padded.byteOffset + 4, png.length))?.section_id).toBe(23);
  });
});

describe('seeded random', () => {
  it('repeats its sequence for a seed and forks independent streams', () => {
    const draw = (seed: number): number[] => {
      const r = createRandom(seed);
      return Array.from({ length: 5 }, () => r.int(0, 1_000_000));
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    const r = createRandom(9);
    const forkBefore = r.fork('x').next();
    r.next();
    expect(r.fork('x').next()).toBe(forkBefore);
  });
});

describe('demo shelf JPEGs', () => {
  it('decode as ordinary JPEGs, carry the same truth in a comment, and are byte-identical for the same inputs', async () => {
    const tricky = { ...base, sectionName: 'Bay 2, Lower "Value" Shelf — café' };
    const jpeg = await drawShelfJpeg(tricky);
    const meta = await sharp(jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 200]);
    expect(readJpegTruth(jpeg)).toEqual(readPngTruth(drawShelfPng(tricky)));
    expect((await drawShelfJpeg(tricky)).equals(jpeg)).toBe(true);
    expect(readJpegTruth(await sharp(jpeg).jpeg().toBuffer())).toBeNull();
    expect(readJpegTruth(drawShelfPng(tricky))).toBeNull();
  });
});
