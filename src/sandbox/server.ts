/**
 * The sandbox's REST API (platform.md section 2) on fastify: log in, file metadata with a
 * pre-signed download URL, the download itself, multipart upload, and create scan. Every
 * route goes through `route()`, which applies the endpoint's faults around the real work.
 */
import fastifyMultipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Db } from '../platform/db.js';
import { sleep } from '../core/sleep.js';
import { gatewayError, invalidToken, json, notFound, sendAnswer, throttled, type Answer } from './answer.js';
import { createScan } from './create-scan.js';
import type { DeferredWork } from './deferred.js';
import { deleteScan } from './delete-scan.js';
import type { Endpoint, FaultOutcome, Faults } from './faults.js';
import { fileRoutes } from './file-routes.js';
import type { UrlSigner } from './signing.js';
import type { SandboxTokens } from './tokens.js';

export interface ServerContext {
  db: Db;
  faults: Faults;
  signer: UrlSigner;
  credentials: { username: string; password: string; userId: number };
  /** The API token: what log-in hands out and authenticated calls must send. */
  tokens: SandboxTokens;
  urlTtlMs: number;
  rejectReusedFiles: boolean;
  /** Absolute folder that uploads' bytes go to; undefined keeps them in the database. */
  storageDir: string | undefined;
  onScanCreated(scanId: number): void;
  /** Work done after its request was answered: late commits, purges of unused uploads. */
  deferred: DeferredWork;
  /** Time from a `late` create's 504 to its commit. */
  lateMs: number;
  /** An upload no scan uses by then is deleted this long after it was made; undefined keeps it. */
  purgeUnusedUploadsMs: number | undefined;
  log(line: string): void;
}

export interface RouteRequest {
  request: FastifyRequest;
  outcome: FaultOutcome;
}

export type RouteHandler = (req: RouteRequest) => Promise<Answer>;

/** Wraps a handler with the endpoint's faults and, when `auth`, the token check. */
export type Route = (endpoint: Endpoint, auth: boolean, handler: RouteHandler) => (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/** Largest upload accepted, per file. */
// Videos of hundreds of MB are real inputs (platform.md section 8).
const MAX_FILE_BYTES = 1024 * 1024 * 1024;

export async function buildServer(ctx: ServerContext): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 2 * 1024 * 1024 });
  await app.register(fastifyMultipart, { limits: { fileSize: MAX_FILE_BYTES, files: 4, fields: 20 } });

  const route: Route = (endpoint, auth, handler) =>
    async (request, reply) => {
      const ticket = ctx.faults.enter(endpoint);
      reply.raw.once('close', ticket.leave);
      if (ticket.delayMs > 0) await sleep(ticket.delayMs);
      const outcome = ticket.outcome;
      if (outcome === 'hang') return reply.hijack();
      if (outcome === 'reset') {
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }
      const early = earlyAnswer(outcome) ?? (auth && !authorised(request, ctx) ? invalidToken() : undefined);
      if (early) {
        sendAnswer(reply, early, 'none');
        return reply;
      }
      let answer: Answer;
      try {
        answer = await handler({ request, outcome });
      } catch (err) {
        ctx.log(`sandbox: ${request.method} ${request.url.split('?')[0]} failed: ${(err as Error).stack ?? String(err)}`);
        answer = json(500, { detail: 'A server error occurred.' });
      }
      // Returning the reply tells fastify the answer is on its way (a stream may still be flowing).
      sendAnswer(reply, answer, outcome);
      return reply;
    };

  app.post('/api/v4/token-auth/', route('login', false, async ({ request }) => login(request.body, ctx)));
  app.post('/api/v4/processing/actions/', route('create', true, async ({ request, outcome }) => {
    const commit = async (): Promise<Answer> => {
      const { answer, created } = await createScan(ctx.db, request.body, { rejectReusedFiles: ctx.rejectReusedFiles });
      if (created !== undefined) ctx.onScanCreated(created);
      return answer;
    };
    if (outcome !== 'late') return commit();
    // The gateway gives up at once; the backend still has the request and commits it later.
    ctx.deferred.after(ctx.lateMs, 'a late create', async () => {
      await commit();
    });
    return gatewayError(504);
  }));
  app.delete('/api/v4/processing/actions/:id/', route('delete', true, async ({ request }) => {
    const raw = (request.params as { id?: string }).id ?? '';
    const deleted = /^\d{1,15}$/.test(raw) && (await deleteScan(ctx.db, Number(raw)));
    return deleted ? { status: 204 } : notFound();
  }));
  fileRoutes(app, ctx, route);

  app.setNotFoundHandler((_request, reply) => sendAnswer(reply, notFound(), 'none'));
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, request, reply) => {
    sendAnswer(reply, errorAnswer(err, request), 'none');
  });
  return app;
}

function earlyAnswer(outcome: FaultOutcome): Answer | undefined {
  if (outcome === '429' || outcome === 'throttled') return throttled();
  if (outcome === '502' || outcome === '503' || outcome === '504') return gatewayError(Number(outcome) as 502 | 503 | 504);
  return undefined;
}

function authorised(request: FastifyRequest, ctx: ServerContext): boolean {
  const match = /^Token\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return ctx.tokens.valid(match?.[1]);
}

function login(body: unknown, ctx: ServerContext): Answer {
  const data = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const missing = ['username', 'password'].filter((f) => typeof data[f] !== 'string' || data[f] === '');
  if (missing.length > 0) return json(400, Object.fromEntries(missing.map((f) => [f, ['This field is required.']])));
  const { username, password, userId } = ctx.credentials;
  if (data.username !== username || data.password !== password) {
    return json(400, { non_field_errors: ['Unable to log in with provided credentials.'] });
  }
  return json(200, { id: userId, token: ctx.tokens.issue() });
}

/** Body-parsing and framework errors, in the platform's words. */
function errorAnswer(err: { statusCode?: number; code?: string; message: string }, request: FastifyRequest): Answer {
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return json(415, { detail: `Unsupported media type "${request.headers['content-type'] ?? ''}" in request.` });
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.code === 'FST_REQ_FILE_TOO_LARGE') return json(413, { detail: 'Request body too large.' });
  if (err.statusCode === 400) return json(400, { detail: `JSON parse error - ${err.message}` });
  return json(err.statusCode && err.statusCode < 500 ? err.statusCode : 500, { detail: err.statusCode && err.statusCode < 500 ? err.message : 'A server error occurred.' });
}
