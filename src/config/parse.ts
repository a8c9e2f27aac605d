/** One parser per kind of value that arrives as text (a flag, the environment, a wizard answer). */
import { ScanCopyError } from '../core/errors.js';

/** A count (workers, batch size, a limit): a positive whole number, surrounding spaces ignored. */
export function parseCount(text: string, where: string): number {
  const trimmed = text.trim();
  if (!/^[1-9]\d{0,14}$/.test(trimmed)) throw new ScanCopyError('USAGE', `${where} = ${JSON.stringify(text)}: expected a positive whole number`);
  return Number(trimmed);
}
