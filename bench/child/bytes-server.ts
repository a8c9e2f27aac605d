/**
 * A plain HTTP server in its own process that answers GET /?bytes=N with N bytes from one
 * buffer, and takes any POST's body, drops it and answers 201 `{"id": 1}`: what the loopback
 * carries from one Node process to another with nothing else to do (the bandwidth the cloud
 * profile's ideal bound counts), and the far ends of the bare transfer that bounds the
 * client's CPU (transfer-floor.ts). Answers one JSON line, its port.
 */
import { createServer } from 'node:http';

const CHUNK = Buffer.alloc(1 << 20, 0x5a);

const server = createServer((req, res) => {
  if (req.method === 'POST') {
    req.resume();
    req.once('end', () => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"id": 1}');
    });
    return;
  }
  const wanted = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('bytes') ?? 0);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(wanted) });
  let left = wanted;
  const pump = (): void => {
    while (left > 0) {
      const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
