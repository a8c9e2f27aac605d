/**
 * `scancopy demo`: the main job end to end with nothing installed beyond `npm ci`. Two
 * sandbox instances on embedded PGlite in this process (a source with demo scans, a target
 * with the same catalog and no scans, like a staging clone), reached over HTTP and the
 * PostgreSQL wire protocol exactly as real instances are; a copy in auto mode; the wait for
 * the target's processing; the analysis; and where to look first.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULTS } from '../../config/index.js';
import { ScanCopyError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import { openInstance, type Instance } from '../../platform/instance.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/sandbox.js';
import { seedCatalog, seedDemo, type SeededCatalog } from '../../sandbox/seed.js';
import { analyzeScans, thumbnailsFromCopy } from '../../workflows/analyze.js';
import { buildCopyOptions, copyEnd, copyScans, pairsFromCopy } from '../../workflows/copy.js';
import { exitCodeOf } from '../../workflows/exit-code.js';
import { createEventRenderer, outputOptions, type OutputOptions } from '../render.js';
import { COPY_VIEW, copySummaryLines } from '../render/copy.js';
import { analyzeView, summaryLines as analyzeSummaryLines } from './analyze.js';
import { positiveInt } from './copy-support.js';
import { stopOnSignals } from '../stop-signals.js';

interface DemoFlags {
  scans: number;
  results: string;
  misMap: number;
  processingErrors: number;
}

interface DemoEvent {
  type: 'demo-step';
  step: string;
  detail: string;
}

const DEMO_SEED = 1;
const MAX_SCANS = 5000;
/** Short, so the demo's wait for processing is seconds, not minutes. */
const PROCESSING_DELAY_MS = 100;

const HELP_AFTER = `
What it does, in this one process:
  1. starts two sandbox instances on embedded PGlite: a source seeded with --scans demo
     scans (images, processed results) and a target with the same catalog and no scans;
  2. copies every source scan to the target in auto mode (the target maps them itself,
     and its recognition mis-maps --mis-map of them, so the analysis has something to show;
     --processing-errors of them fail processing on the target, as some do on a real instance);
  3. waits for the target to process the copies, then compares each scan with its copy;
  4. leaves the reports in <results>/run_<ts>/ and says which one to open first.
The sandboxes stop when the demo ends; nothing is left running.

Examples:
  npm run demo
  scancopy demo --scans 20 --results /tmp/demo-results
  scancopy demo --log-format json > demo-events.ndjson`;

export function demoCommand(): Command {
  return new Command('demo')
    .description('Run the whole job against two embedded sandbox instances: copy demo scans, wait for processing, analyse, write the reports.')
    .addOption(new Option('--scans <n>', `demo scans in the source (1 to ${MAX_SCANS})`).argParser(scanCount).default(60))
    .addOption(new Option('--results <dir>', 'results folder').default(DEFAULTS.resultsDir))
    .addOption(new Option('--mis-map <rate>', "share of copies the target's recognition maps wrongly, 0 to 1").argParser(rate('--mis-map')).default(0.25))
    .addOption(new Option('--processing-errors <rate>', 'share of copies whose processing fails on the target, 0 to 1').argParser(rate('--processing-errors')).default(0.05))
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: DemoFlags, command: Command) => {
      process.exitCode = await runDemo(flags, outputOptions(command));
    });
}

async function runDemo(flags: DemoFlags, output: OutputOptions): Promise<number> {
  const started = Date.now();
  const say = createEventRenderer<DemoEvent>(output, { plain: demoLine });
  const step = (name: string, detail: string): void => say.onEvent({ type: 'demo-step', step: name, detail });
  const sandboxes: RunningSandbox[] = [];
  const instances: Instance[] = [];
  const signals = stopOnSignals();
  try {
    step('sandboxes', 'starting two sandbox instances on embedded PGlite');
    const [source, target] = await Promise.all([
      startSandbox({ seedDemo: false, processingDelayMs: PROCESSING_DELAY_MS }),
      startSandbox({ seedDemo: false, processingDelayMs: PROCESSING_DELAY_MS, misMapRate: flags.misMap, processingErrorRate: flags.processingErrors }),
    ]).then((started) => {
      sandboxes.push(...started);
      return started as [RunningSandbox, RunningSandbox];
    });
    const [seeded, catalog] = await Promise.all([seedDemo(source.db, { scans: flags.scans, seed: DEMO_SEED }), seedCatalog(target.db, { seed: DEMO_SEED })]);
    step('sandboxes', `source ${source.apiUrl} (db ${source.dbUrl}): ${seeded.scans} scans with ${seeded.files} images, scan ids ${seeded.firstScanId}..${seeded.lastScanId}`);
    step('sandboxes', `target ${target.apiUrl} (db ${target.dbUrl}): the same catalog, no scans`);

    const open = async (name: string, sandbox: RunningSandbox): Promise<Instance> => {
      registerSecret(sandbox.password);
      const instance = await openInstance({ name, apiUrl: sandbox.apiUrl, dbUrl: sandbox.dbUrl, username: sandbox.username, password: sandbox.password, dbPassword: '' }, { maxConnections: 4 });
      instances.push(instance);
      await instance.api.login({ signal: signals.signal });
      return instance;
    };
    const [src, tgt] = [await open('demo-source', source), await open('demo-target', target)];
    const scanIds = Array.from({ length: seeded.scans }, (_, i) => (seeded.firstScanId as number) + i);
    const targetStoreId = fullestStore(catalog);

    step('copy', `copying ${scanIds.length} scans to target store ${targetStoreId} in auto mode`);
    const copyRenderer = createEventRenderer(output, COPY_VIEW);
    const copiedImages = thumbnailsFromCopy();
    const options = buildCopyOptions(
      { source: { ...copyEnd(src, source), db: src.db }, target: { ...copyEnd(tgt, target), db: tgt.db }, scanIds, targetStoreId, mode: 'auto' },
      { resultsDir: resolve(flags.results) },
      { onSourceFile: copiedImages.onSourceFile },
    );
    const copy = await copyScans(options, { signal: signals.signal, onEvent: copyRenderer.onEvent }).finally(() => copyRenderer.close());
    copyRenderer.result({ command: 'copy', runDir: copy.runDir, created: copy.created, skipped: copy.skipped, failed: copy.failed }, copySummaryLines(copy));
    if (copy.stopped) return exitCodeOf({ copy });

    step('analyze', `waiting for the target to process ${copy.created} copies, then comparing each scan with its copy`);
    const analyzeRenderer = createEventRenderer(output, analyzeView());
    const analysis = await analyzeScans(
      {
        source: { db: src.db, images: src.api, name: src.name },
        target: { db: tgt.db, images: tgt.api, name: tgt.name },
        pairs: pairsFromCopy(copy),
        runDir: copy.runDir,
        timestamp: copy.files.ts,
        pollMs: 250,
        waitMs: 120_000,
        sourceThumbnails: copiedImages.thumbnails,
      },
      { signal: signals.signal, onEvent: analyzeRenderer.onEvent },
    ).finally(() => analyzeRenderer.close());
    analyzeRenderer.result({ command: 'analyze', counts: analysis.counts, files: analysis.files }, analyzeSummaryLines(analysis));

    const elapsedMs = Date.now() - started;
    say.result({ command: 'demo', html: analysis.files.html, runDir: copy.runDir, elapsedMs }, closingLines(analysis.files.html, analysis.files.scansHtml, copy.runDir, elapsedMs));
    // Copies failing processing are the demo's own doing (--processing-errors), not a failure of the run.
    return exitCodeOf({ copy }, { analyze: { ...analysis, processingFailed: [] } });
  } catch (err) {
    if (signals.signal.aborted) throw new ScanCopyError('ABORTED', 'demo interrupted', { cause: err });
    throw err;
  } finally {
    say.close();
    signals.dispose();
    await Promise.allSettled(instances.map((i) => i.close()));
    await Promise.allSettled(sandboxes.map((s) => s.close()));
  }
}

function demoLine(e: DemoEvent): string {
  return `[DEMO] ${e.detail}`;
}

/** The closing summary, kept with --quiet: where to look first. */
function closingLines(html: string, scansHtml: string, runDir: string, elapsedMs: number): string[] {
  return [
    '',
    `Demo done in ${(elapsedMs / 1000).toFixed(1)} s. Everything is in ${runDir}`,
    `Look first at the HTML report (open it in a browser): ${html}`,
    'It shows each source scan beside its copy, coloured by what differs; the XLSX and CSVs next to it hold the same rows.',
    `Scan by scan, both images side by side and the cells that differ marked: ${scansHtml}`,
    'Next: `scancopy sandbox --seed-demo` serves a sandbox to try `scancopy` (the guided wizard) and the commands against.',
  ];
}

/** The target store that carries the most planograms, so every copied image can be recognised there. */
function fullestStore(catalog: SeededCatalog): number {
  const carried = new Map<number, number>();
  for (const sp of catalog.storePlanograms) carried.set(sp.storeId, (carried.get(sp.storeId) ?? 0) + 1);
  const [best] = [...carried].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (!best) throw new ScanCopyError('INTERNAL', 'the demo catalog has no store planograms');
  return best[0];
}

function scanCount(text: string): number {
  const n = positiveInt('--scans')(text);
  if (n > MAX_SCANS) throw new ScanCopyError('USAGE', `--scans = ${n}: the demo takes at most ${MAX_SCANS} scans`);
  return n;
}

function rate(flag: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !(n >= 0 && n <= 1)) throw new ScanCopyError('USAGE', `${flag} = ${JSON.stringify(text)}: expected a rate from 0 to 1`);
    return n;
  };
}
