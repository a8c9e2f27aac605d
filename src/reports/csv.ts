/** CSV through csv-stringify / csv-parse: quotes, commas and newlines survive a round trip. */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../core/atomic-file.js';
import { neutraliseCell, restoreCell } from './cells.js';

export type CsvValue = string | number | boolean | Date | null | undefined;

/**
 * A record read by column name (other keys are ignored), or values in column order. Values
 * outside CsvValue are written as JSON (jsonb columns such as majority_data).
 */
export type CsvRow = object | readonly CsvValue[];

/**
 * Without the header (`header: false`) the rows can be appended to a file that has one. Text
 * that a spreadsheet would run as a formula is neutralised (cells.ts); numbers stay numbers.
 */
export function formatCsv(columns: readonly string[], rows: ReadonlyArray<CsvRow>, { header = true }: { header?: boolean } = {}): string {
  return stringify(rows as unknown[], {
    header,
    columns: columns as string[],
    cast: {
      boolean: (value) => (value ? 'True' : 'False'),
      date: (value) => value.toISOString(),
      object: (value) => neutraliseCell(JSON.stringify(value)),
      string: (value) => neutraliseCell(value),
    },
  });
}

/** Writes a CSV atomically (temp name, fsync, rename). */
export async function writeCsv(
  path: string,
  columns: readonly string[],
  rows: ReadonlyArray<CsvRow>,
): Promise<void> {
  await writeFileAtomic(path, formatCsv(columns, rows));
}

/** Reads a CSV with a header row into records of strings, neutralised cells back to their text. */
export async function readCsv(path: string): Promise<Array<Record<string, string>>> {
  const text = await readFile(path, 'utf8');
  return parse(text, { columns: true, skip_empty_lines: true, bom: true, cast: (value) => restoreCell(value) }) as Array<Record<string, string>>;
}
