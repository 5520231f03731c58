import { describe, expect, it } from 'vitest';
import type { Host } from '../inventory/index.js';
import { UsageError } from './exit-codes.js';
import { jumpHash, selectShard, shardFromOptions, shardOf } from './shard.js';

const hosts = (names: string[]) => names.map((name) => ({ name }) as Host);
const gws = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `gw${i + from}`);

describe('--shard K/N, --shard-index I --shard-count N, JOB_COMPLETION_INDEX', () => {
  it('reads K/N as 1-based and the index forms as 0-based', () => {
    expect(shardFromOptions({ shard: '1/3' }, {})).toEqual({ index: 0, count: 3 });
    expect(shardFromOptions({ shard: '3/3' }, {})).toEqual({ index: 2, count: 3 });
    expect(shardFromOptions({ shardIndex: '0', shardCount: '3' }, {})).toEqual({ index: 0, count: 3 });
    expect(shardFromOptions({ shardCount: '3' }, { JOB_COMPLETION_INDEX: '2' })).toEqual({ index: 2, count: 3 });
    // an explicit --shard-index wins over the environment
    expect(shardFromOptions({ shardIndex: '1', shardCount: '3' }, { JOB_COMPLETION_INDEX: '2' })).toEqual({ index: 1, count: 3 });
    expect(shardFromOptions({}, { JOB_COMPLETION_INDEX: '2' })).toBeUndefined();
  });

  it.each([
    [{ shard: '0/3' }, {}, /K is 1-based and must be from 1 to 3, got 0/],
    [{ shard: '4/3' }, {}, /must be from 1 to 3, got 4/],
    [{ shard: '1/0' }, {}, /number of shards must be from 1 to 10000, got 0/],
    [{ shard: 'two/3' }, {}, /expected K\/N such as 1\/3/],
    [{ shard: '1/3', shardCount: '3' }, {}, /cannot be combined/],
    [{ shardIndex: '1' }, {}, /--shard-index needs --shard-count/],
    [{ shardIndex: '3', shardCount: '3' }, {}, /--shard-index 3: the index is 0-based and must be from 0 to 2/],
    [{ shardIndex: '-1', shardCount: '3' }, {}, /expected a whole number, got '-1'/],
    [{ shardCount: '3' }, {}, /or JOB_COMPLETION_INDEX in the environment/],
    [{ shardCount: '3' }, { JOB_COMPLETION_INDEX: '3' }, /JOB_COMPLETION_INDEX 3: the index is 0-based and must be from 0 to 2/],
    [{ shardCount: '3' }, { JOB_COMPLETION_INDEX: 'x' }, /JOB_COMPLETION_INDEX: expected a whole number/],
  ])('%j %j is bad input with the range', (opts, env, message) => {
    let err: unknown;
    try {
      shardFromOptions(opts, env as NodeJS.ProcessEnv);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
  });

  it('points a 0-based index given as K/N to the index form', () => {
    expect(() => shardFromOptions({ shard: '0/3' }, {})).toThrow(UsageError);
    try {
      shardFromOptions({ shard: '0/3' }, {});
    } catch (e) {
      expect((e as UsageError).hint).toMatch(/--shard-index 0 --shard-count 3/);
    }
  });
});

describe('the split', () => {
  it('is the published jump consistent hash', () => {
    // Lamping & Veach's algorithm, vectors published with other implementations of it
    expect(jumpHash(256n, 1024)).toBe(520);
    expect(jumpHash(2016238256797177309n, 11)).toBe(3);
    expect(jumpHash(10863919174838991n, 11)).toBe(6);
    expect(jumpHash(123456789n, 1)).toBe(0);
  });

  it('is pinned: a release of fleet never moves a host to another shard', () => {
    expect(gws(12).map((n) => shardOf(n, 3))).toEqual([2, 0, 1, 1, 0, 1, 0, 0, 1, 2, 0, 2]);
  });

  it('covers every host exactly once, in selection order', () => {
    const all = hosts(gws(500));
    const parts = [0, 1, 2, 3].map((index) => selectShard(all, { index, count: 4 }));
    const seen = parts.flatMap((p) => p.hosts.map((h) => h.name));
    expect(seen.sort()).toEqual(gws(500).sort());
    for (const p of parts) {
      expect(p.record.positions).toEqual([...p.record.positions].sort((a, b) => a - b));
      expect(p.record.positions.map((i) => all[i]!.name)).toEqual(p.hosts.map((h) => h.name));
      expect(p.record.selected).toBe(500);
    }
    expect(parts.map((p) => p.record.index)).toEqual([1, 2, 3, 4]);
  });

  it('is stable when hosts are added: no existing host changes shard', () => {
    const before = hosts(gws(300));
    const after = hosts([...gws(150, 1000), ...gws(300), 'edge-new', 'zz']);
    for (let index = 0; index < 5; index++) {
      const was = new Set(selectShard(before, { index, count: 5 }).hosts.map((h) => h.name));
      const now = selectShard(after, { index, count: 5 }).hosts.map((h) => h.name).filter((n) => before.some((b) => b.name === n));
      expect(new Set(now)).toEqual(was);
    }
  });

  it('growing N to N+1 moves hosts only into the new shard, about 1/(N+1) of them', () => {
    const names = gws(2000);
    const moved = names.filter((n) => shardOf(n, 4) !== shardOf(n, 3));
    for (const n of moved) expect(shardOf(n, 4)).toBe(3);
    expect(moved.length / names.length).toBeGreaterThan(0.2);
    expect(moved.length / names.length).toBeLessThan(0.3);
  });

  it('is balanced at fleet sizes', () => {
    const sizes = [0, 1, 2].map((index) => selectShard(hosts(gws(3000)), { index, count: 3 }).hosts.length);
    for (const s of sizes) expect(Math.abs(s - 1000)).toBeLessThan(100);
  });
});
