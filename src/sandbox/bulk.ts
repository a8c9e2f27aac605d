/**
 * Multi-row statements for the sandbox's writers (seed, processing). One statement per few
 * thousand rows instead of one per row is what keeps a 100 000-scan seed practical on PGlite,
 * where every statement is a round trip through the wasm backend.
 */
import type { Queryable } from '../platform/db.js';

/** A column name and the SQL type its parameters are cast to. */
export type Column = readonly [name: string, type: string];

/** Fewer than PostgreSQL's 65 535 parameters per statement, with room to spare. */
const MAX_PARAMS = 30_000;

/** `($1::bigint, $2::text), ($3::bigint, $4::text)` for `rows`, numbering from `$1 + offset`. */
export function valuesList(columns: readonly Column[], rows: readonly (readonly unknown[])[], offset = 0): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples = rows.map((row) => {
    const cells = columns.map(([, type], i) => {
      params.push(row[i] ?? null);
      return `$${offset + params.length}::${type}`;
    });
    return `(${cells.join(', ')})`;
  });
  return { sql: tuples.join(',\n'), params };
}

/** Splits `rows` so that no statement exceeds the parameter limit. */
export function chunksFor<T>(rows: readonly T[], columnsPerRow: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMS / Math.max(1, columnsPerRow)));
  const chunks: T[][] = [];
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  return chunks;
}

/**
 * Inserts rows in order; the identity ids (or `key`) come back in the same order, so a fresh database
 * and the same rows always give the same ids.
 */
export async function insertRows(db: Queryable, table: string, columns: readonly Column[], rows: readonly (readonly unknown[])[], key = 'id'): Promise<number[]> {
  const ids: number[] = [];
  for (const chunk of chunksFor(rows, columns.length)) {
    const { sql, params } = valuesList(columns, chunk);
    const names = columns.map(([name]) => name).join(', ');
    const inserted = await db.query<{ id: number }>(`INSERT INTO ${table} (${names}) VALUES ${sql} RETURNING ${key} AS id`, params);
    for (const row of inserted) ids.push(row.id);
  }
  return ids;
}
