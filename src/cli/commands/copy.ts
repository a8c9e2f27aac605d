/** `scancopy copy`: parse, open both instances, run copyScans, render, and leave with the design's exit code. */
import { dirname } from 'node:path';
import { confirm, select } from '../ask.js';
import { Command, Option } from 'commander';
import { ScanCopyError } from '../../core/errors.js';
import type { Queryable } from '../../platform/db.js';
import { openInstance, type Instance } from '../../platform/instance.js';
import { answerResume, buildCopyOptions, checkResumeRequest, copyEnd, COPY_DEFAULTS, COPY_MODES, copyScans, decideResume, findCopyCheckpoint, planCopy, probeTargetDb, progressOf, readCopyRun, restartWarning, type CopyMode, type CopyRun, type ResumeAnswer, type CopyOptions, type CopyResult, type CrashPoint, type JobSelector, type Ledger } from '../../workflows/copy.js';
import { exitCodeOf } from '../../workflows/exit-code.js';
import { DEFAULTS, type ConfigFlags } from '../../config/index.js';
import { resolveScanIds } from '../../workflows/find.js';
import { NOT_ON_SOURCE } from '../../workflows/not-on-source.js';
import { addInstanceOptions, resolveCliInstances, RESULTS_HELP, type InstanceCliOptions } from '../instance-options.js';
import { createEventRenderer, noteRetry, outputOptions, type RetryNote } from '../render.js';
import { COPY_VIEW, copySummaryLines } from '../render/copy.js';
import { addScanSelectionOptions, parseScanSelection, type ScanSelection, type ScanSelectionFlags } from '../scan-selection.js';
import { parseDuration } from '../../config/parse.js';
import { openConfiguredLedger, positiveInt, runAnalysisAfterCopy } from './copy-support.js';
import { stopOnSignals } from '../stop-signals.js';

type CopyFlags = InstanceCliOptions &
  ScanSelectionFlags & {
    targetStore?: number;
    mode?: CopyMode;
    results?: string;
    batchSize?: number;
    downloadWorkers?: number;
    uploadWorkers?: number;
    createWorkers?: number;
    maxDuration?: number;
    resume?: boolean | string;
    restart?: boolean;
    yes?: boolean;
    dryRun?: boolean;
    analyze?: boolean;
    barrier?: boolean;
    commitHorizon?: number;
    ledger?: string;
    allowRecopy?: boolean;
    allowSameInstance?: boolean;
  };

const HELP_AFTER = `
Each scan's files are downloaded, uploaded and the scan created as soon as its own files
are ready; batches are the unit of the [BATCH] log, the retry thresholds (download < 80 %,
upload < 80 %, create < 50 %: up to 3 retries of the failed scans) and the checkpoint.

State is journaled before and after every call that changes the target, so a copy that is
interrupted, killed or out of time resumes where it stopped (--resume) and never creates a
scan twice: a create whose answer was lost is looked for in the target database until its
commit horizon has passed (--commit-horizon), and only then created again.

Files in <results>/run_<ts>/: initial_scan_mapping_<ts>.csv, scan_mapping_updated_<ts>.csv
(auto) or scan_mapping_<ts>.csv (mapped), failures_<ts>.csv, checkpoint_<ts>.json,
journal.ndjson, events.ndjson.

Examples:
  scancopy copy --source albt --target stgalbt --scans 12345,12346 --target-store 42
  scancopy copy --source albt --target stgalbt --store 7 --date 2026-11-28 --target-store 42 --mode mapped
  scancopy copy --resume testResults/run_20261201_101500    continue that run; nothing else needed
  scancopy copy ... --resume            continue this job's checkpoint
  scancopy copy ... --restart --yes     discard it and start over
  scancopy copy ... --dry-run           scans, files and bytes, reading only`;

export function copyCommand(): Command {
  const cmd = new Command('copy').description('Copy scans from a source instance to a target store, pipelined, resumable, exactly once.');
  addInstanceOptions(cmd, 'source');
  addInstanceOptions(cmd, 'target');
  addScanSelectionOptions(cmd);
  cmd
    .addOption(new Option('--target-store <id>', 'store id on the target (required, except with --resume RUN_DIR)').argParser(positiveInt('--target-store')))
    .addOption(new Option('--mode <mode>', 'auto: the target maps the scans itself; mapped: keep the source mapping (default auto)').choices(COPY_MODES))
    .addOption(new Option('--results <dir>', RESULTS_HELP))
    .addOption(new Option('--batch-size <n>', `scans per batch (default ${DEFAULTS.batchSize})`).argParser(positiveInt('--batch-size')))
    .addOption(new Option('--download-workers <n>', `files downloading at once (default ${DEFAULTS.limits.download})`).argParser(positiveInt('--download-workers')))
    .addOption(new Option('--upload-workers <n>', `files uploading at once (default ${DEFAULTS.limits.upload})`).argParser(positiveInt('--upload-workers')))
    .addOption(new Option('--create-workers <n>', `scans being created at once (default ${DEFAULTS.limits.create})`).argParser(positiveInt('--create-workers')))
    .addOption(new Option('--max-duration <time>', 'stop taking work after this long (90s, 30m, 2h, 1h30m), save, exit 5').argParser((text: string) => parseDuration(text, '--max-duration')))
    .addOption(new Option('--resume [run]', "continue this job's checkpoint, or the run folder (or checkpoint) named: alone, it takes the run's instances, scans, store and mode"))
    .option('--restart', "discard this job's checkpoint and start over (asks first, unless --yes)")
    .option('--yes', 'confirm --restart without asking')
    .option('--dry-run', 'show the scans, files and bytes that would be copied; write nothing')
    .addOption(new Option('--commit-horizon <time>', `how long a create whose answer was lost may still commit: its scan is looked for until then, and only then created again (default: the create timeout + ${DEFAULTS.commitMargin}s)`).argParser((text: string) => parseDuration(text, '--commit-horizon')))
    .addOption(new Option('--ledger <dir|url>', 'where copies are recorded across run folders: a folder, or a shared postgres://user@host/db (password in SCANCOPY_LEDGER_DB_PASSWORD); default $XDG_STATE_HOME/scancopy'))
    .option('--allow-recopy', 'copy scans the ledger says are already in the target store again')
    .addOption(new Option('--no-target-db', 'copy without the target database (lost create answers then fail "outcome unknown"); without it an unreadable target DB stops the copy'))
    .option('--allow-same-instance', 'copy although the source and the target are one instance (the same database)')
    .option('--analyze', 'compare the copies with their sources when the copy is done')
    .addOption(new Option('--barrier', "the seed tool's schedule (each batch downloads all, then uploads all, then creates all), for comparison").hideHelp())
    .addHelpText('after', HELP_AFTER)
    .action(async (flags: CopyFlags, command: Command) => {
      await runCopy(flags, command);
    });
  return cmd;
}

async function runCopy(flags: CopyFlags, command: Command): Promise<void> {
  checkResumeRequest(flags);
  // `--resume RUN_DIR` without a scan selection continues that run as it was started.
  const run = typeof flags.resume === 'string' && !selectionGiven(flags) ? await readCopyRun(flags.resume) : undefined;
  const selection: ScanSelection = run ? { kind: 'ids', ids: run.scanIds } : parseScanSelection(flags);
  const targetStoreId = flags.targetStore ?? run?.job?.targetStore;
  if (targetStoreId === undefined) throw new ScanCopyError('USAGE', "required option '--target-store <id>' not specified");
  const mode = flags.mode ?? run?.job?.mode ?? COPY_DEFAULTS.mode;
  // commander reads `--no-target-db` as `targetDb: false` (the negation of --target-db): the URL given, if any, is dropped on purpose.
  const noTargetDb = (flags.targetDb as unknown) === false;
  const given: CopyFlags = noTargetDb ? { ...flags, targetDb: undefined } : flags;
  const recorded = run ? recordedInstances(run, given) : {};
  const config = await resolveCliInstances(
    { ...given, ...recorded, ...(noTargetDb ? { targetDb: undefined } : {}), resultsDir: flags.results ?? (run ? dirname(run.dir) : undefined), batchSize: flags.batchSize },
    ['source', 'target'],
    { withoutDb: noTargetDb ? ['target'] : [] },
  );
  const limits = {
    download: flags.downloadWorkers ?? config.limits.download,
    upload: flags.uploadWorkers ?? config.limits.upload,
    create: flags.createWorkers ?? config.limits.create,
  };
  const instanceOptions = { timeouts: config.timeouts, retry: config.retry, limits, maxConnections: 4, onEvent: (e: RetryNote) => noteRetry(renderer, e) };
  const opened: Instance[] = [];
  const renderer = createEventRenderer(outputOptions(command), COPY_VIEW);
  const signals = stopOnSignals();
  let ledger: Ledger | undefined;
  try {
    const source = await openInstance(config.source, instanceOptions);
    opened.push(source);
    const target = await openInstance(config.target, instanceOptions);
    opened.push(target);
    await Promise.all([source.api.login({ signal: signals.signal }), target.api.login({ signal: signals.signal })]);
    const scanIds = await resolveScanIds(source.db, selection);
    if (scanIds.length === 0) throw new ScanCopyError('USAGE', 'no scans match the selection', { hint: 'Check the store and days with `scancopy find`.' });
    let targetDb: Queryable | undefined;
    if (noTargetDb) renderer.warn(`warning: ${NO_TARGET_DB}`);
    else {
      const probed = await probeTargetDb(target, targetStoreId);
      if (probed.warning && !flags.dryRun) {
        throw new ScanCopyError('USAGE', `refusing to copy: ${probed.warning}`, {
          hint: 'Fix the target DB address or its password, or add --no-target-db to copy without it and accept "outcome unknown" failures.',
        });
      }
      if (probed.warning) renderer.warn(`warning: ${probed.warning}`);
      targetDb = probed.db;
    }

    if (flags.dryRun) {
      const plan = await planCopy({ source, target: { db: targetDb }, scanIds, targetStoreId, mode, signal: signals.signal });
      renderer.result({ command: 'copy', dryRun: true, ...plan }, planLines(plan, targetStoreId));
      process.exitCode = exitCodeOf({ copyPlan: plan });
      return;
    }

    ledger = await openConfiguredLedger(config.ledger);
    const options = buildCopyOptions(
      { source: { ...copyEnd(source, config.source), db: source.db }, target: { ...copyEnd(target, config.target), db: targetDb }, scanIds, targetStoreId, mode },
      { ...config, limits },
      { maxDurationMs: flags.maxDuration, commitHorizonMs: flags.commitHorizon, barrier: flags.barrier === true, crashPoint: crashPointFromEnv(process.env.SCANCOPY_CRASH_AT), ledger, allowRecopy: flags.allowRecopy === true, allowSameInstance: flags.allowSameInstance === true },
    );
    Object.assign(options, await chooseResume(flags, options));
    // The analysis's source thumbnails are made from the bytes the copy downloads, not fetched again.
    const copiedImages = flags.analyze ? (await import('../../workflows/analyze.js')).thumbnailsFromCopy() : undefined;
    if (copiedImages) options.onSourceFile = copiedImages.onSourceFile;
    const result = await copyScans(options, { signal: signals.signal, onEvent: renderer.onEvent });
    renderer.result(resultData(result), copySummaryLines(result));
    if (flags.analyze && !result.stopped) {
      await runAnalysisAfterCopy(result, { source, target, signal: signals.signal, output: outputOptions(command), sourceThumbnails: copiedImages?.thumbnails });
    }
    process.exitCode = exitCodeOf({ copy: result });
  } finally {
    renderer.close();
    signals.dispose();
    await Promise.all([...opened.map((i) => i.close()), ledger?.close()]);
  }
}

const NO_TARGET_DB =
  'copying without the target database (--no-target-db): a create whose answer is lost fails "outcome unknown" and is never repeated, and duplicates cannot be looked for';

function selectionGiven(flags: ScanSelectionFlags): boolean {
  return flags.scans !== undefined || flags.scansFile !== undefined || flags.store !== undefined;
}

/**
 * The instances a run recorded, as instance flags: its name (so a config entry's password
 * command applies) and the addresses it copied between. A role named on the command line wins.
 */
export function recordedInstances(run: CopyRun, flags: InstanceCliOptions): ConfigFlags {
  const out: ConfigFlags = {};
  for (const role of ['source', 'target'] as const) {
    if (flags[role] !== undefined || flags[`${role}Api`] !== undefined || flags[`${role}Db`] !== undefined) continue;
    const recorded = run.instances?.[role];
    if (!recorded) {
      throw new ScanCopyError('USAGE', `the run in ${run.dir} does not record its ${role} instance (its checkpoint was written by an earlier scancopy)`, {
        hint: `Give --${role} NAME (or --${role}-api and --${role}-db) as when it started.`,
      });
    }
    Object.assign(out, { [role]: recorded.name, [`${role}Api`]: recorded.api, [`${role}Db`]: recorded.db });
  }
  return out;
}

/** The workflow decides what the checkpoint means; a terminal is asked when it says so. */
async function chooseResume(flags: CopyFlags, selector: JobSelector): Promise<Pick<CopyOptions, 'resume' | 'restart'>> {
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  const decision = await decideResume({ resume: flags.resume, restart: flags.restart, yes: flags.yes, interactive }, () => findCopyCheckpoint(selector));
  if (decision.kind === 'run') return { resume: decision.resume, restart: decision.restart };
  const { existing } = decision;
  const recopy = selector.ledger === undefined || flags.allowRecopy === true;
  if (decision.kind === 'confirm-restart') {
    const warning = restartWarning(existing, { recopy });
    const sure = await confirm({ message: `${warning ? `${capitalize(warning)}. ` : ''}Discard the checkpoint in ${existing.runDir} (${progressOf(existing)}) and start over?`, default: false }, { output: process.stderr });
    if (!sure) throw new ScanCopyError('ABORTED', 'restart not confirmed; nothing was changed');
    return { restart: true };
  }
  const answer = await select<ResumeAnswer>(
    {
      message: `This job has a checkpoint in ${existing.runDir} (${progressOf(existing)}).`,
      choices: [
        { name: 'Resume it', value: 'resume' },
        { name: `Restart from scratch (discard it${restartWarning(existing, { recopy }) ? `; its ${existing.created} created scan(s) are created again` : ''})`, value: 'restart' },
        { name: 'Cancel', value: 'cancel' },
      ],
    },
    { output: process.stderr },
  );
  const chosen = answerResume(existing, answer);
  return { resume: chosen.resume, restart: chosen.restart };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `SCANCOPY_CRASH_AT=point[:n]`: die hard (SIGKILL) the n-th time (default first) the copy passes that point. */
export function crashPointFromEnv(spec: string | undefined): ((name: CrashPoint) => void) | undefined {
  if (!spec) return undefined;
  const [point, nth] = spec.split(':');
  const at = nth === undefined ? 1 : Number(nth);
  let seen = 0;
  return (name) => {
    if (name !== point) return;
    seen += 1;
    if (seen === at) process.kill(process.pid, 'SIGKILL');
  };
}

function planLines(plan: Awaited<ReturnType<typeof planCopy>>, storeId: number): string[] {
  const lines = [
    `Dry run: nothing was uploaded or created.`,
    `Scans:  ${plan.scans} selected, ${plan.copyable} would be copied, ${plan.skipped.length} skipped${plan.notFound.length > 0 ? `, ${plan.notFound.length} not found (the copy would fail them)` : ''}${plan.refused.length > 0 ? `, ${plan.refused.length} refused in mapped mode (the copy would fail them before any upload)` : ''}`,
    `Files:  ${plan.files}`,
    `Bytes:  ${plan.bytes} (${(plan.bytes / 1e6).toFixed(2)} MB)`,
  ];
  if (plan.targetStoreExists === false) lines.push(`Target store ${storeId} does not exist on the target: the copy would be refused.`);
  if (plan.targetStoreExists === undefined) lines.push('Target database not readable: lost create answers could not be reconciled.');
  for (const id of plan.notFound) lines.push(`  scan ${id}: NOT_FOUND: ${NOT_ON_SOURCE}`);
  for (const r of plan.refused) lines.push(`  scan ${r.scanId}: BAD_REQUEST: ${r.reason}`);
  for (const s of plan.skipped) lines.push(`  scan ${s.scanId} skipped: ${s.reason}`);
  for (const u of plan.unreadable) lines.push(`  scan ${u.scanId} file ${u.fileId} could not be fetched: ${u.code}: ${u.reason}`);
  return lines;
}

function resultData(r: CopyResult): Record<string, unknown> {
  return {
    command: 'copy',
    runDir: r.runDir,
    resumed: r.resumed,
    scans: r.scans,
    created: r.created,
    skipped: r.skipped,
    failed: r.failed,
    pending: r.pending,
    stopped: r.stopped,
    elapsedMs: r.elapsedMs,
    scansPerSecond: Number(r.scansPerSecond.toFixed(3)),
    files: r.files,
    failures: r.failures,
    duplicates: r.duplicates,
    sweepSkipped: r.sweepSkipped,
  };
}
