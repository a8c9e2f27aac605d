/** Pieces of the copy and verify commands: flag parsers, output flags, analysis after a copy. */
import { parseCount } from '../../config/parse.js';
import { runPasswordCommand } from '../../config/password-command.js';
import type { ResolvedLedger } from '../../config/resolve.js';
import type { Instance } from '../../platform/instance.js';
import type { AnalyzeEvent, AnalyzeOptions } from '../../workflows/analyze.js';
import { openLedger, type CopyResult, type Ledger } from '../../workflows/copy.js';
import { pairsFromCopy } from '../../workflows/copy/pairs.js';
import { createEventRenderer, type EventRenderer, type OutputOptions } from '../render.js';

export function positiveInt(flag: string): (text: string) => number {
  return (text) => parseCount(text, flag);
}

/** `copy --analyze`: the job's scans that exist on the source, each with its copy or none, in the copy's run folder. */
export async function runAnalysisAfterCopy(
  result: CopyResult,
  ctx: { source: Instance; target: Instance; signal: AbortSignal; output: OutputOptions; sourceThumbnails?: AnalyzeOptions['sourceThumbnails'] },
): Promise<void> {
  const pairs = pairsFromCopy(result);
  if (pairs.length === 0) return;
  // Loaded only for --analyze: the analysis and its report writers are no part of a copy's start.
  const [{ analyzeScans }, { analyzeView, summaryLines: analyzeSummaryLines }] = await Promise.all([import('../../workflows/analyze.js'), import('./analyze.js')]);
  const renderer: EventRenderer<AnalyzeEvent> = createEventRenderer(ctx.output, analyzeView());
  try {
    const analysis = await analyzeScans(
      {
        source: { db: ctx.source.db, images: ctx.source.api, name: ctx.source.name },
        target: { db: ctx.target.db, images: ctx.target.api, name: ctx.target.name },
        pairs,
        runDir: result.runDir,
        timestamp: result.files.ts,
        sourceThumbnails: ctx.sourceThumbnails,
      },
      { signal: ctx.signal, onEvent: renderer.onEvent },
    );
    renderer.result({ command: 'analyze', files: analysis.files, counts: analysis.counts, missing: analysis.missing, notProcessed: analysis.notProcessed }, analyzeSummaryLines(analysis));
  } finally {
    renderer.close();
  }
}

/** The ledger the config names, its password from the environment or its password command. */
export async function openConfiguredLedger(ledger: ResolvedLedger): Promise<Ledger> {
  const password = ledger.password ?? (ledger.passwordCommand ? await runPasswordCommand(ledger.passwordCommand, 'ledgerPasswordCommand') : undefined);
  return openLedger(ledger.location, password === undefined ? {} : { password });
}
