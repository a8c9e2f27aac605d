/**
 * Image file names (platform.md section 7): `{scan_id}_{section_name}_{store_pog_id}.ext`
 * with missing parts dropped, exactly as the seed tool names a scan's image, plus `_2`,
 * `_3`, ... for a scan's other files (the seed overwrote them). Section names come from the
 * platform's data, so they are made safe as file names on Linux, macOS and Windows: a
 * hostile name can never leave the download folder or produce a name an OS refuses.
 */

/** Bytes of UTF-8 a section name may take in a file name; leaves room for ids and suffixes under 255. */
export const MAX_SECTION_BYTES = 120;

/** Used when neither `original_filename` nor Content-Type gives an extension (the seed's only one). */
export const DEFAULT_EXTENSION = '.jpg';

// Separators, characters Windows forbids, controls, invisible format characters (a bidi
// override can disguise an extension), lone surrogates and line/paragraph separators.
const UNSAFE_CHARS = /[/\\<>:"|?*\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\.|$)/i;

/**
 * A section name made safe to appear in a file name, or undefined when nothing usable is
 * left (then the name is built as if the section were missing).
 */
export function safeSectionName(raw: string | null | undefined): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  let name = raw.normalize('NFC').replace(UNSAFE_CHARS, '_');
  // `..` is only dangerous as a whole path segment, but no dot run survives so no reader has to check.
  name = name.replace(/\.{2,}/g, '.');
  name = truncateUtf8(name, MAX_SECTION_BYTES);
  // Windows drops trailing dots and spaces, which would make two names collide or one vanish.
  name = name.trim().replace(/[. ]+$/, '');
  if (name === '') return undefined;
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  return name;
}

/** Cuts to at most `maxBytes` of UTF-8 without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let out = '';
  for (const char of text) {
    bytes += Buffer.byteLength(char, 'utf8');
    if (bytes > maxBytes) break;
    out += char;
  }
  return out;
}

export interface ImageNameParts {
  scanId: number;
  /** The section name of the scan's first compliance report, as stored. */
  sectionName?: string | null;
  /** `_raw_data.store_planogram` (or `store_planogram_id`). */
  storePogId?: number | null;
  /** 0 for a scan's first file, 1 for its second, ... */
  fileIndex: number;
}

/** The name without its extension: `12345_SectionName_67890`, `12345_67890_2`, `12345`, ... */
export function imageBaseName(parts: ImageNameParts): string {
  if (!Number.isSafeInteger(parts.scanId) || parts.scanId < 0) {
    throw new TypeError(`Expected a scan id to be a whole number, got ${String(parts.scanId)}`);
  }
  const pieces = [String(parts.scanId)];
  const section = safeSectionName(parts.sectionName);
  if (section !== undefined) pieces.push(section);
  if (parts.storePogId !== null && parts.storePogId !== undefined) pieces.push(String(parts.storePogId));
  if (parts.fileIndex > 0) pieces.push(String(parts.fileIndex + 1));
  return pieces.join('_');
}

const EXTENSION_BY_TYPE: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/jpg': '.jpg',
  'image/pjpeg': '.jpg',
  'image/png': '.png',
  'image/webp': '.webp',
  'image/gif': '.gif',
  'image/heic': '.heic',
  'image/heif': '.heif',
  'image/tiff': '.tif',
  'image/bmp': '.bmp',
  'image/avif': '.avif',
  'video/mp4': '.mp4',
  'video/quicktime': '.mov',
};

/** The extensions a downloaded file may keep from its `original_filename`: the images and videos the platform serves. */
export const ALLOWED_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.heic', '.heif', '.tif', '.tiff', '.bmp', '.avif', '.mp4', '.mov']);

/** Bytes of content `extensionFromContent` needs to see. */
export const SNIFF_BYTES = 32;

const ascii = (bytes: Uint8Array, at: number, text: string): boolean => Buffer.from(bytes.subarray(at, at + text.length)).toString('latin1') === text;

/**
 * The extension the content's first bytes announce, for the allowed types only. Twelve fixed
 * signatures: a general file-type library would bring a tokenizer stack for them.
 */
export function extensionFromContent(head: Uint8Array): string | undefined {
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return '.jpg';
  if (ascii(head, 0, '\x89PNG\r\n\x1a\n')) return '.png';
  if (ascii(head, 0, 'GIF87a') || ascii(head, 0, 'GIF89a')) return '.gif';
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WEBP')) return '.webp';
  if (ascii(head, 0, 'BM') && head.length >= 14) return '.bmp';
  if (ascii(head, 0, 'II*\0') || ascii(head, 0, 'MM\0*')) return '.tif';
  if (ascii(head, 4, 'ftyp')) {
    const brand = Buffer.from(head.subarray(8, 12)).toString('latin1');
    if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis'].includes(brand)) return '.heic';
    if (['mif1', 'msf1'].includes(brand)) return '.heif';
    if (['avif', 'avis'].includes(brand)) return '.avif';
    if (brand === 'qt  ') return '.mov';
    return '.mp4';
  }
  return undefined;
}

/**
 * `.ext` from the original file name when it is an allowed image or video extension, else
 * from the content's first bytes, else from Content-Type, else `.jpg`; always lower case. A
 * name the platform stored (`payload.exe`, `run.sh`) never decides what a file is called.
 */
export function imageExtension(originalFilename: string | null | undefined, contentType: string | null | undefined, head?: Uint8Array): string {
  const fromName = /\.([A-Za-z0-9]{1,10})$/.exec(originalFilename ?? '')?.[1];
  if (fromName && ALLOWED_EXTENSIONS.has(`.${fromName.toLowerCase()}`)) return `.${fromName.toLowerCase()}`;
  const fromContent = head ? extensionFromContent(head) : undefined;
  if (fromContent) return fromContent;
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return EXTENSION_BY_TYPE[mediaType] ?? DEFAULT_EXTENSION;
}

/**
 * The store POG id from a scan's `provided_values`: `_raw_data.store_planogram` or
 * `store_planogram_id`, or the same keys on the object itself when it has no `_raw_data`.
 */
export function storePogIdOf(providedValues: unknown): number | undefined {
  if (!isRecord(providedValues)) return undefined;
  const payload = isRecord(providedValues._raw_data) ? providedValues._raw_data : providedValues;
  return wholeNumber(payload.store_planogram) ?? wholeNumber(payload.store_planogram_id);
}

function wholeNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
