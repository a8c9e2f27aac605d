/** Workflow 2 of the seed README, "Download Images": source, scan ids, folder, download. Returns the exit code. */
import { findScanCopyError } from '../../core/errors.js';
import { DOWNLOAD_DEFAULTS, downloadScanImages } from '../../workflows/download.js';
import { exitCodeOf } from '../../workflows/exit-code.js';
import { stopOnSignals } from '../stop-signals.js';
import { DOWNLOAD_VIEW, summaryLines } from '../commands/download.js';
import { createEventRenderer } from '../render.js';
import { askInstance } from './instances.js';
import { askFolder } from './results-dir.js';
import { askScanIds } from './scan-ids.js';
import type { WizardSession } from './session.js';

export async function runDownloadFlow(s: WizardSession): Promise<number> {
  s.step('Step 1: Source instance');
  const source = await askInstance(s, 'source');

  s.step('Step 2: Source scan ids');
  const scanIds = await askScanIds({ db: source.instance.db, role: 'Source', lastUsed: s.lastUsed.scanIds, cwd: s.io.cwd, print: (line) => s.print(line) });
  await s.remember({ scanIds });

  s.step('Step 3: Download folder');
  const outDir = await askFolder({ label: 'Download folder', defaultPath: `${DOWNLOAD_DEFAULTS.outDir}/`, lastUsed: s.lastUsed.downloadDir, cwd: s.io.cwd, print: (line) => s.print(line) });
  await s.remember({ downloadDir: outDir });

  s.step('Step 4: Download');
  const renderer = createEventRenderer({ logFormat: 'text', quiet: false, tty: process.stderr.isTTY === true }, DOWNLOAD_VIEW);
  const signals = stopOnSignals();
  try {
    const result = await downloadScanImages(
      { source: source.instance, scanIds, outDir, batchSize: s.config.batchSize, workers: s.config.limits.download },
      { signal: signals.signal, onEvent: renderer.onEvent },
    );
    renderer.result({}, summaryLines(result));
    if (result.stopped) stopped(s, outDir);
    return exitCodeOf({ download: result });
  } catch (err) {
    if (findScanCopyError(err)?.code !== 'ABORTED') throw err;
    renderer.close();
    stopped(s, outDir);
    return exitCodeOf({ error: err });
  } finally {
    renderer.close();
    signals.dispose();
  }
}

function stopped(s: WizardSession, outDir: string): void {
  s.print('');
  s.print(`Stopped. Complete files are kept in ${outDir}; run the download again to fetch the rest.`);
}
