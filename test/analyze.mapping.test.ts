import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWait, readPairs } from '../src/cli/commands/analyze.js';
import { matchMapping, readScanMapping } from '../src/workflows/analyze.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scancopy-mapping-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('pairs to analyse', () => {
  it('reads a copy run\'s mapping CSV: order kept, an empty target is a scan without copy', async () => {
    const path = await file('scan_mapping_updated_20261201_120000.csv', '\uFEFFSource_Scan_ID,Target_Scan_ID\r\n101,9001\r\n102,\r\n103, 9003 \r\n');
    expect(await readScanMapping(path)).toEqual([
      { sourceId: 101, targetId: 9001 },
      { sourceId: 102, targetId: null },
      { sourceId: 103, targetId: 9003 },
    ]);
    const initial = await file('initial_scan_mapping.csv', 'Source_Scan_ID,Target_Scan_ID\n7,\n');
    expect(await readScanMapping(initial)).toEqual([{ sourceId: 7, targetId: null }]);
  });

  it('reads the scan_mapping of a checkpoint JSON', async () => {
    const path = await file('checkpoint_20261201_120000.json', JSON.stringify({ completed_batches: [1], scan_mapping: [{ source_scan_id: 5, target_scan_id: 50 }, { source_scan_id: 6, target_scan_id: null }], failed_scans: [] }));
    expect(await readScanMapping(path)).toEqual([
      { sourceId: 5, targetId: 50 },
      { sourceId: 6, targetId: null },
    ]);
  });

  it("reads the seed tool's checkpoint, whose scan_mapping is a list of [source, target] pairs", async () => {
    const path = await file('checkpoint_20261130_080000.json', JSON.stringify({ completed_batches: [1, 2], scan_mapping: [[11, 1100], [12, null], ['13', '1300']], failed_scans: 1 }));
    expect(await readScanMapping(path)).toEqual([
      { sourceId: 11, targetId: 1100 },
      { sourceId: 12, targetId: null },
      { sourceId: 13, targetId: 1300 },
    ]);
  });

  it("reads the seed tool's mapping CSVs: its initial mapping (no targets yet) and its updated one", async () => {
    const initial = await file('seed_initial_scan_mapping_20261130_080000.csv', 'Source_Scan_ID,Target_Scan_ID\n501,\n502,\n');
    expect(await readScanMapping(initial)).toEqual([{ sourceId: 501, targetId: null }, { sourceId: 502, targetId: null }]);
    const updated = await file('seed_scan_mapping_updated_20261130_080000.csv', 'Source_Scan_ID,Target_Scan_ID\n501,7001\n502,7002\n');
    expect(await readScanMapping(updated)).toEqual([{ sourceId: 501, targetId: 7001 }, { sourceId: 502, targetId: 7002 }]);
  });

  it.each([
    ['no header', 'a,b\n1,2\n', /Source_Scan_ID,Target_Scan_ID header/],
    ['a bad source id', 'Source_Scan_ID,Target_Scan_ID\n12x,3\n', /line 2: source scan id "12x"/],
    ['a missing source id', 'Source_Scan_ID,Target_Scan_ID\n1,2\n,3\n', /line 3: source scan id/],
    ['a negative target id', 'Source_Scan_ID,Target_Scan_ID\n1,-2\n', /line 2: target scan id "-2"/],
  ])('refuses a mapping with %s (USAGE, naming the line)', async (_name, text, message) => {
    const path = await file(`bad-${_name.replace(/ /g, '-')}.csv`, text);
    await expect(readScanMapping(path)).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(message) });
  });

  it('refuses a missing file and a checkpoint without scan_mapping', async () => {
    await expect(readScanMapping(join(dir, 'nope.csv'))).rejects.toMatchObject({ code: 'USAGE' });
    const path = await file('checkpoint_empty.json', '{"completed_batches": []}');
    await expect(readScanMapping(path)).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('no scan_mapping') });
  });

  it('pairs --source-scans and --target-scans by position, an empty entry being no copy', async () => {
    expect(await readPairs({ sourceScans: '1, 2,3', targetScans: '11,,13' })).toEqual([
      { sourceId: 1, targetId: 11 },
      { sourceId: 2, targetId: null },
      { sourceId: 3, targetId: 13 },
    ]);
    await expect(readPairs({ sourceScans: '1,2', targetScans: '11' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('pair by position') });
    await expect(readPairs({ sourceScans: '1,,2', targetScans: '11,12,13' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(readPairs({ sourceScans: '1' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(readPairs({ mapping: await file('empty.csv', 'Source_Scan_ID,Target_Scan_ID\n') })).rejects.toMatchObject({ message: 'no scan pairs to compare' });
  });

  it('reads --wait durations', () => {
    expect([parseWait('10m'), parseWait('90s'), parseWait('1h'), parseWait('500ms'), parseWait('45'), parseWait('0'), parseWait('1.5m')]).toEqual([
      600_000, 90_000, 3_600_000, 500, 45_000, 0, 90_000,
    ]);
    for (const bad of ['', 'ten', '-1m', '5d']) expect(() => parseWait(bad)).toThrow(/--wait/);
  });
});

describe('a mapping matched against the scans chosen before it', () => {
  const mapping = [
    { sourceId: 1, targetId: 11 },
    { sourceId: 2, targetId: null },
    { sourceId: 3, targetId: 13 },
    { sourceId: 9, targetId: 19 },
  ];

  it('gives one pair per chosen scan, in their order, and says which have no copy and how many it leaves out', () => {
    expect(matchMapping(mapping, [3, 2, 1])).toEqual({
      pairs: [
        { sourceId: 3, targetId: 13 },
        { sourceId: 2, targetId: null },
        { sourceId: 1, targetId: 11 },
      ],
      uncopied: [2],
      ignored: 1,
    });
  });

  it('refuses a mapping that copies none of them: it is of another run', () => {
    expect(() => matchMapping(mapping, [2, 4])).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/no copy of the 2 scan\(s\) chosen \(2, 4\)/) }));
  });
});
