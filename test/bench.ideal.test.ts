import { describe, expect, it } from 'vitest';
import { barrierBound, cloudBound, expectedMaxOfSums, pipelineBound } from '../bench/ideal.js';

const model = { scans: 500, filesPerScan: 2, latencyMs: 25, jitterMs: 5, limits: { download: 20, upload: 20, create: 10 } };

describe('ideal pipelined bound', () => {
  it('finds download the bottleneck at the default limits: 4 calls of 25 ms per scan over 20 workers is 200 scans/s', () => {
    const bound = pipelineBound(model);
    expect(bound.stages.map((s) => [s.stage, s.scansPerSecond])).toEqual([['download', 200], ['upload', 400], ['create', 400]]);
    expect(bound.bottleneck).toBe('download');
    // log-in 25 + 500 scans at 5 ms + upload and create of the last scan 50
    expect([bound.fillMs, bound.steadyMs, bound.drainMs, bound.wallMs]).toEqual([25, 2500, 50, 2575]);
  });

  it('moves the bottleneck and the fill when a later stage is the slowest', () => {
    const bound = pipelineBound({ ...model, limits: { download: 20, upload: 20, create: 2 } });
    expect(bound.bottleneck).toBe('create');
    expect(bound.fillMs).toBe(25 + 50 + 25);
    expect(bound.steadyMs).toBe(500 * 25 / 2);
    expect(bound.drainMs).toBe(0);
  });
});

describe('ideal barrier bound', () => {
  it('without jitter is three phases per batch: meta+content, upload, create', () => {
    const bound = barrierBound({ ...model, jitterMs: 0 }, 10);
    expect(bound.batchMs).toBe(50 + 25 + 25);
    expect(bound.wallMs).toBe(25 + 50 * 100);
  });

  it('pays the expected maximum of the jittered calls in every phase', () => {
    // max of k uniforms on [20, 30] has mean 20 + 10 k / (k + 1)
    expect(expectedMaxOfSums(20, 1, 25, 5)).toBeCloseTo(20 + 10 * 20 / 21, 3);
    expect(expectedMaxOfSums(1, 2, 25, 5)).toBeCloseTo(50, 3);
    const bound = barrierBound(model, 10);
    expect(bound.batchMs).toBeCloseTo(expectedMaxOfSums(20, 2, 25, 5) + expectedMaxOfSums(20, 1, 25, 5) + expectedMaxOfSums(10, 1, 25, 5), 6);
    expect(bound.batchMs).toBeGreaterThan(110);
  });
});

describe('ideal cloud bound', () => {
  const latencies = { login: 60, meta: 60, content: 250, upload: 350, create: 200 };
  const limits = { download: 20, upload: 20, create: 10 };

  it('is latency-bound when the loopback is fast: upload calls of 350 ms over 20 workers', () => {
    const bound = cloudBound({ scans: 1000, files: 1400, bytes: 1, bandwidthBytesPerS: 1e12, latencies, limits });
    expect(bound.bottleneck).toBe('upload');
    expect(bound.busyMs.upload).toBe(1400 * 350 / 20);
    expect(bound.busyMs.download).toBe(1400 * 310 / 20);
    // log-in, meta, content and create of the first and last scans around the uploads
    expect(bound.fillDrainMs).toBe(60 + 60 + 250 + 200);
    expect(bound.wallMs).toBe(bound.fillDrainMs + 24_500);
  });

  it('is byte-bound when the bytes take longer than any stage: 10 GB at 500 MB/s is 20 s each way', () => {
    const bound = cloudBound({ scans: 200, files: 280, bytes: 10e9, bandwidthBytesPerS: 500e6, latencies, limits });
    expect(bound.bottleneck).toBe('bytes_in');
    expect(bound.busyMs.bytes_in).toBe(20_000);
    expect(bound.fillDrainMs).toBe(60 + 60 + 250 + 350 + 200);
  });
});
