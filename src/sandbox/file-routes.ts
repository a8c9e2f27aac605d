/** File metadata (with a pre-signed URL), the download it points to, and multipart upload. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fieldError, INPUT_TYPES, json, notFound, storageError, type Answer } from './answer.js';
import { ContentCache, type ContentCacheLimits } from './content-cache.js';
import { receiveUpload } from './disk-files.js';
import { findFile, insertFile, openContent, purgeIfUnused } from './file-store.js';
import type { Route, ServerContext } from './server.js';

/**
 * Bounds of the stored files held in memory for serving: the bench's source serves seven
 * distinct files (3-8 MB JPEGs and a 60 MB video) again and again.
 */
const CONTENT_CACHE: ContentCacheLimits = { maxBytes: 256 * 1024 * 1024, maxFileBytes: 64 * 1024 * 1024 };

export function fileRoutes(app: FastifyInstance, ctx: ServerContext, route: Route): void {
  const contents = new ContentCache(CONTENT_CACHE);
  app.get('/api/v1/master-data/file-upload/:id/', route('meta', true, async ({ request, outcome }) => {
    const id = idParam(request);
    const file = id === undefined ? undefined : await findFile(ctx.db, id);
    if (!file) return notFound();
    // `expire` hands out a URL that has already run out, as a stale cache or a slow client sees it.
    const expiresAt = outcome === 'expire' ? Date.now() - 1000 : Date.now() + ctx.urlTtlMs;
    const origin = `${request.protocol}://${request.host}`;
    return json(200, { id: file.id, file: `${origin}/media/${file.id}?${ctx.signer.sign(file.id, expiresAt)}`, original_filename: file.originalFilename });
  }));

  app.get('/media/:id', route('content', false, async ({ request, outcome }) => {
    const id = idParam(request);
    const query = request.query as Record<string, string | undefined>;
    const verdict = id === undefined ? 'bad-signature' : ctx.signer.verify(id, query.expires, query.signature);
    if (verdict === 'expired' || outcome === 'expire') return storageError(403, 'AccessDenied', 'Request has expired');
    if (verdict === 'unsigned') return storageError(403, 'AccessDenied', 'Query-string authentication requires the expires and signature parameters');
    if (verdict === 'bad-signature') return storageError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    const file = await findFile(ctx.db, id as number);
    const body = file && (await openContent(ctx.db, file, contents));
    // No row, or a row whose bytes left the storage folder: a missing object, as the object store says it.
    if (!file || !body) return storageError(404, 'NoSuchKey', 'The specified key does not exist.');
    return {
      status: 200,
      headers: { 'content-type': file.contentType, etag: `"${file.sha256}"`, 'cache-control': 'private, max-age=0' },
      body,
      length: file.size,
    };
  }));

  app.post('/api/v4/processing/upload/', route('upload', true, async ({ request }) => upload(request, ctx)));
}

function idParam(request: FastifyRequest): number | undefined {
  const raw = (request.params as { id?: string }).id ?? '';
  return /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}

async function upload(request: FastifyRequest, ctx: ServerContext): Promise<Answer> {
  if (!request.isMultipart()) {
    return json(415, { detail: `Unsupported media type "${request.headers['content-type'] ?? ''}" in request.` });
  }
  let file: { body: { bytes: Buffer } | { stored: { path: string; size: number; sha256: string } }; filename: string; mimetype: string } | undefined;
  const fields: Record<string, unknown> = {};
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const wanted = part.fieldname === 'file' && !file;
      if (!wanted || ctx.storageDir === undefined) {
        const bytes = await part.toBuffer();
        if (wanted) file = { body: { bytes }, filename: part.filename, mimetype: part.mimetype };
        continue;
      }
      // Kept on disk, as object storage takes it.
      const received = await receiveUpload(ctx.storageDir, part.file);
      if (part.file.truncated) {
        await received.drop();
        return json(413, { detail: 'Request body too large.' });
      }
      file = { body: { stored: { path: await received.keep(), size: received.size, sha256: received.sha256 } }, filename: part.filename, mimetype: part.mimetype };
    } else {
      fields[part.fieldname] = part.value;
    }
  }
  if (!file) return fieldError('file', 'No file was submitted.');
  if (!file.filename) return fieldError('file', 'The submitted data was not a file. Check the encoding type on the form.');
  if (('bytes' in file.body ? file.body.bytes.length : file.body.stored.size) === 0) return fieldError('file', 'The submitted file is empty.');
  if (file.filename.length > 255) return fieldError('file', `Ensure this filename has at most 255 characters (it has ${file.filename.length}).`);
  const inputType = fields.input_type;
  if (inputType === undefined || inputType === '') return fieldError('input_type', 'This field is required.');
  if (typeof inputType !== 'string' || !INPUT_TYPES.includes(inputType)) return fieldError('input_type', `"${String(inputType)}" is not a valid choice.`);
  const stored = await insertFile(ctx.db, {
    ...file.body,
    originalFilename: file.filename,
    contentType: storedType(file.filename, file.mimetype),
    inputType,
  });
  if (ctx.purgeUnusedUploadsMs !== undefined) {
    ctx.deferred.after(ctx.purgeUnusedUploadsMs, `purging upload ${stored.id}`, async () => {
      if (await purgeIfUnused(ctx.db, stored.id)) ctx.log(`sandbox: purged upload ${stored.id}, which no scan uses`);
    });
  }
  return json(201, { id: stored.id, original_filename: stored.originalFilename, input_type: inputType, size: stored.size });
}

const TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', mp4: 'video/mp4' };

/**
 * The type the file is served with. The platform's object storage types a file from its
 * name, as django-storages does; the part's own Content-Type counts only for a name that
 * says nothing, and not when it is the text/plain that multipart assumes for a part
 * sent without one.
 */
function storedType(filename: string, partType: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase() ?? '';
  const byName = TYPES[ext];
  if (byName) return byName;
  return partType && partType !== 'text/plain' ? partType : 'application/octet-stream';
}
