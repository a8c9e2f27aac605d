import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgliteDb } from '../src/platform/db.js';
import { drawShelfPng } from '../src/sandbox/png.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { rawApi, startTestSandbox, type RawApi } from './helpers/sandbox.js';

/**
 * What copy and analysis do from their own process: a node-postgres pool reading the
 * instance database, plain queries and BEGIN READ ONLY transactions, many at once.
 */
const READER = String.raw`
const pg = require('pg');
const pool = new pg.Pool({ connectionString: process.env.DB_URL, max: 20 });
pool.on('error', () => {});
(async () => {
  const out = { queries: 0, transactions: 0, wrong: 0, errors: {}, scansSeen: [] };
  const fail = (e) => { out.errors[e.message] = (out.errors[e.message] || 0) + 1; };
  await Promise.all(Array.from({ length: 20 }, async (_, w) => {
    for (let i = 0; i < Number(process.env.ROUNDS); i++) {
      try {
        if (i % 2 === 0) {
          const r = await pool.query('SELECT $1::text AS v, $2::int AS n, (SELECT count(*)::int FROM realograms_implementation_scan WHERE store_id = ANY($3::bigint[])) AS scans', ['w' + w + 'i' + i, i, [1, 2, 3]]);
          if (r.rows[0].v !== 'w' + w + 'i' + i || r.rows[0].n !== i) out.wrong++;
          out.scansSeen.push(r.rows[0].scans);
          out.queries++;
        } else {
          const c = await pool.connect();
          try {
            await c.query('BEGIN READ ONLY');
            const a = await c.query('SELECT count(*)::int AS n FROM realograms_implementation_scanfile');
            const b = await c.query('SELECT $1::int * 2 AS twice', [w * 1000 + i]);
            const again = await c.query('SELECT count(*)::int AS n FROM realograms_implementation_scanfile');
            if (b.rows[0].twice !== (w * 1000 + i) * 2 || again.rows[0].n !== a.rows[0].n) out.wrong++;
            await c.query('COMMIT');
            out.transactions++;
          } catch (e) { await c.query('ROLLBACK').catch(() => {}); throw e; } finally { c.release(); }
        }
      } catch (e) { fail(e); }
    }
  }));
  const c = await pool.connect();
  try {
    await c.query('BEGIN READ ONLY');
    await c.query("INSERT INTO master_data_implementation_store (name) VALUES ('nope')");
  } catch (e) { out.readOnlyWrite = e.message; } finally { await c.query('ROLLBACK').catch(() => {}); c.release(); }
  await pool.end();
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { process.stderr.write(String(e.stack)); process.exit(1); });
`;

/** Opens a transaction and dies without ending it. */
const DESERTER = String.raw`
const pg = require('pg');
const c = new pg.Client({ connectionString: process.env.DB_URL });
(async () => {
  await c.connect();
  await c.query('BEGIN');
  await c.query('SELECT count(*) FROM realograms_implementation_scan');
  process.exit(0);
})();
`;

/** scancopy's own read-only instance session (src/platform/db.ts), as copy and analysis open it. */
const INSTANCE_READER = String.raw`
import { openDb } from './src/platform/db.ts';
const db = await openDb(process.env.DB_URL, { readOnly: true, maxConnections: 10 });
const counts = await Promise.all(Array.from({ length: 30 }, (_, i) =>
  db.query('SELECT count(*)::int AS n, $1::int AS i FROM realograms_implementation_scan', [i])));
let refused = '';
try { await db.query("INSERT INTO master_data_implementation_store (name) VALUES ('nope')"); } catch (e) { refused = e.message; }
await db.close();
process.stdout.write(JSON.stringify({ answers: counts.filter((r, i) => r[0].i === i).length, refused }));
`;

function runNode(script: string, env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '-e', script], { cwd: process.cwd(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the embedded database over the PostgreSQL wire protocol', () => {
  let sb: RunningSandbox;
  let api: RawApi;

  beforeAll(async () => {
    sb = await startTestSandbox({ seedDemo: { scans: 20 }, processingDelayMs: 10 });
    api = await rawApi(sb);
  });
  afterAll(() => sb?.close());

  it('serves a 20-connection pool in another process while the API uploads, creates and processes', async () => {
    const reader = runNode(READER, { DB_URL: sb.dbUrl, ROUNDS: '16' });
    const writes = (async () => {
      const created: number[] = [];
      await Promise.all(
        Array.from({ length: 6 }, async (_, w) => {
          for (let i = 0; i < 5; i++) {
            const png = drawShelfPng({ planogramId: 1, sectionId: 1, planogramName: 'Cereal Aisle 4ft', sectionName: 'Top Shelf Left', variant: w * 5 + i, width: 100, height: 60 });
            const fileId = await api.uploadId(png, `w${w}_${i}.png`);
            const res = await api.create({ store: 1, files: [fileId] });
            expect(res.status).toBe(201);
            created.push(((await res.json()) as { id: number }).id);
          }
        }),
      );
      return created;
    })();
    const [result, created] = await Promise.all([reader, writes]);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { queries: number; transactions: number; wrong: number; errors: Record<string, number>; scansSeen: number[]; readOnlyWrite?: string };
    expect(out.errors).toEqual({});
    expect(out.wrong).toBe(0);
    expect(out.queries + out.transactions).toBe(20 * 16);
    expect(out.readOnlyWrite).toMatch(/read-only transaction/);
    // The other process saw the API's writes as they happened.
    expect(Math.max(...out.scansSeen)).toBeGreaterThan(Math.min(...out.scansSeen));
    await sb.waitForProcessing();
    const done = await sb.db.query("SELECT 1 FROM realograms_implementation_scan WHERE id = ANY($1::bigint[]) AND status = 'done'", [created]);
    expect(done).toHaveLength(created.length);
  });

  it("serves scancopy's read-only instance sessions without leaking read-only mode into the sandbox", async () => {
    const result = await runNode(INSTANCE_READER, { DB_URL: sb.dbUrl }, ['--import', 'tsx', '--input-type=module']);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { answers: number; refused: string };
    expect(out.answers).toBe(30);
    expect(out.refused).toMatch(/read-only transaction/);
    const fileId = await api.uploadId(Buffer.from('written after a read-only session'), 'y.png');
    expect((await api.create({ store: 1, files: [fileId] })).status).toBe(201);
  });

  it('rolls back and frees the backend when a client dies inside a transaction', async () => {
    const deserter = await runNode(DESERTER, { DB_URL: sb.dbUrl });
    expect(deserter.code).toBe(0);
    const fileId = await api.uploadId(Buffer.from('after the deserter'), 'x.png');
    expect((await api.create({ store: 1, files: [fileId] })).status).toBe(201);
    // Had its BEGIN survived, the sandbox's own statements would now run inside it.
    expect((sb.db as PgliteDb).pglite.isInTransaction()).toBe(false);
  });
});
