/**
 * What a route answers, and how the answer leaves: normally, or through a fault that acts
 * after the work is done (`lost`: answered 502; `truncate`: the body cut short after the
 * headers promised all of it).
 */
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FaultOutcome } from './faults.js';

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  /** Raw bytes, or a stream of `length` bytes. */
  body?: Buffer | Readable;
  length?: number;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Answer => ({ status, json: body, headers });

/** A Django REST framework field error body: `{"field": ["message"]}`. */
export const fieldError = (field: string, message: string): Answer => json(400, { [field]: [message] });

/** The platform's `input_type` choices, on upload and on create (platform.md section 8). */
export const INPUT_TYPES: readonly string[] = ['image', 'video', 'keyframe'];

export const invalidToken = (): Answer => json(401, { detail: 'Invalid token.' }, { 'www-authenticate': 'Token' });

export const notFound = (): Answer => json(404, { detail: 'Not found.' });

export const throttled = (): Answer =>
  json(429, { detail: 'Request was throttled. Expected available in 1 second.' }, { 'retry-after': '1' });

const GATEWAY_TEXT: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };

/** A load balancer's error page: HTML, as a real instance's proxy sends it. */
export function gatewayError(status: 502 | 503 | 504): Answer {
  const text = GATEWAY_TEXT[status] ?? 'Error';
  const html = `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n</body>\r\n</html>\r\n`;
  return { status, headers: { 'content-type': 'text/html' }, body: Buffer.from(html) };
}

/** An S3-style XML error, as an object store answers a pre-signed URL. */
export function storageError(status: number, code: string, message: string): Answer {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  return { status, headers: { 'content-type': 'application/xml' }, body: Buffer.from(xml) };
}

export function sendAnswer(reply: FastifyReply, answer: Answer, outcome: FaultOutcome): void {
  if (outcome === 'lost') {
    discard(answer);
    return sendAnswer(reply, gatewayError(502), 'none');
  }
  const headers = { ...answer.headers };
  const body = answer.json !== undefined ? Buffer.from(JSON.stringify(answer.json)) : answer.body;
  if (answer.json !== undefined) headers['content-type'] ??= 'application/json';
  if (outcome === 'truncate' && body) return truncate(reply, answer.status, headers, body, answer.length);
  if (answer.length !== undefined) headers['content-length'] = String(answer.length);
  reply.code(answer.status).headers(headers).send(body ?? '');
}

function discard(answer: Answer): void {
  if (answer.body && !Buffer.isBuffer(answer.body)) answer.body.destroy();
}

/** Promises the whole body, sends half of it, then drops the connection. */
function truncate(reply: FastifyReply, status: number, headers: Record<string, string>, body: Buffer | Readable, length?: number): void {
  reply.hijack();
  const res = reply.raw;
  const total = Buffer.isBuffer(body) ? body.length : (length ?? 0);
  const cut = Math.floor(total / 2);
  res.writeHead(status, { ...headers, 'content-length': String(total) });
  const drop = (): void => {
    res.socket?.destroy();
  };
  if (Buffer.isBuffer(body)) {
    res.write(body.subarray(0, cut), drop);
    return;
  }
  let sent = 0;
  body.on('data', (chunk: Buffer) => {
    if (sent >= cut) return;
    const part = chunk.subarray(0, cut - sent);
    sent += part.length;
    res.write(part);
    if (sent >= cut) {
      body.destroy();
      res.write(Buffer.alloc(0), drop);
    }
  });
  body.on('end', drop);
  body.on('error', drop);
}
