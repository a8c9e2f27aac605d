/**
 * The sandbox's API token, as an instance with expiring tokens keeps it: one token for the
 * user, handed out by every log-in while it lives; once it has expired (`ttlMs` after it was
 * issued) or been revoked, calls that send it get 401 and the next log-in issues a new one.
 */
import { randomBytes } from 'node:crypto';

export class SandboxTokens {
  #token = fresh();
  #issuedAt = Date.now();

  /** @param ttlMs lifetime of a token; undefined: tokens never expire (0: dead on arrival). */
  constructor(private readonly ttlMs?: number) {}

  /** The token a log-in hands out: the current one, or a new one once it is no longer valid. */
  issue(): string {
    if (this.#expired()) this.revoke();
    return this.#token;
  }

  valid(token: string | undefined): boolean {
    return token === this.#token && !this.#expired();
  }

  /** Invalidates the token at once: every call that sends it gets 401 until the next log-in. */
  revoke(): void {
    this.#token = fresh();
    this.#issuedAt = Date.now();
  }

  #expired(): boolean {
    return this.ttlMs !== undefined && Date.now() - this.#issuedAt >= this.ttlMs;
  }
}

function fresh(): string {
  return randomBytes(20).toString('hex');
}
