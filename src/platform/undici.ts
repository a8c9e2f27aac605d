/**
 * The two parts of undici the client uses, an Agent (the keep-alive pool) and `request`,
 * imported from their own modules: undici's index also loads fetch, WebSocket, the caches
 * and the mocks, which was the largest share of a CLI start (bench/README.md, start-up).
 * Imported rather than required, so that the command line's bundle holds them
 * (scripts/build.mjs). The version is pinned in package.json; `request` here is undici's
 * `request` bound to a dispatcher, as its index makes it.
 */
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';

export type { Dispatcher };

export const Agent = AgentClass;
export type Agent = UndiciAgent;

export function request(url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher }): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  const parsed = new URL(url);
  return apiRequest.call(dispatcher, { ...rest, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` });
}
