import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { drawShelfPng } from '../src/sandbox/png.js';
import { testEngines } from './helpers/databases.js';
import { rawApi, startTestSandbox, type RawApi } from './helpers/sandbox.js';

const URL_TTL_MS = 1500;
const png = drawShelfPng({ planogramId: 1, sectionId: 1, planogramName: 'Cereal Aisle 4ft', sectionName: 'Top Shelf Left', variant: 3 });

describe.each(testEngines())('sandbox REST API on $name', (engine) => {
  let sb: RunningSandbox;
  let api: RawApi;

  beforeAll(async () => {
    sb = await startTestSandbox({ engine, seedDemo: { scans: 3 }, urlTtlMs: URL_TTL_MS, processingDelayMs: 60_000 });
    api = await rawApi(sb);
  });
  afterAll(() => sb?.close());

  describe('log in', () => {
    it('answers 200 with the user id and a token', async () => {
      const res = await api.post('/api/v4/token-auth/', { username: sb.username, password: sb.password }, {});
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: 1, token: api.token });
    });

    it('answers 400 non_field_errors to bad credentials, and names missing fields', async () => {
      const bad = await api.post('/api/v4/token-auth/', { username: sb.username, password: 'nope' }, {});
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] });
      const missing = await api.post('/api/v4/token-auth/', { username: sb.username }, {});
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({ password: ['This field is required.'] });
    });
  });

  it('answers 401 {"detail": "Invalid token."} to a missing or wrong token on every authenticated call', async () => {
    const variants: Array<Record<string, string>> = [{}, { authorization: 'Token wrong' }, { authorization: `Bearer ${api.token}` }];
    for (const headers of variants) {
      const calls = [
        api.get('/api/v1/master-data/file-upload/1/', headers),
        api.post('/api/v4/processing/actions/', { store: 1, files: [1] }, headers),
        fetch(`${sb.apiUrl}/api/v4/processing/upload/`, { method: 'POST', headers, body: new FormData() }),
      ];
      for (const res of await Promise.all(calls)) {
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ detail: 'Invalid token.' });
      }
    }
  });

  it('answers 401 to a token that has expired, until the client logs in again', async () => {
    sb.expireTokens();
    expect((await api.get('/api/v1/master-data/file-upload/1/')).status).toBe(401);
    api = await rawApi(sb);
    expect((await api.get('/api/v1/master-data/file-upload/1/')).status).toBe(200);
  });

  describe('file metadata and content', () => {
    it('gives a pre-signed URL that serves the stored bytes and Content-Type without Authorization', async () => {
      const meta = await api.get('/api/v1/master-data/file-upload/1/');
      expect(meta.status).toBe(200);
      const body = (await meta.json()) as { id: number; file: string; original_filename: string };
      expect(body).toMatchObject({ id: 1, original_filename: 'shelf_01.png' });
      expect(body.file).toMatch(new RegExp(`^${sb.apiUrl}/media/1\\?expires=\\d+&signature=`));
      const content = await fetch(body.file);
      expect(content.status).toBe(200);
      expect(content.headers.get('content-type')).toBe('image/png');
      const bytes = Buffer.from(await content.arrayBuffer());
      const [row] = await sb.db.query<{ sha256: string; size: number }>('SELECT sha256, size FROM sandbox_fileupload WHERE id = 1');
      expect(bytes.length).toBe(row?.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(row?.sha256);
    });

    it('answers 404 to an unknown or malformed file id', async () => {
      expect((await api.get('/api/v1/master-data/file-upload/999999/')).status).toBe(404);
      expect((await api.get('/api/v1/master-data/file-upload/abc/')).status).toBe(404);
    });

    it('refuses a download URL with a wrong or missing signature with 403', async () => {
      const { file } = (await (await api.get('/api/v1/master-data/file-upload/1/')).json()) as { file: string };
      const forged = file.replace(/signature=[^&]+/, 'signature=AAAA');
      const other = file.replace('/media/1?', '/media/2?');
      for (const url of [forged, other, `${sb.apiUrl}/media/1`]) {
        const res = await fetch(url);
        expect(res.status).toBe(403);
        expect(await res.text()).toMatch(/<Error><Code>(SignatureDoesNotMatch|AccessDenied)<\/Code>/);
      }
    });

    it('refuses a download URL past its lifetime with 403 "Request has expired"', async () => {
      const { file } = (await (await api.get('/api/v1/master-data/file-upload/2/')).json()) as { file: string };
      expect((await fetch(file)).status).toBe(200);
      await sleep(URL_TTL_MS + 100);
      const res = await fetch(file);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/xml');
      expect(await res.text()).toContain('<Message>Request has expired</Message>');
    });
  });

  describe('upload', () => {
    it('answers 201 {id} and keeps the bytes, original filename, content type and sha256', async () => {
      const res = await api.upload(png, 'Shelf photo (1).png', 'image/png');
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: number };
      const [row] = await sb.db.query<Record<string, unknown>>(
        'SELECT original_filename, content_type, input_type, size, sha256, content FROM sandbox_fileupload WHERE id = $1',
        [id],
      );
      expect(row).toMatchObject({ original_filename: 'Shelf photo (1).png', content_type: 'image/png', input_type: 'image', size: png.length });
      expect(row?.sha256).toBe(createHash('sha256').update(png).digest('hex'));
      expect(Buffer.from(row?.content as Uint8Array).equals(png)).toBe(true);
      const { file } = (await (await api.get(`/api/v1/master-data/file-upload/${id}/`)).json()) as { file: string };
      expect(Buffer.from(await (await fetch(file)).arrayBuffer()).equals(png)).toBe(true);
    });

    it('types a file from its name, as object storage does, when its part has no Content-Type', async () => {
      const upload = async (filename: string): Promise<string | null> => {
        const boundary = 'sandbox-test-boundary';
        const body = Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="input_type"\r\n\r\nimage\r\n`),
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n\r\n`),
          png,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
        const res = await fetch(`${sb.apiUrl}/api/v4/processing/upload/`, {
          method: 'POST',
          headers: { ...api.auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
          body,
        });
        expect(res.status).toBe(201);
        const { id } = (await res.json()) as { id: number };
        const { file } = (await (await api.get(`/api/v1/master-data/file-upload/${id}/`)).json()) as { file: string };
        return (await fetch(file)).headers.get('content-type');
      };
      expect(await upload('shelf_01.jpg')).toBe('image/jpeg');
      expect(await upload('shelf_01.PNG')).toBe('image/png');
      expect(await upload('no-extension')).toBe('application/octet-stream');
    });

    it('answers 400 naming the field when the file or input_type is missing or wrong', async () => {
      const noFile = await fetch(`${sb.apiUrl}/api/v4/processing/upload/`, { method: 'POST', headers: api.auth, body: formWith({ input_type: 'image' }) });
      expect([noFile.status, await noFile.json()]).toEqual([400, { file: ['No file was submitted.'] }]);
      const noType = await api.upload(png, 'a.png', 'image/png', {});
      expect([noType.status, await noType.json()]).toEqual([400, { input_type: ['This field is required.'] }]);
      const badType = await api.upload(png, 'a.png', 'image/png', { input_type: 'pdf' });
      expect([badType.status, await badType.json()]).toEqual([400, { input_type: ['"pdf" is not a valid choice.'] }]);
      const empty = await api.upload(new Uint8Array(0), 'a.png');
      expect([empty.status, await empty.json()]).toEqual([400, { file: ['The submitted file is empty.'] }]);
    });

    it('answers 415 to a body that is not multipart', async () => {
      const res = await api.post('/api/v4/processing/upload/', { file: 'x' });
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual({ detail: 'Unsupported media type "application/json" in request.' });
    });
  });

  describe('create scan', () => {
    it('answers 201 {id} and stores the payload as _raw_data, one scanfile row per file in order, status processing', async () => {
      const files = [await api.uploadId(png, 'b.png'), await api.uploadId(png, 'a.png')].reverse();
      const payload = { store: 1, files, captured_at: 1764000000, category_id: 1, aisle: 'Aisle 4', device_id: 'ipad-01' };
      const res = await api.create(payload);
      expect(res.status).toBe(201);
      const body = (await res.json()) as { id: number; status: string };
      expect(body).toMatchObject({ status: 'created', store: 1, files });
      const [scan] = await sb.db.query<Record<string, unknown>>(
        'SELECT provided_values, store_id, status, has_report, selected_category_id, active_realogram_id FROM realograms_implementation_scan WHERE id = $1',
        [body.id],
      );
      expect(scan).toEqual({ provided_values: { _raw_data: payload }, store_id: 1, status: 'created', has_report: false, selected_category_id: 1, active_realogram_id: null });
      const rows = await sb.db.query<{ file_id: number; file_type: string }>(
        'SELECT file_id, file_type FROM realograms_implementation_scanfile WHERE scan_id = $1 ORDER BY id',
        [body.id],
      );
      expect(rows).toEqual(files.map((id) => ({ file_id: id, file_type: 'image' })));
    });

    it.each([
      ['an unknown store', { store: 999, files: 'FILE' }, { store: ['Invalid pk "999" - object does not exist.'] }],
      ['no store', { files: 'FILE' }, { store: ['This field is required.'] }],
      ['no files', { store: 1 }, { files: ['This field is required.'] }],
      ['an empty file list', { store: 1, files: [] }, { files: ['This list may not be empty.'] }],
      ['an unknown file id', { store: 1, files: [999999] }, { files: ['Invalid pk "999999" - object does not exist.'] }],
      ['files that are not a list', { store: 1, files: 5 }, { files: ['Expected a list of items but got type "int".'] }],
      ['a store of the wrong type', { store: 'one', files: 'FILE' }, { store: ['Incorrect type. Expected pk value, received str.'] }],
      ['a file id of the wrong type', { store: 1, files: [true] }, { files: ['Incorrect type. Expected pk value, received bool.'] }],
      ['a captured_at that is not a number', { store: 1, files: 'FILE', captured_at: 'yesterday' }, { captured_at: ['A valid number is required.'] }],
      ['an unknown section', { store: 1, files: 'FILE', section_id: 999 }, { section_id: ['Invalid pk "999" - object does not exist.'] }],
      ['an unknown store planogram', { store: 1, files: 'FILE', store_planogram: 999 }, { store_planogram: ['Invalid pk "999" - object does not exist.'] }],
      ['several wrong fields at once', { store: 999, files: [] }, { store: ['Invalid pk "999" - object does not exist.'], files: ['This list may not be empty.'] }],
    ])('answers 400 naming the field for %s, and creates nothing', async (_name, payload, expected) => {
      const fileId = await api.uploadId(png, 'c.png');
      const body = JSON.parse(JSON.stringify(payload).replace('"FILE"', `[${fileId}]`)) as unknown;
      const before = await scanCount(sb);
      const res = await api.create(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(expected);
      expect(await scanCount(sb)).toBe(before);
    });

    it("answers 400 naming store_planogram to a payload that names another store's planogram, and files one of its own store", async () => {
      const [foreign] = await sb.db.query<{ id: number; store_id: number }>('SELECT id, store_id FROM planograms_implementation_planogramstore WHERE store_id <> 1 ORDER BY id LIMIT 1');
      const [own] = await sb.db.query<{ id: number }>('SELECT id FROM planograms_implementation_planogramstore WHERE store_id = 1 ORDER BY id LIMIT 1');
      expect(foreign && own).toBeTruthy();
      const before = await scanCount(sb);
      const refused = await api.create({ store: 1, files: [await api.uploadId(png, 'e.png')], store_planogram: foreign?.id });
      expect([refused.status, await refused.json()]).toEqual([400, { store_planogram: [`Store planogram ${foreign?.id} is not assigned to store 1.`] }]);
      expect(await scanCount(sb)).toBe(before);
      const accepted = await api.create({ store: 1, files: [await api.uploadId(png, 'f.png')], store_planogram: own?.id });
      expect(accepted.status).toBe(201);
    });

    it('answers 400 to a body that is not a JSON object', async () => {
      const list = await api.create([1, 2]);
      expect([list.status, await list.json()]).toEqual([400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }]);
      const broken = await fetch(`${sb.apiUrl}/api/v4/processing/actions/`, { method: 'POST', headers: { ...api.auth, 'content-type': 'application/json' }, body: '{"store":' });
      expect(broken.status).toBe(400);
      expect(((await broken.json()) as { detail: string }).detail).toMatch(/^JSON parse error/);
    });

    it('accepts files another scan already uses: a blind re-create is a second scan', async () => {
      const fileId = await api.uploadId(png, 'd.png');
      const first = (await (await api.create({ store: 1, files: [fileId] })).json()) as { id: number };
      const again = await api.create({ store: 1, files: [fileId] });
      expect(again.status).toBe(201);
      const second = (await again.json()) as { id: number };
      expect(second.id).not.toBe(first.id);
      const users = await sb.db.query<{ scan_id: number }>('SELECT scan_id FROM realograms_implementation_scanfile WHERE file_id = $1 ORDER BY scan_id', [fileId]);
      expect(users.map((u) => u.scan_id)).toEqual([first.id, second.id]);
    });
  });

  it('answers 404 JSON to an unknown route', async () => {
    const res = await api.get('/api/v4/nothing/');
    expect([res.status, await res.json()]).toEqual([404, { detail: 'Not found.' }]);
  });
});

describe('a sandbox with rejectReusedFiles', () => {
  it('answers 400 naming the file and the scan that uses it', async () => {
    const sb = await startTestSandbox({ rejectReusedFiles: true });
    try {
      await sb.db.query("INSERT INTO master_data_implementation_store (name) VALUES ('Only store')");
      const api = await rawApi(sb);
      const fileId = await api.uploadId(png, 'e.png');
      const first = (await (await api.create({ store: 1, files: [fileId] })).json()) as { id: number };
      const again = await api.create({ store: 1, files: [fileId] });
      expect(again.status).toBe(400);
      expect(await again.json()).toEqual({ files: [`File ${fileId} is already used by scan ${first.id}.`] });
    } finally {
      await sb.close();
    }
  });
});

describe.each(testEngines())('a sandbox with a storage dir on $name', (engine) => {
  let parent: string;
  let dir: string;
  let sb: RunningSandbox;
  let api: RawApi;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'scancopy-storage-'));
    // A folder that does not exist yet: the sandbox makes it.
    dir = join(parent, 'uploads');
    sb = await startTestSandbox({ engine, storageDir: dir, seedDemo: { scans: 1 }, processingDelayMs: 60_000 });
    api = await rawApi(sb);
  });
  afterAll(async () => {
    await sb?.close();
    await rm(parent, { recursive: true, force: true });
  });

  const rowOf = async (id: number) => {
    const [row] = await sb.db.query<{ content: Uint8Array | null; storage_path: string | null; sha256: string }>(
      'SELECT content, storage_path, sha256 FROM sandbox_fileupload WHERE id = $1',
      [id],
    );
    return row;
  };

  it('keeps an upload as a file in the dir, named by its sha256, and the row without content', async () => {
    const id = await api.uploadId(png, 'in dir.png');
    const row = await rowOf(id);
    const sha256 = createHash('sha256').update(png).digest('hex');
    expect(row).toEqual({ content: null, storage_path: join(dir, sha256), sha256 });
    expect((await readFile(join(dir, sha256))).equals(png)).toBe(true);
  });

  it('serves the upload back byte-identical through its metadata and pre-signed URL', async () => {
    const bytes = Buffer.concat([png, Buffer.from('a different upload')]);
    const id = await api.uploadId(bytes, 'served.png');
    const { file } = (await (await api.get(`/api/v1/master-data/file-upload/${id}/`)).json()) as { file: string };
    const res = await fetch(file);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('etag')).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('keeps identical uploads in one file, and leaves no temp file behind', async () => {
    const bytes = Buffer.from('the same bytes, uploaded twice');
    const [a, b] = await Promise.all([api.uploadId(bytes, 'one.png'), api.uploadId(bytes, 'two.png')]);
    expect(a).not.toBe(b);
    expect((await rowOf(a))?.storage_path).toBe((await rowOf(b))?.storage_path);
    const names = await readdir(dir);
    expect(names.every((name) => /^[0-9a-f]{64}$/.test(name))).toBe(true);
  });

  it('answers a file whose bytes left the folder as a missing object (404 NoSuchKey), not a server error', async () => {
    const bytes = Buffer.from('bytes that will be deleted from the folder');
    const id = await api.uploadId(bytes, 'gone.png');
    const { file } = (await (await api.get(`/api/v1/master-data/file-upload/${id}/`)).json()) as { file: string };
    await rm(join(dir, createHash('sha256').update(bytes).digest('hex')));
    const res = await fetch(file);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('<Code>NoSuchKey</Code>');
  });

  it('still serves the seeded files kept in the database', async () => {
    const [seeded] = await sb.db.query<{ id: number; size: number }>('SELECT id, size FROM sandbox_fileupload WHERE content IS NOT NULL ORDER BY id LIMIT 1');
    expect(seeded).toBeDefined();
    const { file } = (await (await api.get(`/api/v1/master-data/file-upload/${seeded?.id}/`)).json()) as { file: string };
    expect((await (await fetch(file)).arrayBuffer()).byteLength).toBe(seeded?.size);
  });
});

describe('a storage dir the sandbox cannot use', () => {
  it('fails the start with USAGE naming the folder', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'scancopy-storage-'));
    try {
      const blocker = join(parent, 'a-file');
      await writeFile(blocker, 'not a folder');
      for (const storageDir of [blocker, join(blocker, 'uploads')]) {
        await expect(startTestSandbox({ storageDir })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining(`cannot keep uploaded files in ${storageDir}: `) });
      }
      await expect(startTestSandbox({ storageDir: ' ' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('must not be empty') });
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  // Root writes through any mode bits, so only another user can see the refusal.
  it.skipIf(process.getuid?.() === 0)('fails the start with USAGE when the folder is not writable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scancopy-storage-'));
    try {
      await chmod(dir, 0o500);
      await expect(startTestSandbox({ storageDir: dir })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('(EACCES)') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function formWith(fields: Record<string, string>): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

async function scanCount(sb: RunningSandbox): Promise<number> {
  const [row] = await sb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM realograms_implementation_scan');
  return row?.n ?? 0;
}
