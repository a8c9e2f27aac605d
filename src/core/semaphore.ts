/**
 * The one counting semaphore. FIFO: a freed slot goes to the longest waiter, so work admitted
 * first moves first through every stage. Abortable: a waiter whose signal aborts leaves the
 * queue with the signal's reason. Resizable: the adaptive limiter moves its size.
 */
import { ScanCopyError } from './errors.js';

interface Waiter {
  grant: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class Semaphore {
  readonly name: string;
  #size: number;
  #active = 0;
  readonly #queue: Waiter[] = [];

  /** `name` says what the slots bound, for the message when `size` is not a whole number >= 1. */
  constructor(size: number, name = 'slots') {
    this.name = name;
    this.#size = whole(name, size);
  }

  get size(): number {
    return this.#size;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  /** Changes the number of slots; holders above a smaller size finish, nobody new starts until under it. */
  resize(size: number): void {
    this.#size = whole(this.name, size);
    this.#drain();
  }

  /** Resolves with the slot's release (calling it again does nothing) once a slot is held. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#active < this.#size && this.#queue.length === 0) {
      this.#active += 1;
    } else {
      await new Promise<void>((grant, reject) => {
        const waiter: Waiter = { grant, reject, signal };
        if (signal) {
          waiter.onAbort = () => {
            const index = this.#queue.indexOf(waiter);
            if (index >= 0) this.#queue.splice(index, 1);
            reject(signal.reason);
          };
          signal.addEventListener('abort', waiter.onAbort, { once: true });
        }
        this.#queue.push(waiter);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active -= 1;
      this.#drain();
    };
  }

  /** Runs `fn` holding one slot. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #drain(): void {
    while (this.#active < this.#size && this.#queue.length > 0) {
      const waiter = this.#queue.shift() as Waiter;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.#active += 1;
      waiter.grant();
    }
  }
}

function whole(name: string, size: number): number {
  if (!(Number.isInteger(size) && size >= 1)) throw new ScanCopyError('CONFIG_INVALID', `${name} = ${String(size)}: expected a whole number >= 1`);
  return size;
}
