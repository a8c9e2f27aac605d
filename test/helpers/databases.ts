/**
 * The database engines a suite runs against: PGlite always, and the local PostgreSQL when
 * SCANCOPY_TEST_PG_URL is set. Each `create()` gives a fresh, empty database URL that
 * `drop()` removes, so suites never share state.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestEngine {
  name: 'pglite' | 'postgres';
  /** A fresh empty database: `memory://` for PGlite, a new database for PostgreSQL. */
  create(): Promise<string>;
  drop(url: string): Promise<void>;
}

export const pgliteEngine: TestEngine = {
  name: 'pglite',
  create: async () => 'memory://',
  drop: async () => undefined,
};

export function postgresEngine(adminUrl: string): TestEngine {
  return {
    name: 'postgres',
    async create() {
      const name = `scancopy_t_${randomBytes(6).toString('hex')}`;
      await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async drop(url) {
      const name = new URL(url).pathname.slice(1);
      if (!/^scancopy_t_[0-9a-f]+$/.test(name)) return;
      await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** PGlite, plus PostgreSQL when SCANCOPY_TEST_PG_URL is set. */
export function testEngines(): TestEngine[] {
  const url = process.env.SCANCOPY_TEST_PG_URL;
  return url ? [pgliteEngine, postgresEngine(url)] : [pgliteEngine];
}
