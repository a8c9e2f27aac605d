/**
 * Secrets must never reach a log, an error or a report. Values registered here are
 * replaced wherever they appear; keys that name secrets are masked in objects.
 */

const registered = new Set<string>();
const SECRET_KEY = /pass(word)?|token|secret|authorization|signature|sig$/i;
const MASK = '***';

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 3) registered.add(value);
}

export function redactText(text: string): string {
  let out = text;
  for (const secret of registered) out = out.split(secret).join(MASK);
  out = out.replace(/(Token\s+)[A-Za-z0-9._-]+/g, `$1${MASK}`);
  out = out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g, `$1${MASK}@`);
  // Any other URL's user info (`https://user:pw@host`) is a credential too.
  out = out.replace(/\b((?!postgres)[a-z][a-z0-9+.-]*:\/\/)[^/@\s"]+@/gi, `$1${MASK}@`);
  out = out.replace(/([?&](?:sig|signature|token|expires_sig)=)[^&\s"]+/gi, `$1${MASK}`);
  return out;
}

export function redactValue<T>(value: T): T {
  return redact(value, 0) as T;
}

function redact(value: unknown, depth: number): unknown {
  if (depth > 8) return value;
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v ? MASK : redact(v, depth + 1);
    return out;
  }
  return value;
}

/** Whether a URL carries a user name or password before its host (`http://u:pw@host`). */
export function urlHasCredentials(url: string): boolean {
  if (!URL.canParse(url)) return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*@/i.test(url);
  const parsed = new URL(url);
  return parsed.username !== '' || parsed.password !== '';
}
