/**
 * --shard K/N (and --shard-index I --shard-count N, or JOB_COMPLETION_INDEX): one of N disjoint
 * parts of the selected hosts, for a CI matrix or a Kubernetes Indexed Job. A host's shard is a
 * jump consistent hash (Lamping & Veach) of its name: it depends on the name and N only, so adding
 * or removing hosts never moves any other host between shards, and growing N to N+1 moves only
 * about 1/(N+1) of them (all into the new shard).
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import type { Host } from '../inventory/index.js';
import type { ShardRecord } from '../report/json.js';
import { UsageError } from './exit-codes.js';

/** More shards than this is a typo, not a fleet. */
export const MAX_SHARDS = 10_000;

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

export const SHARD_HELP = `Sharding (--shard K/N, K from 1 to N; or --shard-index I --shard-count N, I from 0 to N-1):
  the hosts selected by the inventory and --limit are split into N disjoint shards by a hash of
  each host's name. A host's shard depends only on its name and N: adding or removing hosts never
  moves another host to a different shard (changing N moves about 1/N of them). Every host is in
  exactly one of the N shards; a shard may be empty. For a Kubernetes Indexed Job, give only
  --shard-count N: the 0-based index is read from JOB_COMPLETION_INDEX.`;

export function addShardOptions(cmd: Command): Command {
  return cmd
    .option('--shard <K/N>', 'only shard K of N (1-based: 1/3, 2/3, 3/3), after --limit; see Sharding below')
    .option('--shard-index <I>', 'only shard I (0-based, 0 to N-1) of --shard-count N')
    .option('--shard-count <N>', 'the number of shards for --shard-index (or JOB_COMPLETION_INDEX)');
}

function whole(v: string, what: string): number {
  if (!/^\d+$/.test(v.trim())) throw new UsageError(`${what}: expected a whole number, got '${v}'`);
  return Number(v.trim());
}

function checkCount(count: number, flag: string): void {
  if (count < 1 || count > MAX_SHARDS) throw new UsageError(`${flag}: the number of shards must be from 1 to ${MAX_SHARDS}, got ${count}`);
}

function fromSlash(v: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  if (!m) throw new UsageError(`--shard: expected K/N such as 1/3, got '${v}'`, { hint: 'K is 1-based: --shard 1/3, 2/3 and 3/3 are the three shards' });
  const k = Number(m[1]);
  const n = Number(m[2]);
  checkCount(n, '--shard');
  if (k < 1 || k > n) {
    throw new UsageError(`--shard ${v}: K is 1-based and must be from 1 to ${n}, got ${k}`, {
      hint: `for a 0-based index (a Kubernetes JOB_COMPLETION_INDEX) use --shard-index ${k} --shard-count ${n}, or --shard-count ${n} alone`,
    });
  }
  return { index: k - 1, count: n };
}

/** The shard the options (or the environment) ask for, validated; undefined when unsharded. */
export function shardFromOptions(opts: { shard?: string; shardIndex?: string; shardCount?: string }, env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  if (opts.shard !== undefined) {
    if (opts.shardIndex !== undefined || opts.shardCount !== undefined) throw new UsageError('--shard K/N cannot be combined with --shard-index or --shard-count');
    return fromSlash(opts.shard);
  }
  if (opts.shardIndex !== undefined && opts.shardCount === undefined) throw new UsageError('--shard-index needs --shard-count N');
  if (opts.shardCount === undefined) return undefined;
  const count = whole(opts.shardCount, '--shard-count');
  checkCount(count, '--shard-count');
  const from = opts.shardIndex !== undefined ? '--shard-index' : 'JOB_COMPLETION_INDEX';
  const raw = opts.shardIndex ?? env.JOB_COMPLETION_INDEX;
  if (raw === undefined || raw === '') {
    throw new UsageError('--shard-count needs --shard-index I, or JOB_COMPLETION_INDEX in the environment (a Kubernetes Indexed Job sets it)');
  }
  const index = whole(raw, from);
  if (index >= count) throw new UsageError(`${from} ${index}: the index is 0-based and must be from 0 to ${count - 1} for ${count} shards`);
  return { index, count };
}

/** The first 64 bits of SHA-256 of the name: the key of the jump hash. */
function nameKey(name: string): bigint {
  return createHash('sha256').update(name, 'utf8').digest().readBigUInt64BE(0);
}

/** Jump consistent hash: the bucket (0..count-1) of a 64-bit key. */
export function jumpHash(key: bigint, count: number): number {
  const mask = 0xffff_ffff_ffff_ffffn;
  let k = key & mask;
  let b = -1;
  let j = 0;
  while (j < count) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & mask;
    j = Math.floor((b + 1) * (2 ** 31 / (Number(k >> 33n) + 1)));
  }
  return b;
}

/** The 0-based shard of a host name among `count` shards. */
export function shardOf(name: string, count: number): number {
  return jumpHash(nameKey(name), count);
}

/** The hosts of one shard, in selection order, with the record a --json output carries. */
export function selectShard(hosts: Host[], shard: Shard): { hosts: Host[]; record: ShardRecord } {
  const picked: Host[] = [];
  const positions: number[] = [];
  hosts.forEach((h, i) => {
    if (shardOf(h.name, shard.count) !== shard.index) return;
    picked.push(h);
    positions.push(i);
  });
  return { hosts: picked, record: { index: shard.index + 1, count: shard.count, selected: hosts.length, positions } };
}

/** `hosts` narrowed to the shard (all of them when unsharded); says so on stderr when the shard is empty. */
export function shardHosts(hosts: Host[], shard: Shard | undefined, quiet = false): { hosts: Host[]; record?: ShardRecord } {
  if (!shard) return { hosts };
  const out = selectShard(hosts, shard);
  if (!out.hosts.length && !quiet) {
    process.stderr.write(`shard ${shard.index + 1}/${shard.count}: none of the ${hosts.length} selected host(s) is in this shard; nothing to do\n`);
  }
  return out;
}
