/**
 * The least CPU a Node client can spend to move the cloud copy's files: each file downloaded
 * from bytes-server into a buffer its worker reuses and uploaded back as one body, with the
 * client's HTTP library (undici, keep-alive) and its concurrency, and nothing else: no
 * metadata call, no multipart, no journal, no spool, no hash, no latency to wait out.
 */
import { Agent, request } from 'undici';
import { answer, startUsage } from './instances.js';

interface FloorInput {
  port: number;
  sizes: number[];
  workers: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as FloorInput;
const origin = `http://127.0.0.1:${input.port}`;
const agent = new Agent({ connections: 2 * input.workers });

async function move(size: number, buffer: Buffer): Promise<Buffer> {
  const into = buffer.length >= size ? buffer : Buffer.allocUnsafeSlow(size);
  const got = await request(`${origin}/?bytes=${size}`, { dispatcher: agent });
  let at = 0;
  for await (const chunk of got.body as AsyncIterable<Buffer>) at += chunk.copy(into, at);
  if (at !== size) throw new Error(`bytes-server sent ${at} of ${size} bytes`);
  const sent = await request(`${origin}/upload`, { dispatcher: agent, method: 'POST', body: into.subarray(0, size), headers: { 'content-type': 'application/octet-stream' } });
  await sent.body.text();
  if (sent.statusCode !== 201) throw new Error(`bytes-server answered the upload ${sent.statusCode}`);
  return into;
}

const usage = startUsage();
const started = performance.now();
let next = 0;
await Promise.all(Array.from({ length: input.workers }, async () => {
  let buffer: Buffer = Buffer.alloc(0);
  while (next < input.sizes.length) buffer = await move(input.sizes[next++] as number, buffer);
}));
const wallMs = performance.now() - started;
answer({ wallMs, files: input.sizes.length, bytes: input.sizes.reduce((a, b) => a + b, 0), ...usage.end() });
await agent.close();
