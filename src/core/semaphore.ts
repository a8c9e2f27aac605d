/**
 * The one counting semaphore. FIFO: a freed slot goes to the longest waiter, so work admitted
 * first moves first through every stage. Abortable: a waiter whose signal aborts leaves the
 * queue with the signal's reason. Resizable: the adaptive limiter moves its size. A slot says
 * how many were held when it was granted: what the adaptive limiter reads a refusal against.
 */
import { ScanCopyError } from './errors.js';

/** A held slot: calling it releases the slot (again does nothing). */
export interface Slot {
  (): void;
  /** The slots held when this one was granted, itself included: what was in flight as its work started. */
  readonly heldWith: number;
}

interface Waiter {
  grant: (heldWith: number) => void;
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

  /** Resolves with the held slot once one is free. */
  async acquire(signal?: AbortSignal): Promise<Slot> {
    signal?.throwIfAborted();
    // Counted at the grant, not when the holder resumes: by then a burst's later grants have raised `active`.
    let heldWith: number;
    if (this.#active < this.#size && this.#queue.length === 0) {
      this.#active += 1;
      heldWith = this.#active;
    } else {
      heldWith = await new Promise<number>((grant, reject) => {
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
    const release = (): void => {
      if (released) return;
      released = true;
      this.#active -= 1;
      this.#drain();
    };
    return Object.assign(release, { heldWith });
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
      waiter.grant(this.#active);
    }
  }
}

function whole(name: string, size: number): number {
  if (!(Number.isInteger(size) && size >= 1)) throw new ScanCopyError('CONFIG_INVALID', `${name} = ${String(size)}: expected a whole number >= 1`);
  return size;
}
