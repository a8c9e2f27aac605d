/** The platform schema (schema.sql next to this module, in src/ and in dist/). */
import { readFile } from 'node:fs/promises';
import type { Db } from '../platform/db.js';

export const SCHEMA_PATH = new URL('./schema.sql', import.meta.url);

/** Creates every platform table in an empty database. */
export async function loadSchema(db: Db): Promise<void> {
  await db.exec(await readFile(SCHEMA_PATH, 'utf8'));
}
