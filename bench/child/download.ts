/** One measured download: downloadScanImages from a sandbox, timed around the call only. */
import { downloadScanImages } from '../../src/workflows/download.js';
import { answer, openSandbox, startUsage, type SandboxAddress } from './instances.js';

interface DownloadInput {
  source: SandboxAddress;
  scanIds: number[];
  workers: number;
  outDir: string;
}

const input = JSON.parse(process.argv[2] ?? '{}') as DownloadInput;
const source = await openSandbox('bench-source', input.source, { download: input.workers, upload: 1, create: 1 });
try {
  const usage = startUsage();
  const started = performance.now();
  const result = await downloadScanImages({ source: { api: source.api, db: source.db }, scanIds: input.scanIds, outDir: input.outDir, workers: input.workers });
  const wallMs = performance.now() - started;
  answer({
    wallMs,
    downloaded: result.downloaded,
    skipped: result.skipped,
    failed: result.failures.length,
    failures: result.failures.slice(0, 5),
    bytes: result.bytes,
    files: result.files.map((f) => ({ fileId: f.fileId, fileName: f.fileName })),
    ...usage.end(),
  });
} finally {
  await source.close();
}
