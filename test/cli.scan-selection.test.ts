/** Scan selection flags: ids, a file of ids (plain or a mapping CSV), or a store and days. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addInstanceOptions } from '../src/cli/instance-options.js';
import { addScanSelectionOptions, parseScanSelection, parseStoreSelection } from '../src/cli/scan-selection.js';
import { ScanCopyError } from '../src/core/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scancopy-sel-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect((err as ScanCopyError).code).toBe('USAGE');
    return (err as ScanCopyError).message;
  }
  throw new Error('expected USAGE');
}

describe('parseScanSelection', () => {
  it('reads --scans as ids, deduplicated in order', () => {
    expect(parseScanSelection({ scans: '12, 7,12 ,9' })).toEqual({ kind: 'ids', ids: [12, 7, 9] });
    expect(parseScanSelection({ scans: '5,,20-22' })).toEqual({ kind: 'ids', ids: [5, 20, 21, 22] });
  });

  it('reads --scans-file: one per line or comma-separated, or the first column of a mapping CSV', async () => {
    await writeFile(join(dir, 'plain.txt'), '\uFEFF3\n4, 5\n\n6\n');
    await writeFile(join(dir, 'mapping.csv'), 'Source_Scan_ID,Target_Scan_ID\r\n10,\r\n11,99\r\n');
    expect(parseScanSelection({ scansFile: join(dir, 'plain.txt') })).toEqual({ kind: 'ids', ids: [3, 4, 5, 6] });
    expect(parseScanSelection({ scansFile: join(dir, 'mapping.csv') })).toEqual({ kind: 'ids', ids: [10, 11] });
  });

  it('reads --store with --date, or --from and --to, and --done-only', () => {
    expect(parseScanSelection({ store: '42', date: '2026-11-28' })).toEqual({ kind: 'store', storeId: 42, from: '2026-11-28', to: '2026-11-28' });
    expect(parseStoreSelection({ store: '42', from: '2026-11-01', to: '2026-11-28', doneOnly: true })).toEqual({ kind: 'store', storeId: 42, from: '2026-11-01', to: '2026-11-28', doneOnly: true });
  });

  it.each([
    [{}, /no scans selected/],
    [{ scans: '1', store: '2', date: '2026-01-01' }, /choose one of --scans, --store/],
    [{ scans: "1,x" }, /--scans = "x": expected a positive whole number/],
    [{ scans: "1,5-3" }, /--scans = "5-3": the range runs backwards/],
    [{ scans: ' , ' }, /no scan ids/],
    [{ store: 'abc', date: '2026-01-01' }, /--store = "abc"/],
    [{ store: '1' }, /--store needs --date/],
    [{ store: '1', from: '2026-01-01' }, /give both --from and --to/],
    [{ store: '1', date: '2026-01-01', from: '2026-01-01', to: '2026-01-02' }, /either --date or --from and --to/],
    [{ store: '1', date: '2026-13-01' }, /--date = "2026-13-01": expected a day/],
    [{ store: '1', from: '2026-02-02', to: '2026-02-01' }, /--from 2026-02-02 is after --to 2026-02-01/],
  ])('%j is refused', (flags, message) => {
    expect(usageError(() => parseScanSelection(flags))).toMatch(message);
  });

  it('a bad line or a missing file is named', async () => {
    await writeFile(join(dir, 'bad.txt'), '1\n2\nthree\n');
    expect(usageError(() => parseScanSelection({ scansFile: join(dir, 'bad.txt') }))).toMatch(/bad\.txt line 3 = "three"/);
    expect(usageError(() => parseScanSelection({ scansFile: join(dir, 'none.txt') }))).toMatch(/none\.txt: ENOENT/);
  });
});

describe('command options', () => {
  it('adds the instance and selection flags, --config once', () => {
    const cmd = new Command('x');
    addInstanceOptions(cmd, 'source');
    addInstanceOptions(cmd, 'target');
    addScanSelectionOptions(cmd);
    const longs = cmd.options.map((o) => o.long);
    expect(longs).toEqual(['--source', '--source-api', '--source-db', '--config', '--target', '--target-api', '--target-db', '--scans', '--scans-file', '--store', '--date', '--from', '--to', '--done-only']);
    cmd.parse(['--source', 'albt', '--target-api', 'http://h', '--store', '3', '--date', '2026-01-02'], { from: 'user' });
    expect(cmd.opts()).toMatchObject({ source: 'albt', targetApi: 'http://h', store: '3', date: '2026-01-02' });
  });
});
