/** The one count parser behind every workers, batch-size and limit flag. */
import { describe, expect, it } from 'vitest';
import { parseCount } from '../src/config/parse.js';

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
