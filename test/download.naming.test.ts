import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageBaseName, imageExtension, MAX_SECTION_BYTES, safeSectionName, storePogIdOf } from '../src/workflows/download/naming.js';

describe('image names follow the seed tool, with the parts that exist', () => {
  it.each([
    ['section and POG', { sectionName: 'SectionName', storePogId: 67890 }, '12345_SectionName_67890'],
    ['section only', { sectionName: 'SectionName' }, '12345_SectionName'],
    ['POG only', { storePogId: 67890 }, '12345_67890'],
    ['neither', {}, '12345'],
  ])('%s', (_case, parts, expected) => {
    expect(imageBaseName({ scanId: 12345, fileIndex: 0, ...parts })).toBe(expected);
  });

  it('suffixes a scan\'s second and later files with _2, _3, ...', () => {
    const names = [0, 1, 2].map((fileIndex) => imageBaseName({ scanId: 7, sectionName: 'Top Shelf', storePogId: 3, fileIndex }));
    expect(names).toEqual(['7_Top Shelf_3', '7_Top Shelf_3_2', '7_Top Shelf_3_3']);
    expect(imageBaseName({ scanId: 7, fileIndex: 1 })).toBe('7_2');
  });

  it('keeps ordinary section names as they are (spaces, commas, accents, ampersands)', () => {
    for (const name of ['Chips, Salsa & Dips', 'Granola & Müesli', "Sports Drinks (12 oz) 'Chilled'", 'Cola 2.5L']) {
      expect(safeSectionName(name)).toBe(name);
    }
  });
});

describe('hostile section names are made safe file name parts', () => {
  const hostile = [
    '../../x',
    'a/b',
    'a\\b',
    '..',
    '.',
    'CON',
    'nul.txt',
    'COM1',
    'lpt9',
    'tab\there\nnew\u0000nul\u001besc',
    'bidi\u202Egpj.exe',
    'Bay 2, Lower "Value" Shelf',
    'what?*<>|:',
    'trailing dots...',
    'x'.repeat(500),
    'é'.repeat(500),
    '😀'.repeat(200),
    '\uD800lone',
  ];

  it.each(hostile.map((name) => [JSON.stringify(name).slice(0, 40), name]))('%s', (_label, raw) => {
    const safe = safeSectionName(raw);
    if (safe === undefined) return;
    expect(safe).not.toMatch(/[/\\<>:"|?*\p{Cc}\p{Cf}\p{Cs}]/u);
    expect(safe).not.toContain('..');
    expect(safe).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i);
    expect(safe).not.toMatch(/[. ]$/);
    expect(Buffer.byteLength(safe, 'utf8')).toBeLessThanOrEqual(MAX_SECTION_BYTES);
    expect(safe).toBe(Buffer.from(safe, 'utf8').toString('utf8'));
    const name = `${imageBaseName({ scanId: 123456789, sectionName: raw, storePogId: 987654321, fileIndex: 11 })}.jpeg`;
    expect(Buffer.byteLength(name, 'utf8')).toBeLessThanOrEqual(255);
    const out = resolve('/tmp/out');
    expect(resolve(out, name).startsWith(`${out}/`)).toBe(true);
  });

  it('gives exact replacements for the usual suspects', () => {
    expect(safeSectionName('../../x')).toBe('._._x');
    expect(safeSectionName('a/b')).toBe('a_b');
    expect(safeSectionName('CON')).toBe('_CON');
    expect(safeSectionName('a\u0000b\nc')).toBe('a_b_c');
    expect(safeSectionName('Bay 2, Lower "Value" Shelf')).toBe('Bay 2, Lower _Value_ Shelf');
    expect(safeSectionName('x'.repeat(500))).toBe('x'.repeat(MAX_SECTION_BYTES));
  });

  it('drops a section name with nothing usable left, as if it were missing', () => {
    expect(safeSectionName('   ')).toBeUndefined();
    expect(safeSectionName('...')).toBeUndefined();
    expect(safeSectionName('')).toBeUndefined();
    expect(imageBaseName({ scanId: 5, sectionName: ' . ', storePogId: 9, fileIndex: 0 })).toBe('5_9');
  });

  const dir = mkdtemp(join(tmpdir(), 'scancopy-naming-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  it('every sanitised name can be created as a plain file in the folder', async () => {
    const out = await dir;
    for (const [i, raw] of hostile.entries()) {
      const name = `${imageBaseName({ scanId: 1000 + i, sectionName: raw, storePogId: 4, fileIndex: 0 })}.png`;
      await writeFile(join(out, name), 'x');
    }
  });
});

describe('the extension comes from the original file name when it is an image or video one, else the content, else Content-Type, else .jpg', () => {
  it.each([
    ['shelf_01.JPG', 'image/png', '.jpg'],
    ['scan.png', 'image/jpeg', '.png'],
    ['photo.heic', undefined, '.heic'],
    ['no-extension', 'image/png', '.png'],
    ['', 'image/webp; charset=binary', '.webp'],
    ['weird.ext-with-dash', 'image/jpeg', '.jpg'],
    ['../../evil', 'IMAGE/PNG', '.png'],
    [null, 'application/octet-stream', '.jpg'],
    [undefined, undefined, '.jpg'],
    ['evil.exe', 'image/png', '.png'],
    ['script.SH', undefined, '.jpg'],
    ['x.svg', 'image/gif', '.gif'],
    ['clip.MOV', 'video/quicktime', '.mov'],
  ])('%s + %s -> %s', (original, contentType, expected) => {
    expect(imageExtension(original, contentType)).toBe(expected);
  });

  const head = (hex: string, ascii = '') => Buffer.concat([Buffer.from(hex, 'hex'), Buffer.from(ascii, 'latin1')]);
  it.each([
    ['jpeg', head('ffd8ffe0'), '.jpg'],
    ['png', head('89504e470d0a1a0a'), '.png'],
    ['gif', head('', 'GIF89a'), '.gif'],
    ['webp', head('', 'RIFF\x10\x00\x00\x00WEBPVP8 '), '.webp'],
    ['tiff', head('49492a00'), '.tif'],
    ['heic', head('00000018', 'ftypheic'), '.heic'],
    ['avif', head('0000001c', 'ftypavif'), '.avif'],
    ['mov', head('00000014', 'ftypqt  '), '.mov'],
    ['mp4', head('00000018', 'ftypmp42'), '.mp4'],
  ])('a %s signature names a file whose stored name is payload.exe', (_, bytes, expected) => {
    expect(imageExtension('payload.exe', 'application/octet-stream', bytes)).toBe(expected);
  });

  it('an unknown signature falls back to Content-Type', () => {
    expect(imageExtension('payload.exe', 'image/webp', head('4d5a9000'))).toBe('.webp');
  });
});

describe('the store POG id comes from _raw_data.store_planogram (or store_planogram_id)', () => {
  it.each([
    [{ _raw_data: { store_planogram: 67890 } }, 67890],
    [{ _raw_data: { store_planogram_id: 12 } }, 12],
    [{ _raw_data: { store_planogram: '44' } }, 44],
    [{ store_planogram: 8 }, 8],
    [{ _raw_data: { store_planogram: null } }, undefined],
    [{ _raw_data: { store_planogram: 'abc' } }, undefined],
    [{ _raw_data: {} }, undefined],
    [null, undefined],
    ['text', undefined],
  ])('%j -> %s', (providedValues, expected) => {
    expect(storePogIdOf(providedValues)).toBe(expected);
  });
});
