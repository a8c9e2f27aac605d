/**
 * The run-wide secret audit's side in the tests: secrets the run uses are noted (outside the
 * audited folder), and a test that writes a credential on purpose, as hostile input the
 * product must refuse, says so by the content's hash. test/setup/secret-audit.global.ts
 * then scans every file the run wrote.
 */
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const root = (): string | undefined => process.env.SCANCOPY_TEST_AUDIT;

/** A secret the run uses (a sandbox password, a token): no file the run writes may hold it. */
export function noteTestSecret(value: string | undefined): void {
  const dir = root();
  if (dir && value && value.length >= 4) appendFileSync(join(dir, 'secrets.txt'), `${JSON.stringify(value)}\n`);
}

/** Writes hostile input that holds a credential URL on purpose: the URL check skips exactly this content. */
export async function writePlantedInput(path: string, content: string): Promise<void> {
  const dir = root();
  if (dir) appendFileSync(join(dir, 'planted.txt'), `${createHash('sha256').update(content).digest('hex')}\n`);
  await writeFile(path, content);
}
