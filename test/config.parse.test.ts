/** The one count parser behind every workers, batch-size and limit flag, the one scan-id parser behind --scans, --scans-file and the wizard, and the one duration parser behind every duration flag. */
import { describe, expect, it } from 'vitest';
import { parseCount, parseDuration, parseScanIds, parseScanIdsFile } from '../src/config/parse.js';

describe('parseCount', () => {
  it('takes a positive whole number, spaces around it ignored', () => {
    expect(parseCount('3', '--workers')).toBe(3);
    expect(parseCount(' 20 ', '--workers')).toBe(20);
    expect(parseCount('999999999999999', '--limit')).toBe(999_999_999_999_999);
  });

  it.each(['0', '-1', '1.5', '1e3', 'abc', '', '07', '1000000000000000'])('refuses %j with a usage error naming where it came from', (text) => {
    expect(() => parseCount(text, '--batch-size')).toThrow(expect.objectContaining({ code: 'USAGE', message: `--batch-size = ${JSON.stringify(text)}: expected a positive whole number` }));
  });
});

describe('parseScanIds', () => {
  it('takes ids and ranges in any separator, skips empty items, drops duplicates in order', () => {
    expect(parseScanIds('1,,2', 'scan ids')).toEqual([1, 2]);
    expect(parseScanIds('7; 3 5,100-103, 101', '--scans')).toEqual([7, 3, 5, 100, 101, 102, 103]);
    expect(parseScanIds('10 - 12', '--scans')).toEqual([10, 11, 12]);
  });

  it.each([
    ['x', /--scans = "x": expected a positive whole number or a range such as 100-120/],
    ['1,2,abc', /--scans = "abc": expected a positive whole number/],
    ['0', /--scans = "0": expected a positive whole number/],
    ['1-2-3', /--scans = "1-2-3": expected/],
    ['120-100', /--scans = "120-100": the range runs backwards \(write 100-120\)/],
    ['1-1000000', /a range of more than 100000 ids/],
    [' , ,', /--scans = " , ,": no scan ids/],
  ])('refuses %j with a usage error that says why', (text, message) => {
    expect(() => parseScanIds(text, '--scans')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(message) }));
  });
});

describe('parseScanIdsFile', () => {
  it('reads ids and ranges per line or comma-separated, or the first column of a CSV with a header', () => {
    expect(parseScanIdsFile('\uFEFF3\n4, 5\n\n8-10\n', 'ids.txt')).toEqual([3, 4, 5, 8, 9, 10]);
    expect(parseScanIdsFile('Source_Scan_ID,Target_Scan_ID\r\n10,\r\n11,99\r\n', 'm.csv')).toEqual([10, 11]);
  });

  it('names the bad line, and refuses a file without ids', () => {
    expect(() => parseScanIdsFile('1\n2\nthree\n', 'ids.txt')).toThrow(/ids\.txt line 3 = "three"/);
    expect(() => parseScanIdsFile('\n\n', 'ids.txt')).toThrow(/ids\.txt: no scan ids in it/);
  });
});

describe('parseDuration', () => {
  it('takes units, compounds and bare seconds, in milliseconds', () => {
    expect(['90s', '30m', '2h', '500ms', '1.5m', '1h30m', '45', ' 10m '].map((t) => parseDuration(t, '--max-duration'))).toEqual([
      90_000, 1_800_000, 7_200_000, 500, 90_000, 5_400_000, 45_000, 600_000,
    ]);
  });

  it('0 only where it means something (--wait 0: check once)', () => {
    expect(parseDuration('0', '--wait', { zero: true })).toBe(0);
    expect(() => parseDuration('0s', '--max-duration')).toThrow(expect.objectContaining({ code: 'USAGE', message: '--max-duration = "0s": must be more than 0' }));
  });

  it.each(['', 'ten', '-1m', '5d', '1h30', '10 m x'])('refuses %j naming where it came from', (text) => {
    expect(() => parseDuration(text, '--commit-horizon')).toThrow(expect.objectContaining({ code: 'USAGE', message: `--commit-horizon = ${JSON.stringify(text)}: expected a duration such as 90s, 30m, 2h or 1h30m` }));
  });
});
