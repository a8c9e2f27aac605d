/**
 * The two parts of undici the client uses, an Agent (the keep-alive pool) and `request`,
 * loaded from their own modules: undici's index also loads fetch, WebSocket, the caches and
 * the mocks, which was the largest share of a CLI start (bench/README.md, startup). The
 * version is pinned in package.json; `request` here is undici's `request` bound to a
 * dispatcher, as its index makes it.
 */
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';

export type { Dispatcher };

const load = createRequire(import.meta.url);

export const Agent = load('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
export type Agent = UndiciAgent;

const apiRequest = load('undici/lib/api/api-request.js') as (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

export function request(url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher }): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const parsed = new URL(url);
  return apiRequest.call(dispatcher, { ...rest, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` });
}
