/**
 * The copy's memory budget hands out the buffers downloads are read into and takes them back:
 * a buffer whose upload was answered serves the next file of about its size (no new memory
 * per file), one whose upload failed is never handed out again, a small file does not take a
 * large buffer, and what it holds and keeps never passes its limit.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBudget } from '../src/workflows/copy/limits.js';

const MiB = 1024 * 1024;

describe('the memory budget of a copy', () => {
  it('hands a buffer given back after an answered upload to the next file of about its size', () => {
    const budget = new MemoryBudget(64 * MiB);
    const first = budget.take(4 * MiB) as Buffer;
    expect(first.length).toBe(4 * MiB);
    budget.give(first, true);
    const second = budget.take(4 * MiB - 1000) as Buffer;
    expect(second.length).toBe(4 * MiB - 1000);
    expect(second.buffer).toBe(first.buffer);
  });

  it('never hands out again a buffer given back after a failed upload', () => {
    const budget = new MemoryBudget(64 * MiB);
    const failed = budget.take(4 * MiB) as Buffer;
    budget.give(failed, false);
    const next = budget.take(4 * MiB) as Buffer;
    expect(next.buffer).not.toBe(failed.buffer);
  });

  it('gives a small file a buffer of its own size rather than a large free one', () => {
    const budget = new MemoryBudget(64 * MiB);
    const large = budget.take(8 * MiB) as Buffer;
    budget.give(large, true);
    const small = budget.take(100 * 1024) as Buffer;
    expect(small.buffer).not.toBe(large.buffer);
    expect(small.buffer.byteLength).toBeLessThan(2 * 100 * 1024);
  });

  it('keeps what it holds and what it keeps for reuse under its limit, and says spool beyond', () => {
    const budget = new MemoryBudget(16 * MiB);
    expect(budget.take(5 * MiB)).toBeUndefined();
    const held = [budget.take(4 * MiB), budget.take(4 * MiB), budget.take(4 * MiB), budget.take(4 * MiB)] as Buffer[];
    expect(held.every((b) => b !== undefined)).toBe(true);
    expect(budget.take(1)).toBeUndefined();
    for (const b of held.slice(0, 3)) budget.give(b, true);
    // Three free 4 MiB buffers and one held: a 3 MiB file takes a free one, a fifth 4 MiB buffer is not made.
    expect((budget.take(3 * MiB) as Buffer).buffer).toBe(held[0]?.buffer);
    expect(budget.peak).toBe(16 * MiB);
  });

  it('counts a buffer given back twice once', () => {
    const budget = new MemoryBudget(8 * MiB);
    const a = budget.take(2 * MiB) as Buffer;
    budget.give(a, false);
    budget.give(a, false);
    const all = [budget.take(2 * MiB), budget.take(2 * MiB), budget.take(2 * MiB), budget.take(2 * MiB)];
    expect(all.every((b) => b !== undefined)).toBe(true);
    expect(budget.take(2 * MiB)).toBeUndefined();
  });
});
