/**
 * The login token of one instance, shared by every call: one login in flight at a time,
 * and calls that hit 401 with the same stale token share one re-login.
 */
export class TokenSession {
  #token?: string;
  #loggingIn?: Promise<string>;

  constructor(private readonly logIn: (signal?: AbortSignal) => Promise<string>) {}

  current(signal?: AbortSignal): Promise<string> {
    return this.#token ? Promise.resolve(this.#token) : this.#start(signal);
  }

  /** A new token, unless another caller already replaced `stale`. */
  renew(stale: string, signal?: AbortSignal): Promise<string> {
    if (this.#token && this.#token !== stale) return Promise.resolve(this.#token);
    this.#token = undefined;
    return this.#start(signal);
  }

  #start(signal?: AbortSignal): Promise<string> {
    this.#loggingIn ??= this.logIn(signal)
      .then((token) => {
        this.#token = token;
        return token;
      })
      .finally(() => {
        this.#loggingIn = undefined;
      });
    return this.#loggingIn;
  }
}
