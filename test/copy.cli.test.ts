/**
 * `scancopy copy` as a user sees it: --dry-run reads only (scans, files, bytes; nothing on
 * the target, no run folder); a plain run prints the seed tool's [BATCH] block and a summary
 * that adds up; --log-format json gives one object per event; --analyze leaves the reports
 * in the copy's run folder.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readCsv } from '../src/reports/csv.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliInstanceArgs, runCli, startCopyPair, type CopyPair } from './helpers/copy.js';

describe('scancopy copy output', () => {
  let pair: CopyPair;
  let args: string[];
  let env: Record<string, string>;
  beforeAll(async () => {
    pair = await startCopyPair({ scans: 5, target: { processingDelayMs: 50 } });
    ({ args, env } = cliInstanceArgs(pair));
  });
  afterAll(async () => pair?.close());

  const targetScans = async (): Promise<number> =>
    ((await pair.target.db.query<{ n: number }>('SELECT count(*)::int AS n FROM realograms_implementation_scan'))[0] as { n: number }).n;

  it('--dry-run prints scans, files and bytes and writes nothing; a scan not on the source is said and exits 1', async () => {
    const [files] = await pair.source.db.query<{ n: number; bytes: number }>(
      'SELECT count(*)::int AS n, sum(f.size)::bigint AS bytes FROM realograms_implementation_scanfile sf JOIN sandbox_fileupload f ON f.id = sf.file_id',
    );
    const run = await runCli(['copy', ...args, '--scans', [...pair.scanIds, 999999].join(','), '--target-store', String(pair.targetStoreId), '--results', pair.resultsDir, '--dry-run'], { cwd: pair.resultsDir, env });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('Scans:  6 selected, 5 would be copied, 0 skipped, 1 not found (the copy would fail them)');
    expect(run.stdout).toContain(`Files:  ${files?.n}`);
    expect(run.stdout).toContain(`Bytes:  ${files?.bytes} `);
    expect(run.stdout).toContain('scan 999999: NOT_FOUND: scan not found in the source database');
    expect(await targetScans()).toBe(0);
    expect(await readdir(pair.resultsDir)).toEqual([]);
  });

  it('prints the seed batch log and a summary that adds up, then analyses the copy with --analyze', async () => {
    const run = await runCli(['copy', ...args, '--scans', pair.scanIds.join(','), '--target-store', String(pair.targetStoreId), '--results', pair.resultsDir, '--batch-size', '2', '--analyze'], { cwd: pair.resultsDir, env });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    const header = lines.indexOf('[BATCH 1/3] Starting batch 1');
    expect(lines[header - 1]).toBe('='.repeat(80));
    expect(lines.slice(header, header + 3)).toEqual([
      '[BATCH 1/3] Starting batch 1',
      '[BATCH 1/3] Processing scans 1-2 of 5',
      `[BATCH 1/3] Source Scan IDs: ${pair.scanIds.slice(0, 2).join(', ')}`,
    ]);
    expect(lines).toContain('[BATCH 3/3] Batch 3 completed');
    expect(lines).toContain('[BATCH 3/3] Success: 1, Failed: 0');
    expect(lines.some((l) => /^\[BATCH 1\] \[SCAN\] 2\/2 \(100%\)$/.test(l))).toBe(true);
    expect(lines).toContain('Created:  5');
    expect(lines).toContain('Skipped:  0');
    expect(lines).toContain('Failed:   0');
    const runDir = lines.find((l) => l.startsWith('Run folder: '))?.slice('Run folder: '.length) as string;
    const names = await readdir(runDir);
    for (const prefix of ['initial_scan_mapping_', 'scan_mapping_updated_', 'failures_', 'checkpoint_', 'analysis_with_comments_', 'source_scandetails_', 'target_scandetails_']) {
      expect(names.some((n) => n.startsWith(prefix)), prefix).toBe(true);
    }
    expect(names).toContain('events.ndjson');
    expect(names.some((n) => n.startsWith('scans_'))).toBe(true);
    // The source thumbnails come from the copy's own downloads.
    expect(run.stdout).toMatch(/^\[IMAGES\] source: 5\/5 first images \(5 from the copy's downloads\)$/m);
  });

  it('a requested scan not on the source fails (exit 1) as in download; the others are copied, and the summary names it', async () => {
    const missing = [999_997, 999_998];
    const scans = [pair.scanIds[0] as number, missing[0] as number, pair.scanIds[1] as number, missing[1] as number];
    // The test before copied these scans into this store: a ledger of its own, or they would be skipped as already copied.
    const ledger = join(pair.resultsDir, 'ledger-not-found');
    const run = await runCli(['copy', ...args, '--scans', scans.join(','), '--target-store', String(pair.targetStoreId), '--results', pair.resultsDir, '--ledger', ledger], { cwd: pair.resultsDir, env });
    expect(run.code, run.stderr).toBe(1);
    const lines = run.stdout.split('\n');
    for (const id of missing) expect(lines).toContain(`[BATCH 1] [FAILED] scan ${id} at read: NOT_FOUND: scan not found in the source database`);
    expect(lines).toContain('Created:  2');
    expect(lines).toContain('Skipped:  0');
    expect(lines).toContain('Failed:   2');
    expect(lines).toContain(`Not found: 2 (scan not found in the source database): ${missing.join(', ')}`);
    const runDir = lines.find((l) => l.startsWith('Run folder: '))?.slice('Run folder: '.length) as string;
    const mapping = (await readdir(runDir)).find((n) => n.startsWith('scan_mapping_updated_')) as string;
    const rows = (await readCsv(join(runDir, mapping))).map((r) => Number(r.Source_Scan_ID));
    expect(rows).toEqual(pair.scanIds.slice(0, 2));
  });

  it('--log-format json prints one event object per line and the result last', async () => {
    const [, second] = await pair.target.db.query<{ id: number }>('SELECT id FROM master_data_implementation_store ORDER BY id LIMIT 2');
    const run = await runCli(['copy', ...args, '--scans', pair.scanIds.join(','), '--target-store', String(second?.id), '--results', pair.resultsDir, '--log-format', 'json'], { cwd: pair.resultsDir, env });
    expect(run.code, run.stderr).toBe(0);
    const objects = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; ts?: string; attempt?: number; latencyMs?: number });
    expect(objects[0]?.type).toBe('copy-start');
    expect(objects.at(-1)).toMatchObject({ type: 'result', command: 'copy', created: 5, skipped: 0, failed: 0 });
    const created = objects.filter((o) => o.type === 'created');
    expect(created).toHaveLength(5);
    for (const o of created) expect(o).toMatchObject({ attempt: 1, latencyMs: expect.any(Number), ts: expect.any(String) });
  });
});
