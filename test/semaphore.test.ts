/**
 * The one semaphore every stage, worker pool and lock uses: at most `size` holders, served
 * in arrival order, a waiter leaving when its signal aborts, a size that can move, and a
 * release that counts once however often it is called.
 */
import { describe, expect, it } from 'vitest';
import { Semaphore } from '../src/core/semaphore.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('Semaphore', () => {
  it('admits at most size holders, and the rest in arrival order', async () => {
    const slots = new Semaphore(2, 'test workers');
    const gates = Array.from({ length: 6 }, gate);
    const started: number[] = [];
    const runs = gates.map((g, i) => slots.run(async () => {
      started.push(i);
      await g.opened;
    }));
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect({ active: slots.active, waiting: slots.waiting }).toEqual({ active: 2, waiting: 4 });
    for (const g of [...gates].reverse()) g.open();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect({ active: slots.active, waiting: slots.waiting }).toEqual({ active: 0, waiting: 0 });
  });

  it('tells each slot how many were held when it was granted, itself included, however many were granted at once', async () => {
    const slots = new Semaphore(3);
    const first = await slots.acquire();
    const burst = await Promise.all([slots.acquire(), slots.acquire()]);
    expect([first.heldWith, ...burst.map((s) => s.heldWith)]).toEqual([1, 2, 3]);
    const waiting = Promise.all([slots.acquire(), slots.acquire()]);
    slots.resize(5);
    expect((await waiting).map((s) => s.heldWith)).toEqual([4, 5]);
  });

  it('lets a waiter whose signal aborts leave the queue with the reason, without taking a slot', async () => {
    const slots = new Semaphore(1);
    const release = await slots.acquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    const after = slots.acquire();
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(slots.waiting).toBe(1);
    release();
    const next = await after;
    expect(slots.active).toBe(1);
    next();
    await expect(slots.acquire(controller.signal)).rejects.toThrow('stop');
    expect(slots.active).toBe(0);
  });

  it('counts a release once, however often it is called', async () => {
    const slots = new Semaphore(1);
    const release = await slots.acquire();
    release();
    release();
    expect(slots.active).toBe(0);
    const again = await slots.acquire();
    expect(slots.active).toBe(1);
    again();
  });

  it('grows to admit waiters at once and shrinks without cutting holders short', async () => {
    const slots = new Semaphore(1);
    const first = await slots.acquire();
    const second = slots.acquire();
    slots.resize(2);
    const releaseSecond = await second;
    slots.resize(1);
    expect(slots.active).toBe(2);
    let thirdIn = false;
    const third = slots.acquire().then((r) => {
      thirdIn = true;
      return r;
    });
    first();
    await Promise.resolve();
    expect(thirdIn).toBe(false);
    releaseSecond();
    (await third)();
    expect(thirdIn).toBe(true);
  });

  it('refuses a size that is not a whole number >= 1, naming what it bounds', () => {
    expect(() => new Semaphore(0, 'download workers')).toThrow('download workers = 0: expected a whole number >= 1');
    expect(() => new Semaphore(1.5)).toThrow(/slots = 1.5/);
    expect(() => new Semaphore(1).resize(0)).toThrow(/slots = 0/);
  });
});
