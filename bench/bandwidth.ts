/**
 * The loopback's bandwidth from one Node process to another, measured in the same run as
 * the copies it bounds: a few parallel streams of a fixed size read and dropped, their bytes
 * over the wall time. The machine's load at that moment is in the figure, as it is in the copy's.
 */
import { request } from 'undici';
import { startChild } from './processes.js';

const STREAMS = 4;
const BYTES_PER_STREAM = 256 * 1024 * 1024;

export interface Bandwidth {
  bytes_per_s: number;
  streams: number;
  bytes: number;
  wall_s: number;
}

export async function measureLoopbackBandwidth(): Promise<Bandwidth> {
  const server = startChild('bytes-server', {});
  try {
    const { port } = await server.next<{ port: number }>();
    const fetchOne = async (): Promise<number> => {
      const { body } = await request(`http://127.0.0.1:${port}/?bytes=${BYTES_PER_STREAM}`);
      let got = 0;
      for await (const chunk of body) got += (chunk as Buffer).length;
      return got;
    };
    await fetchOne();
    const started = performance.now();
    const sizes = await Promise.all(Array.from({ length: STREAMS }, fetchOne));
    const wallMs = performance.now() - started;
    const bytes = sizes.reduce((a, b) => a + b, 0);
    return { bytes_per_s: Math.round(bytes / (wallMs / 1000)), streams: STREAMS, bytes, wall_s: Math.round(wallMs) / 1000 };
  } finally {
    await server.stop();
  }
}
