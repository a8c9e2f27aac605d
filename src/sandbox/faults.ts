/**
 * Fault injection for the sandbox API, per endpoint and seeded, so that retry, timeout,
 * exactly-once and adaptive-concurrency code is tested against the failures a real
 * instance shows (platform.md section 2) and a failing run can be replayed.
 *
 * Spec: a comma-separated list of `ENDPOINT:KIND=VALUE`, e.g.
 * `*:latency=25ms~5ms,upload:503=0.1,create:lost=0.1`. See FAULTS_HELP.
 */
import { ScanCopyError } from '../core/errors.js';
import { createRandom, hashSeed } from './random.js';

export const ENDPOINTS = ['login', 'meta', 'content', 'upload', 'create', 'delete'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** Kinds drawn per request with probability R; their rates on one endpoint add up to at most 1. */
export const RATE_KINDS = ['502', '503', '504', '429', 'lost', 'late', 'hang', 'reset', 'truncate', 'expire'] as const;
export type RateKind = (typeof RATE_KINDS)[number];

export interface EndpointFaults {
  latency?: { ms: number; jitterMs: number };
  rates: Partial<Record<RateKind, number>>;
  /** Requests in flight beyond this answer 429 with `Retry-After: 1`. */
  concurrency?: number;
}

export type FaultPlan = Record<Endpoint, EndpointFaults>;

export const FAULTS_HELP = `Faults (--faults SPEC): a comma-separated list of ENDPOINT:KIND=VALUE.
  ENDPOINT  login | meta | content | upload | create | delete | * (all of them)
  KIND=VALUE
    latency=25ms | latency=25ms~5ms   added delay, with uniform jitter (ms or s)
    502=R 503=R 504=R                 gateway errors with an HTML body
    429=R                             throttled, with Retry-After: 1
    lost=R                            the call is carried out, then answered 502
    late=R                            create only: answered 504 (HTML) at once, carried
                                      out --late-ms later (a backend that commits after
                                      the gateway gave up)
    hang=R                            never answered (past any client timeout)
    reset=R                           connection destroyed before an answer
    truncate=R                        body cut short after the headers promised more
    expire=R                          meta hands out an already expired download URL;
                                      content answers 403 "Request has expired"
    concurrency=N                     beyond N requests in flight: 429, Retry-After: 1
  R is a rate from 0 to 1. An endpoint's own item overrides a * item of the same kind.
  Example: *:latency=25ms~5ms,upload:503=0.1,create:lost=0.1`;

const SYNTAX_HINT = 'Use ENDPOINT:KIND=VALUE items separated by commas, e.g. *:latency=25ms~5ms,upload:503=0.1,create:lost=0.1';

export function parseFaults(spec: string): FaultPlan {
  const star: EndpointFaults = { rates: {} };
  const own = Object.fromEntries(ENDPOINTS.map((e) => [e, { rates: {} } as EndpointFaults])) as FaultPlan;
  const items = spec.split(',').map((s) => s.trim());
  if (items.length === 1 && items[0] === '') return merge(star, own);
  items.forEach((item, index) => {
    const bad = (reason: string): ScanCopyError =>
      new ScanCopyError('USAGE', `bad fault item ${index + 1} "${item}": ${reason}`, { hint: SYNTAX_HINT, context: { spec } });
    const match = /^([^:=\s]+):([^=\s]+)=(\S+)$/.exec(item);
    if (!match) throw bad('expected ENDPOINT:KIND=VALUE');
    const [, endpoint = '', kind = '', value = ''] = match;
    if (endpoint !== '*' && !(ENDPOINTS as readonly string[]).includes(endpoint)) {
      throw bad(`unknown endpoint "${endpoint}" (one of ${ENDPOINTS.join(', ')}, *)`);
    }
    const target = endpoint === '*' ? star : own[endpoint as Endpoint];
    if (kind === 'latency') target.latency = parseLatency(value, bad);
    else if (kind === 'concurrency') target.concurrency = parseLimit(value, bad);
    else if (kind === 'late' && endpoint !== 'create') throw bad('late applies to create only (create:late=R)');
    else if ((RATE_KINDS as readonly string[]).includes(kind)) target.rates[kind as RateKind] = parseRate(value, bad);
    else throw bad(`unknown kind "${kind}" (one of latency, ${RATE_KINDS.join(', ')}, concurrency)`);
  });
  const plan = merge(star, own);
  for (const endpoint of ENDPOINTS) {
    const total = Object.values(plan[endpoint].rates).reduce((a, b) => a + b, 0);
    if (total > 1 + 1e-9) {
      throw new ScanCopyError('USAGE', `bad fault spec "${spec}": the rates for ${endpoint} add up to ${round(total)}, more than 1`, { hint: SYNTAX_HINT });
    }
  }
  return plan;
}

function merge(star: EndpointFaults, own: FaultPlan): FaultPlan {
  const plan = {} as FaultPlan;
  for (const endpoint of ENDPOINTS) {
    const mine = own[endpoint];
    plan[endpoint] = {
      latency: mine.latency ?? star.latency,
      rates: { ...star.rates, ...mine.rates },
      concurrency: mine.concurrency ?? star.concurrency,
    };
  }
  return plan;
}

type Bad = (reason: string) => ScanCopyError;

function parseLatency(value: string, bad: Bad): { ms: number; jitterMs: number } {
  const [base = '', jitter, extra] = value.split('~');
  if (extra !== undefined) throw bad('latency takes one ~ (e.g. 25ms~5ms)');
  return { ms: parseDuration(base, bad), jitterMs: jitter === undefined ? 0 : parseDuration(jitter, bad) };
}

function parseDuration(text: string, bad: Bad): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (!match) throw bad(`"${text}" is not a duration (e.g. 25ms or 1.5s)`);
  return Number(match[1]) * (match[2] === 's' ? 1000 : 1);
}

function parseRate(text: string, bad: Bad): number {
  const rate = /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  if (!(rate >= 0 && rate <= 1)) throw bad(`"${text}" is not a rate from 0 to 1`);
  return rate;
}

function parseLimit(text: string, bad: Bad): number {
  if (!/^[1-9]\d*$/.test(text)) throw bad(`"${text}" is not a positive whole number`);
  return Number(text);
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

export type FaultOutcome = RateKind | 'throttled' | 'none';

export interface FaultTicket {
  outcome: FaultOutcome;
  delayMs: number;
  /** Call once the request is over (answered, destroyed or abandoned). */
  leave(): void;
}

/** The live fault state: the plan, one seeded random stream per endpoint, in-flight counts. */
export class Faults {
  #plan!: FaultPlan;
  #outcomeRandom!: Record<Endpoint, () => number>;
  #latencyRandom!: Record<Endpoint, () => number>;
  readonly #inFlight = Object.fromEntries(ENDPOINTS.map((e) => [e, 0])) as Record<Endpoint, number>;

  constructor(spec: string, private readonly seed: number) {
    this.set(spec);
  }

  /** Replaces the plan (and restarts the seeded streams); a malformed spec changes nothing. */
  set(spec: string): void {
    const plan = parseFaults(spec);
    this.#plan = plan;
    this.#outcomeRandom = this.#streams('outcome');
    this.#latencyRandom = this.#streams('latency');
  }

  get plan(): FaultPlan {
    return this.#plan;
  }

  enter(endpoint: Endpoint): FaultTicket {
    const faults = this.#plan[endpoint];
    this.#inFlight[endpoint] += 1;
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      this.#inFlight[endpoint] -= 1;
    };
    const delayMs = this.#delay(endpoint, faults);
    if (faults.concurrency !== undefined && this.#inFlight[endpoint] > faults.concurrency) {
      return { outcome: 'throttled', delayMs, leave };
    }
    return { outcome: this.#draw(endpoint, faults), delayMs, leave };
  }

  #delay(endpoint: Endpoint, faults: EndpointFaults): number {
    if (!faults.latency) return 0;
    const { ms, jitterMs } = faults.latency;
    return Math.max(0, ms + (this.#latencyRandom[endpoint]() * 2 - 1) * jitterMs);
  }

  #draw(endpoint: Endpoint, faults: EndpointFaults): FaultOutcome {
    const kinds = RATE_KINDS.filter((k) => (faults.rates[k] ?? 0) > 0);
    if (kinds.length === 0) return 'none';
    const u = this.#outcomeRandom[endpoint]();
    let edge = 0;
    for (const kind of kinds) {
      edge += faults.rates[kind] ?? 0;
      if (u < edge) return kind;
    }
    return 'none';
  }

  #streams(purpose: string): Record<Endpoint, () => number> {
    return Object.fromEntries(ENDPOINTS.map((e) => [e, createRandom(hashSeed(this.seed, purpose, e)).next])) as Record<Endpoint, () => number>;
  }
}
