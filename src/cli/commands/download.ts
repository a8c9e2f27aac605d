/** `scancopy download`: a source instance's scan images into one folder, named as the seed tool names them. */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ScanCopyError } from '../../core/errors.js';
import { downloadScanImages, DOWNLOAD_DEFAULTS, planDownload, type DownloadEvent, type DownloadPlan, type DownloadResult } from '../../workflows/download.js';
import { resolveScanIds } from '../../workflows/find.js';
import { positiveInt } from './copy-support.js';
import { withCommandRun } from '../command-run.js';
import { addInstanceOptions, resolveCliInstances, type InstanceCliOptions } from '../instance-options.js';
import { exitCodeOf } from '../../workflows/exit-code.js';
import { noteRetry, outputOptions, type EventView, type RetryNote } from '../render.js';
import { addScanSelectionOptions, parseScanSelection, type ScanSelectionFlags } from '../scan-selection.js';

type DownloadFlags = InstanceCliOptions & ScanSelectionFlags & { out: string; workers: number; dryRun?: boolean };

const HELP_AFTER = `
Names: {scan_id}_{section_name}_{store_pog_id}.ext, without the parts a scan lacks
(12345_SectionName.jpg, 12345_67890.jpg, 12345.jpg); a scan's other files get _2, _3, ...
The section is that of the scan's first compliance report, made safe as a file name; the
extension comes from the original file name, else the Content-Type, else .jpg.

Resuming: files are written under a temporary name and renamed when complete, and
manifest.csv in the folder records each file's size and sha256. Run the same command
again after an interruption: complete files are skipped, the rest downloaded.

--dry-run reads the source database and the folder only: how many files the scans have,
how many are complete in the folder already, and how many a run would download.

Exit code 1 when any file failed or a scan was not found (a --dry-run too).

Examples:
  scancopy download --source albt --scans 12345,12346
  scancopy download --source albt --store 42 --date 2026-11-28 --out ./images --workers 8
  scancopy download --source albt --scans 12345-12400 --dry-run`;

export function downloadCommand(): Command {
  const cmd = new Command('download').description('Download the images of scans from a source instance, resumably, with exact names.');
  addInstanceOptions(cmd, 'source');
  addScanSelectionOptions(cmd);
  cmd
    .addOption(new Option('--out <dir>', 'download folder').default(DOWNLOAD_DEFAULTS.outDir))
    .addOption(new Option('--batch-size <n>', `scans per logged batch (default ${DOWNLOAD_DEFAULTS.batchSize}, or the config file's)`).argParser(positiveInt('--batch-size')))
    .addOption(new Option('--workers <n>', 'files downloading at once').argParser(positiveInt('--workers')).default(DOWNLOAD_DEFAULTS.workers))
    .option('--dry-run', 'show the scans and files a run would download, and those already complete; write nothing')
    .addHelpText('after', HELP_AFTER)
    .action(runDownload);
  return cmd;
}

async function runDownload(flags: DownloadFlags, command: Command): Promise<void> {
  const selection = parseScanSelection(flags);
  const config = await resolveCliInstances(flags, ['source']);
  const address = config.source;
  await withCommandRun(outputOptions(command), DOWNLOAD_VIEW, async ({ renderer, signal, open }) => {
    const source = await open(address, {
      timeouts: config.timeouts,
      retry: config.retry,
      limits: { ...config.limits, download: flags.workers },
      maxConnections: 2,
      onEvent: (e: RetryNote) => noteRetry(renderer, e),
    });
    await source.api.login({ signal });
    const scanIds = await resolveScanIds(source.db, selection);
    if (scanIds.length === 0) throw new ScanCopyError('USAGE', 'no scans match the selection', { hint: 'Check the store and days with `scancopy find`.' });
    if (flags.dryRun) {
      const plan = await planDownload(source.db, scanIds, resolve(flags.out));
      renderer.result({ command: 'download', dryRun: true, outDir: resolve(flags.out), ...plan }, planLines(plan, resolve(flags.out)));
      process.exitCode = exitCodeOf({ downloadPlan: plan });
      return;
    }
    const result = await downloadScanImages(
      { source, scanIds, outDir: flags.out, batchSize: config.batchSize, workers: flags.workers },
      { signal, onEvent: renderer.onEvent },
    );
    renderer.result(resultData(result), summaryLines(result));
    process.exitCode = exitCodeOf({ download: result });
  });
}

const RULE = '='.repeat(80);

/** The seed tool's batch log, plus a line per failure; file-level ticks move the bars on a terminal. */
export const DOWNLOAD_VIEW: EventView<DownloadEvent> = {
  plain(e) {
    switch (e.type) {
      case 'download-start':
        return [
          `[DOWNLOAD] ${e.scans} scan${e.scans === 1 ? '' : 's'} in ${e.batches} batch${e.batches === 1 ? '' : 'es'} of ${e.batchSize}, ${e.workers} workers, into ${e.outDir}`,
          ...(e.leftoversRemoved > 0 ? [`[DOWNLOAD] Removed ${e.leftoversRemoved} temporary file(s) left by an interrupted run`] : []),
        ];
      case 'batch-start':
        return [
          RULE,
          `[BATCH ${e.batch}/${e.batches}] Starting batch ${e.batch}`,
          `[BATCH ${e.batch}/${e.batches}] Processing scans ${e.first}-${e.last} of ${e.scans}`,
          `[BATCH ${e.batch}/${e.batches}] Source Scan IDs: ${e.scanIds.join(', ')}`,
          RULE,
        ];
      case 'scan-problem':
        return `[BATCH ${e.batch}] [${e.kind === 'no-files' ? 'SKIPPED' : 'FAILED'}] scan ${e.scanId}: ${e.reason}`;
      case 'batch-files':
        return `[BATCH ${e.batch}] Starting download of ${e.files} file${e.files === 1 ? '' : 's'}`;
      case 'file-done':
        return progressLine(e);
      case 'file-failed':
      {
        const progress = progressLine(e);
        const failed = `[BATCH ${e.batch}] [FAILED] scan ${e.scanId} file ${e.fileId}: ${e.code}: ${e.reason}`;
        return progress === undefined ? failed : [failed, progress];
      }
      case 'batch-retry':
        return `[BATCH ${e.batch}/${e.batches}] Retrying ${e.files} failed file${e.files === 1 ? '' : 's'} (round ${e.round} of ${e.rounds}) in ${(e.delayMs / 1000).toFixed(1)} s`;
      case 'batch-done':
        return [
          RULE,
          `[BATCH ${e.batch}/${e.batches}] Batch ${e.batch} completed`,
          `[BATCH ${e.batch}/${e.batches}] Success: ${e.succeeded}, Failed: ${e.failed}${e.skippedScans > 0 ? `, Skipped (no files): ${e.skippedScans}` : ''}`,
          `[BATCH ${e.batch}/${e.batches}] Files: ${e.downloaded} downloaded, ${e.skipped} already complete, ${e.failedFiles} failed`,
          RULE,
        ];
    }
  },
  progress: {
    stages: [{ key: 'download', unit: 'files' }],
    apply(e, bars) {
      if (e.type === 'batch-files') bars.grow('download', e.files);
      if (e.type === 'file-done') bars.advance('download', 1, 'ok');
      if (e.type === 'file-failed') bars.advance('download', 1, 'failed');
      return e.type === 'file-done';
    },
  },
};

/** `[BATCH 1] [DOWNLOAD] 12/25 (48%)` at each quarter of a batch, so big batches do not flood the log. */
function progressLine(e: { batch: number; done: number; files: number }): string | undefined {
  const quarter = (n: number): number => Math.floor((n * 4) / e.files);
  if (quarter(e.done) === quarter(e.done - 1)) return undefined;
  return `[BATCH ${e.batch}] [DOWNLOAD] ${e.done}/${e.files} (${Math.floor((e.done * 100) / e.files)}%)`;
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(2);
}

function rate(result: DownloadResult): number {
  const seconds = result.elapsedMs / 1000;
  return seconds > 0 ? result.bytes / 1e6 / seconds : 0;
}

export function summaryLines(r: DownloadResult): string[] {
  const lines = [
    `Downloaded: ${r.downloaded} file${r.downloaded === 1 ? '' : 's'}, ${megabytes(r.bytes)} MB in ${(r.elapsedMs / 1000).toFixed(1)} s (${rate(r).toFixed(2)} MB/s)`,
    `Skipped:    ${r.skipped} already complete${r.skippedScans.length > 0 ? `, ${r.skippedScans.length} scan(s) without files` : ''}`,
    `Failed:     ${r.failures.length}`,
  ];
  for (const f of r.failures) lines.push(`  scan ${f.scanId}${f.fileId === undefined ? '' : ` file ${f.fileId}`}: ${f.code}: ${f.reason}`);
  for (const s of r.skippedScans) lines.push(`  scan ${s.scanId} skipped: ${s.reason}`);
  if (r.stopped) lines.push(`Stopped:    ${r.stopped}: ${r.downloaded + r.skipped} files complete; run the same command again: complete files are skipped, the rest are downloaded`);
  lines.push(`Folder:     ${r.outDir} (manifest: ${r.manifestPath})`);
  return lines;
}

function resultData(r: DownloadResult): Record<string, unknown> {
  return {
    command: 'download',
    outDir: r.outDir,
    manifest: r.manifestPath,
    scans: r.scans,
    downloaded: r.downloaded,
    skipped: r.skipped,
    failed: r.failures.length,
    bytes: r.bytes,
    elapsedMs: r.elapsedMs,
    mbPerSecond: Number(rate(r).toFixed(3)),
    failures: r.failures,
    skippedScans: r.skippedScans,
    stopped: r.stopped,
  };
}

function planLines(plan: DownloadPlan, outDir: string): string[] {
  const notFound = plan.problems.filter((p) => p.kind === 'not-found');
  const noFiles = plan.problems.filter((p) => p.kind === 'no-files');
  return [
    'Dry run: nothing was downloaded or written.',
    `Scans:  ${plan.scans} selected${notFound.length > 0 ? `, ${notFound.length} not found (a run would fail them)` : ''}${noFiles.length > 0 ? `, ${noFiles.length} without files` : ''}`,
    `Files:  ${plan.files}: ${plan.complete} complete in ${outDir} already, ${plan.toDownload} to download`,
    ...plan.problems.map((p) => `  scan ${p.scanId}: ${p.kind === 'not-found' ? 'NOT_FOUND' : 'NO_FILES'}: ${p.reason}`),
  ];
}
