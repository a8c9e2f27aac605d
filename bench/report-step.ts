/**
 * The analysis's report step against slow instances (issue 16): SCANS demo scans copied to
 * a clone, then every API call of both sandboxes answered LATENCY late, and the analysis run
 * with its first images (source and target at once, each through its own client's download
 * limiter). Prints the images' wall time against the ideal, (SCANS / download concurrency)
 * x 2 calls (metadata, bytes) x LATENCY, and the longest time without a progress event.
 *
 *   node --import tsx bench/report-step.ts [--scans 300] [--latency-ms 1000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openInstance, type Instance } from '../src/platform/instance.js';
import { startSandbox, type RunningSandbox } from '../src/sandbox/sandbox.js';
import { analyzeScans, type AnalyzeEvent } from '../src/workflows/analyze.js';
import { copyScans } from '../src/workflows/copy.js';

const { values } = parseArgs({ options: { scans: { type: 'string', default: '300' }, 'latency-ms': { type: 'string', default: '1000' } } });
const scans = Number(values.scans);
const latencyMs = Number(values['latency-ms']);

const dir = await mkdtemp(join(tmpdir(), 'scancopy-bench-report-'));
const sandboxes: RunningSandbox[] = [];
const instances: Instance[] = [];
try {
  const source = await startSandbox({ seedDemo: { scans, seed: 1 }, processingDelayMs: 0 });
  sandboxes.push(source);
  const target = await startSandbox({ seedDemo: { scans: 0, seed: 1 }, processingDelayMs: 0 });
  sandboxes.push(target);
  const open = async (name: string, s: RunningSandbox): Promise<Instance> => {
    const instance = await openInstance({ name, apiUrl: s.apiUrl, dbUrl: s.dbUrl, username: s.username, password: s.password });
    instances.push(instance);
    return instance;
  };
  const [src, tgt] = [await open('source', source), await open('target', target)];

  // As a user would: one copy per store into the clone's store of the same id, without latency (it is not what is measured).
  const stores = await source.db.query<{ store_id: number; ids: number[] }>('SELECT store_id, json_agg(id ORDER BY id) AS ids FROM realograms_implementation_scan GROUP BY store_id ORDER BY store_id');
  const pairs: Array<{ sourceId: number; targetId: number }> = [];
  let runDir = '';
  for (const store of stores) {
    const copied = await copyScans({
      source: { apiUrl: source.apiUrl, api: src.api, db: src.db },
      target: { apiUrl: target.apiUrl, api: tgt.api, db: tgt.db },
      scanIds: store.ids.map(Number),
      targetStoreId: Number(store.store_id),
      mode: 'auto',
      resultsDir: join(dir, 'copies'),
    });
    for (const m of copied.mapping) pairs.push({ sourceId: m.sourceScanId, targetId: m.targetScanId });
    runDir ||= copied.runDir;
  }

  source.setFaults(`*:latency=${latencyMs}ms`);
  target.setFaults(`*:latency=${latencyMs}ms`);
  const concurrency = Math.min(src.api.limitOf('download'), tgt.api.limitOf('download'));
  const events: Array<{ at: number; event: AnalyzeEvent }> = [];
  await analyzeScans(
    { source: { db: src.db, images: src.api, name: 'source' }, target: { db: tgt.db, images: tgt.api, name: 'target' }, pairs, runDir, timestamp: 'bench', waitMs: 120_000, pollMs: 200 },
    { onEvent: (event) => events.push({ at: Date.now(), event }) },
  );

  const image = events.filter((e) => e.event.type.startsWith('thumbnail'));
  const started = image[0]?.at ?? 0;
  const ended = image.at(-1)?.at ?? 0;
  const wallS = (ended - started) / 1000;
  const idealS = Math.ceil(pairs.length / concurrency) * 2 * (latencyMs / 1000);
  let longestGapMs = 0;
  for (let i = 1; i < image.length; i++) longestGapMs = Math.max(longestGapMs, (image[i]?.at ?? 0) - (image[i - 1]?.at ?? 0));
  const done = image.filter((e) => e.event.type === 'thumbnails-done').map((e) => e.event);
  const result = {
    figure: 'report_step.ratio_to_ideal',
    pairs: pairs.length,
    latency_ms: latencyMs,
    download_concurrency: concurrency,
    images_wall_s: Math.round(wallS * 10) / 10,
    ideal_s: idealS,
    ratio_to_ideal: Math.round((wallS / idealS) * 100) / 100,
    target: '<= 1.5x',
    progress_events: image.filter((e) => e.event.type === 'thumbnail-progress').length,
    longest_gap_between_progress_s: Math.round(longestGapMs / 100) / 10,
    done,
  };
  console.log(JSON.stringify(result));
  console.log(
    `report step: ${pairs.length} pairs at ${latencyMs} ms a call, ${concurrency} downloads at a time per side: images in ${result.images_wall_s} s, ` +
      `ideal ${idealS} s, ratio ${result.ratio_to_ideal}x (target <= 1.5x); ${result.progress_events} progress events, longest gap ${result.longest_gap_between_progress_s} s`,
  );
} finally {
  await Promise.allSettled(instances.map((i) => i.close()));
  await Promise.allSettled(sandboxes.map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
}
