/**
 * Pre-signed download URLs, S3-style: the URL itself carries an expiry and an HMAC, so the
 * content route needs no Authorization header and a copied URL stops working when it expires.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type Verdict = 'ok' | 'expired' | 'bad-signature' | 'unsigned';

export class UrlSigner {
  readonly #key = randomBytes(32);

  /** The query string (`expires=<ms>&signature=<hmac>`) for a file, valid until `expiresAt`. */
  sign(fileId: number, expiresAt: number): string {
    return `expires=${expiresAt}&signature=${this.#mac(fileId, expiresAt)}`;
  }

  verify(fileId: number, expires: string | undefined, signature: string | undefined, now = Date.now()): Verdict {
    if (!expires || !signature || !/^\d+$/.test(expires)) return 'unsigned';
    const expected = Buffer.from(this.#mac(fileId, Number(expires)));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad-signature';
    return Number(expires) < now ? 'expired' : 'ok';
  }

  #mac(fileId: number, expiresAt: number): string {
    return createHmac('sha256', this.#key).update(`${fileId}:${expiresAt}`).digest('base64url');
  }
}
