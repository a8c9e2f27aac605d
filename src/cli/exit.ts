/** Turns any error into one clear line on stderr and an exit code from the design table. */
import { findScanCopyError } from '../core/errors.js';
import { exitCodeFor } from '../core/failure.js';
import { redactText } from '../core/redact.js';

export function describeError(err: unknown): string {
  const known = findScanCopyError(err);
  if (known) {
    const hint = known.hint ? ` (${known.hint})` : '';
    return redactText(`error ${known.code}: ${known.message}${hint}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return redactText(`error INTERNAL: ${message}`);
}

/** Prints the error line (and the stack only with SCANCOPY_DEBUG=1) and returns the exit code. */
export function reportError(err: unknown): number {
  process.stderr.write(`scancopy: ${describeError(err)}\n`);
  if (process.env.SCANCOPY_DEBUG === '1' && err instanceof Error && err.stack) {
    process.stderr.write(`${redactText(err.stack)}\n`);
  }
  return exitCodeFor(err);
}
