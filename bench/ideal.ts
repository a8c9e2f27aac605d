/**
 * The ideal wall time of a copy for given stage limits and injected latencies, derived in
 * bench/README.md: every call takes exactly its injected latency, the client and servers
 * cost no CPU, and each stage's workers are never idle while work is waiting for them.
 */

export interface StageLimits {
  download: number;
  upload: number;
  create: number;
}

export interface CopyModel {
  scans: number;
  filesPerScan: number;
  /** Mean injected latency of one call. */
  latencyMs: number;
  /** Uniform jitter either side of the mean (25ms~5ms: 20..30 ms). */
  jitterMs: number;
  limits: StageLimits;
}

export interface StageBound {
  stage: keyof StageLimits;
  workers: number;
  /** Calls one scan costs this stage. */
  callsPerScan: number;
  /** Calls in sequence on one scan's path through the stage (its files run side by side). */
  pathCalls: number;
  scansPerSecond: number;
}

export interface PipelineBound {
  stages: StageBound[];
  bottleneck: keyof StageLimits;
  /** Log-in plus the path of the first scan through the stages before the bottleneck. */
  fillMs: number;
  /** The bottleneck busy with every scan. */
  steadyMs: number;
  /** The path of the last scan through the stages after the bottleneck. */
  drainMs: number;
  wallMs: number;
  scansPerSecond: number;
}

/** Per file: metadata then content (download), one upload; per scan: one create. */
export function stageCalls(filesPerScan: number): Array<Omit<StageBound, 'workers' | 'scansPerSecond'>> {
  return [
    { stage: 'download', callsPerScan: 2 * filesPerScan, pathCalls: 2 },
    { stage: 'upload', callsPerScan: filesPerScan, pathCalls: 1 },
    { stage: 'create', callsPerScan: 1, pathCalls: 1 },
  ];
}

export function pipelineBound(model: CopyModel): PipelineBound {
  const { scans, latencyMs: l, limits } = model;
  const stages: StageBound[] = stageCalls(model.filesPerScan).map((s) => ({
    ...s,
    workers: limits[s.stage],
    scansPerSecond: (1000 * limits[s.stage]) / (s.callsPerScan * l),
  }));
  const b = stages.reduce((slowest, s, i) => (s.scansPerSecond < (stages[slowest] as StageBound).scansPerSecond ? i : slowest), 0);
  const bottleneck = stages[b] as StageBound;
  const path = (list: StageBound[]): number => list.reduce((sum, s) => sum + s.pathCalls * l, 0);
  const fillMs = l + path(stages.slice(0, b));
  const steadyMs = (scans * bottleneck.callsPerScan * l) / bottleneck.workers;
  const drainMs = path(stages.slice(b + 1));
  const wallMs = fillMs + steadyMs + drainMs;
  return { stages, bottleneck: bottleneck.stage, fillMs, steadyMs, drainMs, wallMs, scansPerSecond: (1000 * scans) / wallMs };
}

export interface BarrierBound {
  batchMs: number;
  batches: number;
  wallMs: number;
  scansPerSecond: number;
}

/**
 * Batch after batch, each downloading all its files, then uploading all, then creating all:
 * every phase lasts as long as its slowest call, so jitter counts at its expected maximum.
 */
export function barrierBound(model: CopyModel, batchSize: number): BarrierBound {
  const { scans, filesPerScan, latencyMs: l, jitterMs: j, limits } = model;
  const batches = Math.ceil(scans / batchSize);
  const phase = (items: number, workers: number, callsInSequence: number): number =>
    Math.ceil(items / workers) * expectedMaxOfSums(Math.min(items, workers), callsInSequence, l, j);
  const batchOf = (n: number): number =>
    phase(n * filesPerScan, limits.download, 2) + phase(n * filesPerScan, limits.upload, 1) + phase(n, limits.create, 1);
  const last = scans - (batches - 1) * batchSize;
  const wallMs = l + (batches - 1) * batchOf(batchSize) + batchOf(last);
  return { batchMs: batchOf(batchSize), batches, wallMs, scansPerSecond: (1000 * scans) / wallMs };
}

/**
 * E[max of k independent sums of m latencies], each latency uniform on [l - j, l + j]: a sum
 * is m(l - j) + 2j * S with S Irwin-Hall(m), and E[max S] = integral of 1 - F(s)^k over [0, m].
 */
export function expectedMaxOfSums(k: number, m: number, l: number, j: number): number {
  if (k <= 0) return 0;
  if (j === 0) return m * l;
  const steps = 2000;
  const h = m / steps;
  let integral = 0;
  for (let i = 0; i < steps; i++) {
    const s = (i + 0.5) * h;
    integral += (1 - irwinHallCdf(s, m) ** k) * h;
  }
  return m * (l - j) + 2 * j * integral;
}

function irwinHallCdf(x: number, m: number): number {
  if (x <= 0) return 0;
  if (x >= m) return 1;
  let sum = 0;
  for (let k = 0; k <= Math.floor(x); k++) sum += (-1) ** k * binomial(m, k) * (x - k) ** m;
  return sum / factorial(m);
}

function binomial(n: number, k: number): number {
  return factorial(n) / (factorial(k) * factorial(n - k));
}

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

/** Mean injected latency of one call per endpoint (the cloud profile's faults). */
export interface CallLatencies {
  login: number;
  meta: number;
  content: number;
  upload: number;
  create: number;
}

export interface CloudModel {
  scans: number;
  files: number;
  /** Every file's bytes, which cross the loopback twice: source to client, client to target. */
  bytes: number;
  /** Bytes per second one direction of the loopback carries, measured in the same run. */
  bandwidthBytesPerS: number;
  latencies: CallLatencies;
  limits: StageLimits;
}

export interface CloudBound {
  /** Each stage's calls over its workers, and each direction's bytes over the bandwidth. */
  busyMs: { download: number; upload: number; create: number; bytes_in: number; bytes_out: number };
  bottleneck: keyof CloudBound['busyMs'];
  /** Log-in, and one scan's path through every stage but the bottleneck's own call. */
  fillDrainMs: number;
  wallMs: number;
}

/**
 * The pipelined bound when calls differ in latency and files carry real bytes: the busiest
 * of the stages (calls x latency / workers) and of the two byte streams (bytes / bandwidth),
 * plus the log-in and the first and last scan's path around it. Latency and transfer of one
 * call may overlap other calls' but never its own: the bound counts them apart, so it is a
 * lower bound, not a prediction.
 */
export function cloudBound(model: CloudModel): CloudBound {
  const { latencies: l, limits } = model;
  const transferMs = (1000 * model.bytes) / model.bandwidthBytesPerS;
  const busyMs = {
    download: (model.files * (l.meta + l.content)) / limits.download,
    upload: (model.files * l.upload) / limits.upload,
    create: (model.scans * l.create) / limits.create,
    bytes_in: transferMs,
    bytes_out: transferMs,
  };
  const bottleneck = (Object.keys(busyMs) as Array<keyof typeof busyMs>).reduce((a, b) => (busyMs[b] > busyMs[a] ? b : a));
  const ownCall = { download: l.meta + l.content, upload: l.upload, create: l.create, bytes_in: 0, bytes_out: 0 }[bottleneck];
  const fillDrainMs = l.login + l.meta + l.content + l.upload + l.create - ownCall;
  return { busyMs, bottleneck, fillDrainMs, wallMs: fillDrainMs + busyMs[bottleneck] };
}
