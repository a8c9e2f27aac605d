/**
 * Group commit, the write path of the journal and the download manifest: items added while
 * a write is on its way share the next write, every caller settles with the write that
 * carried its item, and a hold lets a snapshot settle waiting items without writing them.
 */
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../src/core/group-commit.js';

function recorder() {
  const writes: number[][] = [];
  let block: Promise<void> = Promise.resolve();
  let unblock: () => void = () => undefined;
  const commit = new GroupCommit<number>(async (items) => {
    writes.push(items);
    await block;
    if (items.includes(-1)) throw new Error('disk full');
  });
  const stall = () => {
    block = new Promise((resolve) => (unblock = resolve));
  };
  return { commit, writes, stall, release: () => unblock() };
}

describe('GroupCommit', () => {
  it('writes what arrives during a write together in the next one', async () => {
    const { commit, writes, stall, release } = recorder();
    stall();
    const first = [commit.add(1), commit.add(2)];
    await Promise.resolve();
    await Promise.resolve();
    const later = Array.from({ length: 18 }, (_, i) => commit.add(i + 3));
    release();
    await Promise.all([...first, ...later]);
    expect(writes).toEqual([[1, 2], Array.from({ length: 18 }, (_, i) => i + 3)]);
  });

  it("rejects every item of a failed write with its error, and keeps writing the others' groups", async () => {
    const { commit, writes } = recorder();
    const failed = [commit.add(-1), commit.add(5)];
    await expect(failed[0]).rejects.toThrow('disk full');
    await expect(failed[1]).rejects.toThrow('disk full');
    await expect(commit.add(6)).resolves.toBeUndefined();
    expect(writes).toEqual([[-1, 5], [6]]);
  });

  it('holds writes back during a hold, settles what the hold covers, and writes the rest after', async () => {
    const { commit, writes } = recorder();
    const settledBy: string[] = [];
    let inHold!: () => void;
    const entered = new Promise<void>((resolve) => (inHold = resolve));
    const hold = commit.hold(async (settle) => {
      inHold();
      await new Promise((resolve) => setTimeout(resolve, 5));
      settle((n) => n <= 2);
    });
    await entered;
    const items = [1, 2, 3].map((n) => commit.add(n).then(() => settledBy.push(`${n}:${writes.flat().includes(n) ? 'write' : 'hold'}`)));
    await hold;
    await Promise.all(items);
    expect(settledBy.sort()).toEqual(['1:hold', '2:hold', '3:write']);
    expect(writes).toEqual([[3]]);
  });

  it('drains: resolves once nothing waits and nothing is being written', async () => {
    const { commit, writes } = recorder();
    void commit.add(1);
    void commit.add(2);
    await commit.drain();
    expect(writes.flat()).toEqual([1, 2]);
  });
});
