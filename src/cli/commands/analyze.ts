/** `scancopy analyze`: compare source scans with their copies and write the CSV, XLSX and HTML reports. */
import { parseDuration } from '../../config/parse.js';
import { exitCodeOf } from '../../workflows/exit-code.js';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { ScanCopyError } from '../../core/errors.js';
import { runTimestamp } from '../../core/timestamp.js';
import { ANALYZE_DEFAULTS, analyzeScans, readScanMapping, type AnalyzeEvent, type AnalyzeResult, type ScanPair } from '../../workflows/analyze.js';
import { addInstanceOptions, resolveCliInstances, RESULTS_HELP, type InstanceCliOptions } from '../instance-options.js';
import { outputOptions, type EventView } from '../render.js';
import { withCommandRun } from '../command-run.js';

type AnalyzeFlags = InstanceCliOptions & {
  mapping?: string;
  sourceScans?: string;
  targetScans?: string;
  results?: string;
  wait: number;
  thumbnails: boolean;
  thumbnailTime: number;
  pogTolerance: number;
  images?: string[];
  keepImages?: boolean;
};

const HELP_AFTER = `
Pairs: --mapping takes the scan_mapping_<ts>.csv (header Source_Scan_ID,Target_Scan_ID; an
empty target means no copy) or the checkpoint_<ts>.json of a copy run; or give the ids
as two lists of the same length, paired by position (an empty entry: no copy).

Before comparing, it waits (up to --wait) until every copy's processing has ended. A copy
that does not exist is reported "Target Scan Missing", one whose processing ended in error
(or was interrupted) "Target Processing Failed", one still processing when the wait ends
"Target Not Processed": none is ever compared with another scan.

Sections: a scan with several compliance reports is compared section by section. Its
sections are paired with the copy's by planogram and section name first, then the rest
in report order; a section left over on either side gets a row of its own with the other
side empty (rule 1: the planogram names differ).

Files, in <results>/run_<ts>/: source_scandetails_<ts>.csv, target_scandetails_<ts>.csv,
analysis_with_comments_<ts>.csv, analysis_with_comments_<ts>_highlighted.xlsx,
analysis_<ts>.html (one row per section) and scans_<ts>.html (one card per scan and its copy:
both images, a click enlarges them, the cells that differ marked). Both pages are
self-contained; --no-thumbnails leaves out the images, which keeps them small for thousands
of scans. The enlarged view opens the originals where this run has them on disk: the
--images folder, and with --keep-images every fetched image (kept in <run>/images/; it
costs the images' size on disk); elsewhere it enlarges the thumbnail and says so.

Images: the first image of each scan, shrunk (JPEG, PNG, WebP, GIF; a video shows its name
and size), fetched as many at once as the instance's download limit allows and bounded by
--thumbnail-time. --images DIR reuses a download folder of the source scans (its
manifest.csv) instead of fetching them again.

Exit code 1 when some copy was missing, failed processing or was not processed.

Examples:
  scancopy analyze --source albt --target stgalbt --mapping testResults/run_20261128_101500/scan_mapping_updated_20261128_101500.csv
  scancopy analyze --source albt --target stgalbt --source-scans 101,102 --target-scans 9001,9002 --wait 2m`;

export function analyzeCommand(): Command {
  const cmd = new Command('analyze').description('Compare source scans with their copies: details CSVs, an analysis CSV, a highlighted XLSX and an HTML report.');
  addInstanceOptions(cmd, 'source');
  addInstanceOptions(cmd, 'target');
  cmd
    .addOption(new Option('--mapping <file>', 'scan mapping CSV or checkpoint JSON of a copy run').conflicts(['sourceScans', 'targetScans']))
    .option('--source-scans <ids>', 'source scan ids, comma-separated (with --target-scans)')
    .option('--target-scans <ids>', 'their copies, comma-separated, in the same order')
    .option('--results <dir>', RESULTS_HELP)
    .addOption(new Option('--wait <duration>', 'longest wait for the copies to be processed: 90s, 10m, 1h, 0 = check once').argParser(parseWait).default(ANALYZE_DEFAULTS.waitMs, '10m'))
    .option('--no-thumbnails', 'leave the first images out of the HTML report')
    .addOption(
      new Option('--thumbnail-time <duration>', 'longest time for fetching the images: 90s, 10m')
        .argParser((text) => parseDuration(text, '--thumbnail-time', { zero: true }))
        .default(ANALYZE_DEFAULTS.thumbnailBoundMs, '5m'),
    )
    .addOption(
      new Option('--pog-tolerance <points>', 'pre-POG % points a copy may score above its source and still be "No Issues"; drops by more are counted')
        .argParser(parsePogTolerance)
        .default(ANALYZE_DEFAULTS.pogTolerance),
    )
    .option('--images <dir...>', 'download folder(s) holding the source scans\' images (their manifest.csv): no second fetch')
    .option('--keep-images', 'keep the fetched images in <run>/images/, so the scan page enlarges both sides at full resolution')
    .addHelpText('after', HELP_AFTER)
    .action(runAnalyze);
  return cmd;
}

async function runAnalyze(flags: AnalyzeFlags, command: Command): Promise<void> {
  const pairs = await readPairs(flags);
  const config = await resolveCliInstances({ ...flags, resultsDir: flags.results }, ['source', 'target']);
  await withCommandRun(outputOptions(command), analyzeView(), async ({ renderer, signal, open }) => {
    const settings = { timeouts: config.timeouts, retry: config.retry, limits: config.limits, maxConnections: 2 };
    const source = await open(config.source, settings);
    const target = await open(config.target, settings);
    await Promise.all([source.api.login({ signal }), target.api.login({ signal })]);
    const timestamp = runTimestamp();
    const result = await analyzeScans(
      {
        source: { db: source.db, images: source.api, name: source.name },
        target: { db: target.db, images: target.api, name: target.name },
        pairs,
        runDir: join(config.resultsDir, `run_${timestamp}`),
        timestamp,
        waitMs: flags.wait,
        thumbnails: flags.thumbnails,
        thumbnailBoundMs: flags.thumbnailTime,
        pogTolerance: flags.pogTolerance,
        sourceImageFolders: flags.images,
        keepImages: flags.keepImages,
      },
      { signal, onEvent: renderer.onEvent },
    );
    renderer.result(resultData(result), summaryLines(result));
    process.exitCode = exitCodeOf({ analyze: result });
  });
}

export async function readPairs(flags: Pick<AnalyzeFlags, 'mapping' | 'sourceScans' | 'targetScans'>): Promise<ScanPair[]> {
  if (flags.mapping !== undefined) return nonEmpty(await readScanMapping(flags.mapping));
  if (flags.sourceScans === undefined || flags.targetScans === undefined) {
    throw new ScanCopyError('USAGE', 'say which scans to compare: --mapping FILE, or --source-scans and --target-scans');
  }
  const sources = idList(flags.sourceScans, '--source-scans', false);
  const targets = idList(flags.targetScans, '--target-scans', true);
  if (sources.length !== targets.length) {
    throw new ScanCopyError('USAGE', `--source-scans has ${sources.length} ids but --target-scans ${targets.length}: they pair by position`);
  }
  return nonEmpty(sources.map((sourceId, i) => ({ sourceId: sourceId as number, targetId: targets[i] ?? null })));
}

function nonEmpty(pairs: ScanPair[]): ScanPair[] {
  if (pairs.length === 0) throw new ScanCopyError('USAGE', 'no scan pairs to compare');
  return pairs;
}

function idList(text: string, flag: string, emptyAllowed: boolean): Array<number | null> {
  return text.split(',').map((part) => {
    const trimmed = part.trim();
    if (trimmed === '' && emptyAllowed) return null;
    if (!/^[1-9]\d{0,17}$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) {
      throw new ScanCopyError('USAGE', `${flag}: ${JSON.stringify(trimmed)} is not a scan id`, { hint: 'ids are positive whole numbers separated by commas' });
    }
    return Number(trimmed);
  });
}

/** `90s`, `10m`, `1h`, `500ms`; a bare number is seconds; 0 checks once. */
export function parseWait(text: string): number {
  return parseDuration(text, '--wait', { zero: true });
}

/** Points of POG %: a number from 0 to 100. */
export function parsePogTolerance(text: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new ScanCopyError('USAGE', `--pog-tolerance = ${JSON.stringify(text)}: expected points of POG % from 0 to 100, such as 2 or 0.5`);
  }
  return value;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** Lines without a terminal; on one, a bar of copies settled while waiting and one per side's images. */
export function analyzeView(): EventView<AnalyzeEvent> {
  let settled = 0;
  const imagesShown = { source: { ok: 0, failed: 0 }, target: { ok: 0, failed: 0 } };
  const imagesLine = { source: -1, target: -1 };
  return {
    plain(e) {
      switch (e.type) {
        case 'analyze-start':
          return `[ANALYZE] ${e.pairs} pair(s); waiting up to ${seconds(e.waitMs)} for ${e.targets} copies to be processed; writing to ${e.runDir}`;
        case 'wait-progress':
          return `[WAIT] ${e.processed}/${e.total} processed, ${e.pending} processing${e.missing ? `, ${e.missing} missing` : ''}${e.failed ? `, ${e.failed} ended without a report` : ''} (${seconds(e.elapsedMs)})`;
        case 'sources-skipped':
          return `[ANALYZE] skipped ${e.scanIds.length} source scan(s) not in the source database: ${e.scanIds.slice(0, 20).join(', ')}${e.scanIds.length > 20 ? ', ...' : ''}`;
        case 'wait-done':
          return e.timedOut
            ? `[WAIT] bound reached after ${seconds(e.elapsedMs)}: ${e.pending} still processing (${e.pendingIds.slice(0, 20).join(', ')}${e.pending > 20 ? ', ...' : ''})`
            : `[WAIT] all copies settled after ${seconds(e.elapsedMs)}`;
        case 'details-read':
          return `[DETAILS] ${e.side}: ${e.scans} scans, ${e.rows} rows`;
        case 'thumbnails-start':
          return `[IMAGES] ${e.side}: ${e.scans} first images, ${e.concurrency} at a time${e.onDisk > 0 ? `, ${e.onDisk} files already on disk` : ''}, at most ${seconds(e.boundMs)}`;
        case 'thumbnail-progress': {
          // A line per tenth, not per image: thousands of scans stay readable.
          const tenth = e.total === 0 ? 10 : Math.floor((e.done * 10) / e.total);
          if (tenth === imagesLine[e.side] || e.done === e.total) return undefined;
          imagesLine[e.side] = tenth;
          return `[IMAGES] ${e.side}: ${e.done}/${e.total}${e.failed ? `, ${e.failed} without image` : ''}`;
        }
        case 'thumbnail-failed':
          return `[IMAGES] ${e.side} scan ${e.scanId}: no image (${e.code}: ${e.reason})`;
        case 'thumbnails-done':
          return `[IMAGES] ${e.side}: ${e.fetched}/${e.scans} first images${e.fromDisk ? ` (${e.fromDisk} from disk)` : ''}${e.fromCopy ? ` (${e.fromCopy} from the copy's downloads)` : ''}${e.videos ? `, ${e.videos} videos` : ''}${e.failed ? `, ${e.failed} without image` : ''}`;
        case 'file-written':
          return `[WRITE] ${e.path}`;
        case 'analyze-done':
          return undefined;
      }
    },
    progress: {
      stages: [
        { key: 'wait', unit: 'copies' },
        { key: 'source', unit: 'images' },
        { key: 'target', unit: 'images' },
      ],
      apply(e, bars) {
        if (e.type === 'analyze-start') bars.setTotal('wait', e.targets);
        if (e.type === 'thumbnails-start') bars.setTotal(e.side, e.scans);
        if (e.type === 'thumbnail-progress') {
          const shown = imagesShown[e.side];
          bars.advance(e.side, e.done - e.failed - shown.ok, 'ok');
          bars.advance(e.side, e.failed - shown.failed, 'failed');
          imagesShown[e.side] = { ok: e.done - e.failed, failed: e.failed };
          return true;
        }
        if (e.type !== 'wait-progress' && e.type !== 'wait-done') return false;
        const now = e.total - e.pending;
        if (now > settled) bars.advance('wait', now - settled, 'ok');
        settled = Math.max(settled, now);
        return e.type === 'wait-progress';
      },
    },
  };
}

export function summaryLines(r: AnalyzeResult): string[] {
  const width = Math.max(...Object.keys(r.counts).map((c) => c.length));
  return [
    `Compared ${r.pairs} pair(s) in ${r.rows.length} row(s):`,
    ...Object.entries(r.counts).map(([comment, n]) => `  ${comment.padEnd(width)}  ${n}`),
    ...(r.skippedSources.length > 0 ? [`Skipped, not in the source database: ${r.skippedSources.join(', ')}`] : []),
    ...(r.missing.length > 0 ? [`Copies missing for source scans: ${r.missing.join(', ')}`] : []),
    ...(r.processingFailed.length > 0 ? [`Copies the target failed to process: ${r.processingFailed.join(', ')}`] : []),
    ...(r.notProcessed.length > 0 ? [`Copies not processed after ${seconds(r.waitedMs)}: ${r.notProcessed.join(', ')}`] : []),
    `Rows whose copy's pre-POG % dropped by more than ${r.pogTolerance} points: ${r.pogDrops}`,
    ...(r.stopped ? [`Stopped: ${r.stopped}; the report shows the copies as they were then`] : []),
    'Files:',
    ...Object.values(r.files).map((path) => `  ${path}`),
  ];
}

function resultData(r: AnalyzeResult): Record<string, unknown> {
  return { command: 'analyze', pairs: r.pairs, rows: r.rows.length, counts: r.counts, pogTolerance: r.pogTolerance, pogDrops: r.pogDrops, skippedSources: r.skippedSources, missing: r.missing, notProcessed: r.notProcessed, processingFailed: r.processingFailed, waitedMs: r.waitedMs, timedOut: r.timedOut, stopped: r.stopped, files: r.files };
}
