/**
 * What moving the bytes alone costs a Node client on this machine, measured in the same run
 * as the copy whose client CPU it bounds: the cloud copy's files (their sizes, in its order)
 * through child/transfer-floor.ts between two ends that do nothing else. The client's CPU
 * per scan can come near this, never under it.
 */
import { round } from './copy.js';
import { startChild } from './processes.js';

export interface TransferFloor {
  /** The bare transfer's CPU per scan of the copy: its bytes downloaded and uploaded once. */
  cpu_ms_per_scan: number;
  cpu_ms_per_mb: number;
  cpu_s: number;
  wall_s: number;
  files: number;
  bytes: number;
  workers: number;
}

export async function measureTransferFloor(sizes: number[], scans: number, workers: number): Promise<TransferFloor> {
  const server = startChild('bytes-server', {});
  try {
    const { port } = await server.next<{ port: number }>();
    const mover = startChild('transfer-floor', { port, sizes, workers });
    const got = await mover.next<{ wallMs: number; files: number; bytes: number; cpuMs: number }>();
    await mover.exited;
    return {
      cpu_ms_per_scan: round(got.cpuMs / scans, 2),
      cpu_ms_per_mb: round(got.cpuMs / (got.bytes / 1e6), 3),
      cpu_s: round(got.cpuMs / 1000),
      wall_s: round(got.wallMs / 1000),
      files: got.files,
      bytes: got.bytes,
      workers,
    };
  } finally {
    await server.stop();
  }
}
