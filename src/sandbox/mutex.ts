/** A FIFO async mutex: the one lock that serialises every user of the embedded database. */
export class Mutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];

  /** Resolves with a release function once the lock is ours. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.#locked = true;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.#handOver();
        });
      };
      if (this.#locked) this.#waiters.push(grant);
      else grant();
    });
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #handOver(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}
