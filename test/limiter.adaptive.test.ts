/**
 * Adaptive concurrency: the limiter alone (halving on throttle, additive recovery, bounds,
 * FIFO, abort), then PlatformApi under a sandbox that answers 429 above a hidden limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../src/core/errors.js';
import { AdaptiveLimiter } from '../src/core/limiter.js';
import { PlatformApi, type ApiEvent } from '../src/platform/api.js';
import type { RunningSandbox } from '../src/sandbox/sandbox.js';
import { rawApi, startTestSandbox } from './helpers/sandbox.js';

const throttled = (status = 429) => new HttpError('RATE_LIMITED', 'throttled', { call: 't', method: 'GET', path: '/', status });
const tick = () => new Promise((r) => setTimeout(r, 1));

describe('AdaptiveLimiter', () => {
  it('never runs more than the limit at once, in FIFO order', async () => {
    const limiter = new AdaptiveLimiter({ max: 3 });
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(Array.from({ length: 12 }, (_, i) => limiter.run(async () => {
      order.push(i);
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
    })));
    expect(peak).toBe(3);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('halves on 429 or 503, once per burst, and not below min', async () => {
    const changes: number[] = [];
    const limiter = new AdaptiveLimiter({ max: 16, onLimitChange: (l) => changes.push(l) });
    // A burst of 8 throttles from calls started under the same limit is one signal.
    await Promise.all(Array.from({ length: 8 }, () => limiter.run(async () => {
      await tick();
      throw throttled(429);
    }).catch(() => undefined)));
    expect(limiter.limit).toBe(8);
    await limiter.run(async () => {
      throw throttled(503);
    }).catch(() => undefined);
    expect(limiter.limit).toBe(4);
    for (let i = 0; i < 5; i++) await limiter.run(async () => {
      throw throttled();
    }).catch(() => undefined);
    expect(limiter.limit).toBe(1);
    expect(changes).toEqual([8, 4, 2, 1]);
  });

  /** 11 calls held in flight, a twelfth refused, then the 11 let go: the server's limit is 11. */
  async function refusedAtTwelve(onLimitChange?: (limit: number) => void): Promise<AdaptiveLimiter> {
    const limiter = new AdaptiveLimiter({ max: 20, onLimitChange });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const holding = Array.from({ length: 11 }, () => limiter.run(() => gate));
    await limiter.run(async () => {
      throw throttled(429);
    }).catch(() => undefined);
    open();
    await Promise.all(holding);
    return limiter;
  }

  it('drops to one below the calls in flight when the refused one started, not to half', async () => {
    const limiter = await refusedAtTwelve();
    expect(limiter.limit).toBe(11);
  });

  it('probes the refused level again only after 16 rounds of successes', async () => {
    const limiter = await refusedAtTwelve();
    expect(limiter.limit).toBe(11);
    const succeed = () => limiter.run(async () => 'ok');
    // The 11 holders finished after the throttle: their successes count toward the probe.
    for (let i = 0; i < 11 * 16 - 11 - 1; i++) await succeed();
    expect(limiter.limit).toBe(11);
    await succeed();
    expect(limiter.limit).toBe(12);
  });

  /** `n` calls started at once; those at `refused` positions (1-based, in the order they started) are refused in the order given, then the rest succeed. */
  async function burst(limiter: AdaptiveLimiter, n: number, refused: number[]): Promise<void> {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const answers = new Map(refused.map((position) => {
      let refuse!: () => void;
      return [position, { refused: new Promise<void>((r) => (refuse = r)), refuse }];
    }));
    const calls = Array.from({ length: n }, (_, i) => limiter.run(async () => {
      const answer = answers.get(i + 1);
      if (!answer) return gate;
      await answer.refused;
      throw throttled(429);
    }).catch(() => undefined));
    await tick();
    for (const position of refused) {
      answers.get(position)?.refuse();
      await tick();
    }
    open();
    await Promise.all(calls);
  }

  it('the other refusals of a counted burst bring the limit to below the fewest in flight they met, once and not past half', async () => {
    const changes: number[] = [];
    const limiter = new AdaptiveLimiter({ max: 16, onLimitChange: (l) => changes.push(l) });
    // Fourteen started at once against a server that takes nine: the fourteenth's refusal comes back first.
    await burst(limiter, 14, [14, 13, 12, 11, 10]);
    expect(limiter.limit).toBe(9);
    expect(changes).toEqual([13, 12, 11, 10, 9]);
    const halved = new AdaptiveLimiter({ max: 16 });
    // A server that takes two: the refusals say 2, one burst brings 16 down to 8 only.
    await burst(halved, 14, [14, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(halved.limit).toBe(8);
  });

  it('halves, instead of stepping down by one, when a level a decrease reached is refused with every slot taken', async () => {
    const changes: number[] = [];
    const limiter = await refusedAtTwelve((l) => changes.push(l));
    // Eleven in flight at the new level, the eleventh refused: the server's limit is below 11, by how much it does not say.
    await burst(limiter, 11, [11]);
    // Then the ten that passed raise it by one, as any five successes at 5 would.
    expect(changes).toEqual([11, 5, 6]);
  });

  it('a probe of the refused level, refused again, makes the next probe wait twice as long', async () => {
    const limiter = await refusedAtTwelve();
    const succeed = () => limiter.run(async () => 'ok');
    for (let i = 0; i < 11 * 16 - 11; i++) await succeed();
    expect(limiter.limit).toBe(12);
    // Refused again at 12 with every slot taken: back to the level that held, 11.
    await burst(limiter, 12, [12]);
    expect(limiter.limit).toBe(11);
    // The eleven that passed in the burst count toward the next probe, which now takes 32 rounds.
    for (let i = 0; i < 11 * 32 - 11 - 1; i++) await succeed();
    expect(limiter.limit).toBe(11);
    await succeed();
    expect(limiter.limit).toBe(12);
  });

  it('tries a refused level with one call: the others stay at the level that held until it answers', async () => {
    const limiter = await refusedAtTwelve();
    const succeed = () => limiter.run(async () => 'ok');
    for (let i = 0; i < 11 * 16 - 11; i++) await succeed();
    expect(limiter.limit).toBe(12);
    const gates = Array.from({ length: 13 }, () => {
      let open!: () => void;
      const opened = new Promise<void>((r) => (open = r));
      return { open, opened };
    });
    const calls = gates.map((g) => limiter.run(() => g.opened));
    await tick();
    // The twelfth call is the probe: the thirteenth waits, though one of the first eleven is back.
    gates[0]?.open();
    await calls[0];
    expect(limiter.waiting).toBe(1);
    // The probe passed: the level is the limiter's, and the thirteenth goes.
    gates[11]?.open();
    await calls[11];
    expect(limiter.waiting).toBe(0);
    for (const g of gates) g.open();
    await Promise.all(calls);
    expect(limiter.limit).toBe(12);
  });

  it('other failures leave the limit alone', async () => {
    const limiter = new AdaptiveLimiter({ max: 4 });
    await limiter.run(async () => {
      throw new HttpError('SERVER_ERROR', 'x', { call: 't', method: 'GET', path: '/', status: 502 });
    }).catch(() => undefined);
    await limiter.run(async () => {
      throw new Error('bug');
    }).catch(() => undefined);
    expect(limiter.limit).toBe(4);
  });

  it('raises the limit by one per limit-many successes, up to max', async () => {
    const limiter = new AdaptiveLimiter({ max: 4, initial: 1 });
    const succeed = () => limiter.run(async () => 'ok');
    await succeed();
    expect(limiter.limit).toBe(2);
    await succeed();
    expect(limiter.limit).toBe(2);
    await succeed();
    expect(limiter.limit).toBe(3);
    for (let i = 0; i < 20; i++) await succeed();
    expect(limiter.limit).toBe(4);
  });

  it('a fixed limiter does not adapt', async () => {
    const limiter = new AdaptiveLimiter({ max: 4, adaptive: false });
    await limiter.run(async () => {
      throw throttled();
    }).catch(() => undefined);
    expect(limiter.limit).toBe(4);
  });

  it('a waiting call leaves the queue when its signal aborts', async () => {
    const limiter = new AdaptiveLimiter({ max: 1 });
    let release!: () => void;
    const holder = limiter.run(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const waiting = limiter.run(async () => 'never', { signal: controller.signal });
    expect(limiter.waiting).toBe(1);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(limiter.waiting).toBe(0);
    release();
    await holder;
    expect(limiter.active).toBe(0);
  });

  it('rejects a max that is not a whole number >= 1', () => {
    expect(() => new AdaptiveLimiter({ max: 0 })).toThrow(/limit = 0/);
  });
});

describe('adaptive concurrency against the sandbox', () => {
  let sandbox: RunningSandbox;
  let fileIds: number[];

  beforeAll(async () => {
    sandbox = await startTestSandbox({ faults: 'meta:latency=15ms,meta:concurrency=3' });
    const raw = await rawApi(sandbox);
    fileIds = [await raw.uploadId(Buffer.from('a tiny file'), 'a.png')];
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('settles under a hidden limit of 3 from a maximum of 16, and every call passes', async () => {
    const events: ApiEvent[] = [];
    const api = new PlatformApi({
      baseUrl: sandbox.apiUrl,
      username: sandbox.username,
      password: sandbox.password,
      limits: { download: 16 },
      retry: { retries: 8, baseMs: 5, capMs: 20, retryAfterCapMs: 20, budgetMinRetries: 1000 },
      onEvent: (e) => events.push(e),
    });
    try {
      const id = fileIds[0] as number;
      const first = await Promise.all(Array.from({ length: 60 }, () => api.getFileMeta(id)));
      expect(first).toHaveLength(60);
      const throttledFirst = events.filter((e) => e.type === 'retry' && e.status === 429).length;
      expect(api.limitOf('meta')).toBeLessThanOrEqual(6);
      events.length = 0;
      const second = await Promise.all(Array.from({ length: 60 }, () => api.getFileMeta(id)));
      expect(second).toHaveLength(60);
      const throttledSecond = events.filter((e) => e.type === 'retry' && e.status === 429).length;
      // Settled: the second wave hits the hidden limit far less than the first.
      expect(throttledSecond).toBeLessThan(throttledFirst);
      expect(throttledSecond).toBeLessThanOrEqual(20);
      expect(api.limitOf('meta')).toBeLessThanOrEqual(6);
      expect(events.some((e) => e.type === 'give-up')).toBe(false);
    } finally {
      await api.close();
    }
  });

  it('holds at the hidden limit once found: a later wave of 60 calls meets at most 2 refusals', async () => {
    const events: ApiEvent[] = [];
    const api = new PlatformApi({
      baseUrl: sandbox.apiUrl,
      username: sandbox.username,
      password: sandbox.password,
      limits: { download: 16 },
      retry: { retries: 8, baseMs: 5, capMs: 20, retryAfterCapMs: 20, budgetMinRetries: 1000 },
      onEvent: (e) => events.push(e),
    });
    try {
      const id = fileIds[0] as number;
      for (let wave = 0; wave < 2; wave++) await Promise.all(Array.from({ length: 60 }, () => api.getFileMeta(id)));
      expect(api.limitOf('meta')).toBeGreaterThanOrEqual(2);
      expect(api.limitOf('meta')).toBeLessThanOrEqual(3);
      events.length = 0;
      await Promise.all(Array.from({ length: 60 }, () => api.getFileMeta(id)));
      expect(events.filter((e) => e.type === 'retry' && e.status === 429).length).toBeLessThanOrEqual(2);
      expect(events.some((e) => e.type === 'give-up')).toBe(false);
    } finally {
      await api.close();
    }
  });
});
