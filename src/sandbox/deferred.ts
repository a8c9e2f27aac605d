/**
 * Work the sandbox does some time after the request that caused it, as a loaded platform
 * does: a create committed after the gateway gave up, an unused upload purged. Tests wait
 * for it with `idle()` instead of sleeping; `close()` drops what has not started, as a
 * stopped backend would.
 */
export class DeferredWork {
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #running = new Set<Promise<void>>();
  readonly #idleWaiters: Array<() => void> = [];
  #closed = false;

  constructor(private readonly log: (line: string) => void) {}

  /** Runs `work` after `ms`; its failure is logged, never thrown at the caller. */
  after(ms: number, label: string, work: () => Promise<void>): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      const run: Promise<void> = work()
        .catch((err: unknown) => this.log(`sandbox: ${label} failed: ${(err as Error).stack ?? String(err)}`))
        .finally(() => {
          this.#running.delete(run);
          this.#notifyIdle();
        });
      this.#running.add(run);
    }, ms);
    this.#timers.add(timer);
  }

  /** Resolves once nothing is waiting or running. */
  idle(): Promise<void> {
    if (this.#timers.size === 0 && this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(this.#running);
    this.#notifyIdle();
  }

  #notifyIdle(): void {
    if (this.#timers.size > 0 || this.#running.size > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
