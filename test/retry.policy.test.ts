import { describe, expect, it } from 'vitest';
import { HttpError, ScanCopyError } from '../src/core/errors.js';
import { parseRetryAfter, RetryPolicy, type RetryEvent, type RetryOptions } from '../src/core/retry.js';

/** A policy on a virtual clock: sleeping advances time instantly and is recorded. */
function virtualPolicy(options: RetryOptions = {}) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const policy = new RetryPolicy({
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    random: () => 0.999,
    ...options,
  });
  return { policy, sleeps, advance: (ms: number) => (now += ms), now: () => now };
}

const http = (status: number, retryAfterMs?: number) =>
  new HttpError(status >= 500 ? 'SERVER_ERROR' : status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST', `answered ${status}`, { call: 't', method: 'GET', path: '/x', status, retryAfterMs });

function failing(errors: unknown[], value = 'ok') {
  let calls = 0;
  const fn = async () => {
    const err = errors[calls++];
    if (err !== undefined) throw err;
    return value;
  };
  return { fn, calls: () => calls };
}

describe('retry policy', () => {
  it('retries 502, 503, 504 and 429 and then passes', async () => {
    for (const status of [502, 503, 504, 429]) {
      const { policy } = virtualPolicy();
      const script = failing([http(status), http(status)]);
      await expect(policy.run(script.fn)).resolves.toBe('ok');
      expect(script.calls()).toBe(3);
    }
  });

  it('retries connection resets and timeouts found anywhere in the cause chain', async () => {
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const wrapped = new ScanCopyError('SERVER_ERROR', 'connection reset', { cause: reset });
    const timeout = new ScanCopyError('TIMEOUT', 'no answer');
    const domTimeout = new DOMException('t', 'TimeoutError');
    const { policy } = virtualPolicy();
    const script = failing([wrapped, timeout, domTimeout]);
    await expect(policy.run(script.fn)).resolves.toBe('ok');
    expect(script.calls()).toBe(4);
  });

  it('does not retry 400, 401, 403, 404, 500, an unknown outcome, or a plain error', async () => {
    const finals = [http(400), http(401), http(403), http(404), http(500), new ScanCopyError('OUTCOME_UNKNOWN', 'x', { cause: http(502) }), new Error('bug')];
    for (const err of finals) {
      const { policy, sleeps } = virtualPolicy();
      const script = failing([err]);
      await expect(policy.run(script.fn)).rejects.toBe(err);
      expect(script.calls()).toBe(1);
      expect(sleeps).toEqual([]);
    }
  });

  it('backs off exponentially with full jitter under the cap', async () => {
    const draws = [0.5, 0.999, 0.25];
    const { policy, sleeps } = virtualPolicy({ baseMs: 1000, capMs: 3000, random: () => draws.shift() ?? 0 });
    await policy.run(failing([http(503), http(503), http(503)]).fn);
    expect(sleeps).toEqual([Math.floor(0.5 * 1000), Math.floor(0.999 * 2000), Math.floor(0.25 * 3000)]);
  });

  it('stops after the configured number of retries with the last error', async () => {
    const { policy, sleeps } = virtualPolicy({ retries: 3 });
    const last = http(503);
    const script = failing([http(503), http(503), http(503), last]);
    const events: RetryEvent[] = [];
    await expect(policy.run(script.fn, { onGiveUp: (e) => events.push(e) })).rejects.toBe(last);
    expect(script.calls()).toBe(4);
    expect(sleeps).toHaveLength(3);
    expect(events).toEqual([expect.objectContaining({ attempt: 4, stop: 'attempts' })]);
  });

  it('waits what Retry-After asks instead of the backoff, capped', async () => {
    const { policy, sleeps } = virtualPolicy({ retryAfterCapMs: 5000 });
    await policy.run(failing([http(429, 2000), http(503, 3_600_000)]).fn);
    expect(sleeps).toEqual([2000, 5000]);
  });

  it('stops retrying at the overall deadline', async () => {
    const { policy, sleeps } = virtualPolicy({ deadlineMs: 2500, baseMs: 1000, retries: 10 });
    const events: RetryEvent[] = [];
    const script = failing(Array.from({ length: 20 }, () => http(503)));
    await expect(policy.run(script.fn, { onGiveUp: (e) => events.push(e) })).rejects.toBeInstanceOf(HttpError);
    // 999 + 1998 would pass 2500: the second wait is never started.
    expect(sleeps).toEqual([999]);
    expect(events[0]?.stop).toBe('deadline');
  });

  it('takes an absolute deadline per run, the earlier one winning', async () => {
    const clock = virtualPolicy({ baseMs: 100, retries: 10 });
    const script = failing(Array.from({ length: 20 }, () => http(502)));
    await expect(clock.policy.run(script.fn, { deadline: clock.now() + 350 })).rejects.toBeInstanceOf(HttpError);
    expect(clock.sleeps).toEqual([99, 199]);
  });

  it('keeps retries under the budget during a long outage', async () => {
    const { policy } = virtualPolicy({ budgetRatio: 0.1, budgetMinRetries: 2, budgetWindowMs: 60_000, retries: 3 });
    let attempts = 0;
    const giveUps: string[] = [];
    for (let i = 0; i < 50; i++) {
      await policy
        .run(async () => {
          attempts++;
          throw http(503);
        }, { onGiveUp: (e) => giveUps.push(e.stop ?? '') })
        .catch(() => undefined);
    }
    // Without a budget: 50 x 4 = 200 attempts. With it: 50 requests + at most 2 + 10% of 50 retries.
    expect(attempts).toBeLessThanOrEqual(50 + 2 + 5);
    expect(giveUps.filter((s) => s === 'budget').length).toBeGreaterThan(40);
  });

  it('frees the budget as the window slides', async () => {
    const clock = virtualPolicy({ budgetRatio: 0, budgetMinRetries: 1, budgetWindowMs: 10_000, retries: 1 });
    const outage = async () => {
      throw http(503);
    };
    const attempts = async () => {
      let n = 0;
      await clock.policy.run(async () => {
        n++;
        return outage();
      }).catch(() => undefined);
      return n;
    };
    expect(await attempts()).toBe(2);
    expect(await attempts()).toBe(1);
    clock.advance(11_000);
    expect(await attempts()).toBe(2);
  });

  it('stops waiting when the signal aborts', async () => {
    const policy = new RetryPolicy({ baseMs: 10_000, random: () => 1 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new ScanCopyError('ABORTED', 'stopped')), 20);
    await expect(policy.run(async () => {
      throw http(503);
    }, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects nonsense settings as CONFIG_INVALID naming the setting', () => {
    expect(() => new RetryPolicy({ retries: -1 })).toThrow(/retry\.retries = -1/);
    expect(() => new RetryPolicy({ baseMs: Number.NaN })).toThrow(/retry\.baseMs/);
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(['2'])).toBe(2000);
  });

  it('reads an HTTP date relative to now, a past date meaning now', () => {
    const now = Date.parse('2026-11-29T10:00:00Z');
    expect(parseRetryAfter('Sun, 29 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores missing and malformed values', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('-5')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('1.5')).toBeUndefined();
  });
});
