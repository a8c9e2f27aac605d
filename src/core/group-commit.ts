/**
 * Group commit: what arrives while a write is on its way goes out together in the next one,
 * so twenty callers finishing at once cost two writes (and two fsyncs), not twenty. Each
 * caller's promise settles with the write that carried its item. The journal and the
 * download manifest both write through it.
 */
interface Entry<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T> {
  #pending: Array<Entry<T>> = [];
  #flushing: Promise<void> | undefined;
  #held = false;

  /** `write` makes the whole group durable, or throws: then every item of the group rejects with its error. */
  constructor(private readonly write: (items: T[]) => Promise<void>) {}

  /** Resolves once `item` is written. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#kick();
    });
  }

  /**
   * Runs `fn` between writes: after the one in flight, with new ones held back until it ends.
   * `settle(covered)` resolves the waiting items `covered` picks without writing them (made
   * durable another way, e.g. by a snapshot); the others are written after `fn`, even if it throws.
   */
  async hold<R>(fn: (settle: (covered: (item: T) => boolean) => void) => Promise<R>): Promise<R> {
    this.#held = true;
    try {
      await this.#flushing;
      return await fn((covered) => {
        const settled = this.#pending.filter((e) => covered(e.item));
        this.#pending = this.#pending.filter((e) => !covered(e.item));
        for (const e of settled) e.resolve();
      });
    } finally {
      this.#held = false;
      this.#kick();
    }
  }

  /** Resolves once nothing waits and nothing is being written. */
  async drain(): Promise<void> {
    while (this.#pending.length > 0 || this.#flushing) {
      this.#kick();
      await (this.#flushing ?? this.#flush());
    }
  }

  #kick(): void {
    if (this.#flushing || this.#held || this.#pending.length === 0) return;
    // A microtask later, so that the items added in the same tick share this write.
    this.#flushing = Promise.resolve().then(() => this.#flush()).finally(() => {
      this.#flushing = undefined;
      this.#kick();
    });
  }

  async #flush(): Promise<void> {
    const group = this.#pending.splice(0);
    if (group.length === 0) return;
    try {
      await this.write(group.map((e) => e.item));
      for (const e of group) e.resolve();
    } catch (err) {
      for (const e of group) e.reject(err);
    }
  }
}
