/** One line about a failure, for events, the failures CSV and the checkpoint; secrets redacted. */
import { findScanCopyError, HttpError } from '../../core/errors.js';
import { redactText } from '../../core/redact.js';

export function describeCause(err: unknown): string {
  const known = findScanCopyError(err);
  const message = known?.message ?? (err instanceof Error ? err.message : String(err));
  const body = known instanceof HttpError && known.http.status === 400 && known.http.body !== undefined ? ` ${JSON.stringify(known.http.body)}` : '';
  return redactText(`${message}${body}`).slice(0, 2000);
}
