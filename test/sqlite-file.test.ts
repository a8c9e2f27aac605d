/**
 * The local ledger's store: a SQLite file changed only by a committed transaction, written
 * back whole and atomically; a transaction that throws leaves the file as it was, and a file
 * that is not a database is one clear error.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withSqliteFile } from '../src/core/sqlite-file.js';

const SETUP = 'CREATE TABLE IF NOT EXISTS t (id bigint PRIMARY KEY, name text NOT NULL, at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP)';

describe('a SQLite file used one transaction at a time', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scancopy-sqlite-'));
    path = join(dir, 'ledger.sqlite');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('keeps what a transaction committed, with $N parameters as PostgreSQL takes them', async () => {
    await withSqliteFile(path, SETUP, (tx) => tx.query('INSERT INTO t (id, name) VALUES ($1, $2), ($3, $2)', [1, 'a', 2]));
    const rows = await withSqliteFile(path, SETUP, (tx) => tx.query<{ id: number; name: string }>('SELECT id, name FROM t WHERE id IN ($1, $2) ORDER BY id', [1, 2]));
    expect(rows).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'a' }]);
  });

  it('leaves the file as it was when the transaction throws', async () => {
    await withSqliteFile(path, SETUP, (tx) => tx.query('INSERT INTO t (id, name) VALUES ($1, $2)', [1, 'a']));
    const before = await readFile(path);
    const error = await withSqliteFile(path, SETUP, async (tx) => {
      await tx.query('INSERT INTO t (id, name) VALUES ($1, $2)', [2, 'b']);
      throw new Error('stop');
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('stop');
    expect(await readFile(path)).toEqual(before);
    const refused = await withSqliteFile(path, SETUP, (tx) => tx.query('INSERT INTO t (id, name) VALUES ($1, $2)', [1, 'again'])).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'DB_ERROR' });
    expect(await withSqliteFile(path, SETUP, (tx) => tx.query('SELECT count(*) AS n FROM t'))).toEqual([{ n: 1 }]);
  });

  it('says plainly that a file which is not a database cannot be read', async () => {
    await writeFile(path, 'not a database, just text that is long enough to have a header of its own');
    const error = await withSqliteFile(path, SETUP, (tx) => tx.query('SELECT 1')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DB_ERROR' });
    expect((error as Error).message).toContain('is not a readable SQLite database');
  });
});
