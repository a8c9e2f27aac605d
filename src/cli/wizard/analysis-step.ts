/**
 * Steps 4.5 to 6: whether to analyse, which copies (this run's mapping, a mapping file of
 * an earlier run, or typed target ids), then the reports and where they are.
 */
import { join, resolve } from 'node:path';
import { expandHome } from '../../core/paths.js';
import { confirm } from '@inquirer/prompts';
import { runTimestamp } from '../../core/timestamp.js';
import { analyzeScans, matchMapping, readScanMapping, type AnalyzeOptions, type AnalyzeResult, type ScanPair } from '../../workflows/analyze.js';
import { pairsFromCopy, type CopyResult } from '../../workflows/copy.js';
import { missingScanIds } from '../../workflows/find.js';
import { analyzeView, parsePogTolerance, summaryLines } from '../commands/analyze.js';
import { stopOnSignals } from '../stop-signals.js';
import { createEventRenderer } from '../render.js';
import type { OpenedInstance } from './instances.js';
import { ask, choose, InvalidAnswer, type Choice } from './prompts.js';
import { describeIds, parseIdList } from './scan-ids.js';
import type { WizardSession } from './session.js';

export interface AnalysisInput {
  source: OpenedInstance;
  target: OpenedInstance;
  sourceIds: readonly number[];
  resultsDir: string;
  /** The copy this run made, if it made one. */
  copy?: CopyResult;
  /** Thumbnails of the source files that copy downloaded, by file id: not fetched again. */
  sourceThumbnails?: AnalyzeOptions['sourceThumbnails'];
}

/** Returns the analysis, or undefined when the user chose not to run it. */
export async function runAnalysisSteps(s: WizardSession, input: AnalysisInput): Promise<AnalyzeResult | undefined> {
  s.step('Step 4.5: Analysis');
  const go = await confirm({ message: 'Run the analysis (compare each source scan with its copy)?', default: true });
  if (!go) return undefined;

  s.step('Step 5: Target scan ids');
  const pairs = await askPairs(s, input);

  s.step('Step 6: Reports');
  const pogTolerance = await ask(
    'POG % tolerance in points (a copy this much above its source is still "No Issues"; 0 = strict):',
    async (text) => {
      try {
        return parsePogTolerance(text);
      } catch {
        throw new InvalidAnswer('Please type a number of points from 0 to 100, such as 0, 2 or 0.5.');
      }
    },
    { default: '0' },
  );
  const thumbnails = await confirm({ message: "Show each scan's first image in the HTML report? (No: faster, and smaller for thousands of scans)", default: true });
  const timestamp = input.copy?.files.ts ?? runTimestamp();
  const runDir = input.copy?.runDir ?? join(input.resultsDir, `run_${timestamp}`);
  const renderer = createEventRenderer({ logFormat: 'text', quiet: false, tty: process.stderr.isTTY === true }, analyzeView());
  const signals = stopOnSignals();
  try {
    const result = await analyzeScans(
      {
        source: { db: input.source.instance.db, images: input.source.instance.api, name: input.source.address.name },
        target: { db: input.target.instance.db, images: input.target.instance.api, name: input.target.address.name },
        pairs,
        runDir,
        timestamp,
        thumbnails,
        pogTolerance,
        sourceThumbnails: input.sourceThumbnails,
      },
      { signal: signals.signal, onEvent: renderer.onEvent },
    );
    renderer.result({}, summaryLines(result));
    return result;
  } finally {
    renderer.close();
    signals.dispose();
  }
}

async function askPairs(s: WizardSession, input: AnalysisInput): Promise<ScanPair[]> {
  const choices: Array<Choice<string>> = [];
  if (input.copy) choices.push({ name: `From this run's mapping (${input.copy.mapping.length} copies)`, value: 'run' });
  choices.push({ name: 'From a mapping file of an earlier copy (scan_mapping_*.csv or checkpoint_*.json)', value: 'file' });
  choices.push({ name: 'Type the target scan ids', value: 'type' });
  const how = await choose('Target scan ids:', choices);
  if (how === 'run' && input.copy) return pairsFromCopy(input.copy);
  if (how === 'file') {
    const match = await ask('Mapping file path:', async (text) => {
      if (!text) throw new InvalidAnswer('Please type the path of a scan_mapping_*.csv or checkpoint_*.json.');
      const found = matchMapping(await readScanMapping(resolve(s.io.cwd, expandHome(text))), input.sourceIds);
      const copies = found.pairs.flatMap((p) => (p.targetId === null ? [] : [p.targetId]));
      const missing = await missingScanIds(input.target.instance.db, copies);
      if (missing.length > 0) throw new InvalidAnswer(`The mapping names copies that are not on the target instance: ${describeIds(missing)}. Is it of this target?`);
      return found;
    });
    s.print(`  ${match.pairs.length - match.uncopied.length} of the ${match.pairs.length} scan(s) of Step 2 have a copy in this mapping.`);
    if (match.uncopied.length > 0) s.print(`  No copy of ${describeIds(match.uncopied)}: reported as missing.`);
    if (match.ignored > 0) s.print(`  ${match.ignored} other scan(s) of the mapping are left out.`);
    return match.pairs;
  }
  s.print(`  Source scans, in order: ${describeIds(input.sourceIds)}`);
  return ask(`Target scan ids, one per source scan in the same order (${input.sourceIds.length}):`, async (text) => {
    const targets = parseIdList(text);
    if (targets.length !== input.sourceIds.length) {
      throw new InvalidAnswer(`Expected ${input.sourceIds.length} target ids (one per source scan), got ${targets.length}.`);
    }
    const missing = await missingScanIds(input.target.instance.db, targets);
    if (missing.length > 0) throw new InvalidAnswer(`Not on the target instance: ${describeIds(missing)}.`);
    return input.sourceIds.map((sourceId, i) => ({ sourceId, targetId: targets[i] ?? null }));
  });
}
