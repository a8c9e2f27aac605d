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
  async function refusedAtTwelve(): Promise<AdaptiveLimiter> {
    const limiter = new AdaptiveLimiter({ max: 20 });
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
