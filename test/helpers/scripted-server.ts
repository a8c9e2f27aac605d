/**
 * A real node:http server on port 0 that answers each path from a script, step by step
 * (the last step repeats): a status with body and headers, a reset, a hang, or a body cut
 * short. It records every request, so tests can count attempts and inspect headers.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Step =
  | { status: number; json?: unknown; text?: string; headers?: Record<string, string>; delayMs?: number }
  | { reset: true }
  | { hang: true }
  | { truncate: Buffer; status?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests to `path` (without query). */
  count(path: string): number;
  /** Replaces the script of `path`; a function step decides per request. */
  script(path: string, steps: Array<Step | ((req: RecordedRequest) => Step)>): void;
  /** The most requests in flight at once, per path. */
  peak(path: string): number;
  close(): Promise<void>;
}

/** `port`: listen there (a server coming back where an earlier one was); 0 picks a free one. */
export async function startScriptedServer(port = 0): Promise<ScriptedServer> {
  const scripts = new Map<string, Array<Step | ((req: RecordedRequest) => Step)>>();
  const served = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const peaks = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path, url, headers: req.headers, body: Buffer.concat(chunks) };
    requests.push(recorded);
    const steps = scripts.get(path) ?? [{ status: 404, json: { detail: 'Not found.' } }];
    const index = served.get(path) ?? 0;
    served.set(path, index + 1);
    const raw = steps[Math.min(index, steps.length - 1)] as Step | ((r: RecordedRequest) => Step);
    const step = typeof raw === 'function' ? raw(recorded) : raw;
    inFlight.set(path, (inFlight.get(path) ?? 0) + 1);
    peaks.set(path, Math.max(peaks.get(path) ?? 0, inFlight.get(path) ?? 0));
    res.once('close', () => inFlight.set(path, (inFlight.get(path) ?? 1) - 1));
    if ('reset' in step) {
      req.socket.destroy();
      return;
    }
    if ('hang' in step) return;
    if ('truncate' in step) {
      res.writeHead(step.status ?? 200, { 'content-type': 'application/octet-stream', 'content-length': String(step.truncate.length * 2) });
      res.write(step.truncate, () => setTimeout(() => req.socket.destroy(), 5));
      return;
    }
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    const body = step.json !== undefined ? JSON.stringify(step.json) : (step.text ?? '');
    const type = step.json !== undefined ? 'application/json' : 'text/html';
    res.writeHead(step.status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...step.headers });
    res.end(body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: listening } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${listening}`,
    requests,
    count: (path) => requests.filter((r) => r.path === path).length,
    script: (path, steps) => {
      scripts.set(path, steps);
      served.set(path, 0);
    },
    peak: (path) => peaks.get(path) ?? 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const LOGIN_PATH = '/api/v4/token-auth/';
export const metaPath = (id: number): string => `/api/v1/master-data/file-upload/${id}/`;
export const UPLOAD_PATH = '/api/v4/processing/upload/';
export const CREATE_PATH = '/api/v4/processing/actions/';
