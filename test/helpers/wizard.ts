/** Small helpers for the wizard and demo tests: every file a run left, and which secrets a text holds. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file under `dir`, recursively, as absolute paths. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The secrets that appear in `text`. */
export function secretsFound(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => text.includes(s));
}
