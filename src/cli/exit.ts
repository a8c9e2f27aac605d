/** Turns any error into one clear line on stderr and an exit code from the design table. */
import { EXIT, findScanCopyError } from '../core/errors.js';
import { exitCodeOf } from '../workflows/exit-code.js';
import { redactText, redactValue } from '../core/redact.js';

export function describeError(err: unknown): string {
  const known = findScanCopyError(err);
  if (known) {
    const hint = known.hint ? ` (${known.hint})` : '';
    return redactText(`error ${known.code}: ${known.message}${hint}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return redactText(`error INTERNAL: ${message}`);
}

/**
 * Prints the error line (and the stack only with SCANCOPY_DEBUG=1) and returns the exit code.
 * With `--log-format json` the error is also one `{"type":"error",...}` object on stdout, so
 * a program reading the events learns why they stopped.
 */
export function reportError(err: unknown, opts: { json?: boolean } = {}): number {
  const code = exitCodeOf({ error: err });
  process.stderr.write(`scancopy: ${describeError(err)}\n`);
  if (process.env.SCANCOPY_DEBUG === '1' && err instanceof Error && err.stack) {
    process.stderr.write(`${redactText(err.stack)}\n`);
  }
  if (opts.json) process.stdout.write(`${errorJson(err, code)}\n`);
  return code;
}

export function errorJson(err: unknown, exitCode: number): string {
  const known = findScanCopyError(err);
  const message = known ? known.message : err instanceof Error ? err.message : String(err);
  return JSON.stringify(redactValue({ ts: new Date().toISOString(), type: 'error', code: known?.code ?? 'INTERNAL', message, ...(known?.hint ? { hint: known.hint } : {}), exitCode }));
}

/**
 * A reader that went away (`scancopy verify --help | head`) is no crash: the command ends at
 * once and quietly, with the code it has so far; work cut short counts as interrupted, and a
 * copy resumes from its journal as after Ctrl-C.
 */
export function exitQuietlyOnClosedOutput(argv: readonly string[]): void {
  const informational = argv.some((a) => ['--help', '-h', 'help', '--version', '-V'].includes(a));
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : informational ? EXIT.ok : EXIT.interrupted);
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}
