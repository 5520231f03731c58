/**
 * The --json documents `fleet report merge` accepts, checked field by field before anything is
 * merged: each field the recap or the status table reads, the rest kept as it is.
 */
import { z } from 'zod';

const count = z.number().int().min(0);

export const shardSchema = z
  .object({ index: z.number().int().min(1), count: z.number().int().min(1), selected: count, positions: z.array(count) })
  .refine((s) => s.index <= s.count, { message: 'index is past count', path: ['index'] })
  .refine((s) => s.positions.every((p) => p < s.selected), { message: 'a position is past selected', path: ['positions'] });

const errorSchema = z.looseObject({
  code: z.string(),
  title: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  location: z.looseObject({ file: z.string(), line: z.number().optional(), column: z.number().optional() }).optional(),
});

const deployHost = z.looseObject({
  host: z.string().min(1),
  status: z.enum(['ok', 'changed', 'failed', 'unreachable', 'skipped']),
  label: z.string(),
  ok: count,
  changed: count,
  failed: count,
  roundTrips: count,
  seconds: z.number().min(0),
  error: errorSchema.optional(),
  failure: z.looseObject({ index: z.number(), id: z.string(), phase: z.enum(['apply', 'verify', 'probe']), exitCode: z.number(), output: z.string() }).optional(),
  rollback: z.enum(['ok', 'failed']).optional(),
  revertFailures: z.array(z.looseObject({ step: z.string(), output: z.string() })).optional(),
});

export const deploySchema = z.looseObject({
  command: z.literal('deploy'),
  check: z.boolean(),
  seconds: z.number().min(0),
  summary: z.looseObject({}),
  hosts: z.array(deployHost),
  shard: shardSchema.optional(),
});

const peer = z.looseObject({
  name: z.string().optional(),
  publicKey: z.string(),
  allowedIps: z.array(z.string()),
  handshakeAgeS: z.number().optional(),
  rxBytes: z.number(),
  txBytes: z.number(),
});

const health = z.looseObject({
  wg: z.looseObject({ up: z.boolean(), listenPort: z.number().optional(), peers: z.array(peer) }),
  openvpn: z.looseObject({ running: z.boolean(), tun: z.looseObject({ up: z.boolean(), address: z.string().optional() }) }),
  dnsmasq: z.looseObject({ running: z.boolean(), answering: z.union([z.boolean(), z.literal('unknown')]) }),
});

const drift = z.looseObject({
  count,
  items: z.array(z.looseObject({ id: z.string(), state: z.string(), current: z.string().optional(), error: z.string().optional() })),
});

const journal = z.looseObject({
  unfinished: z.boolean(),
  lock: z.looseObject({ state: z.enum(['live', 'stale']), owner: z.record(z.string(), z.string()) }).optional(),
  latest: z.looseObject({ run: z.string() }).optional(),
  lastSuccess: z.record(z.string(), z.string()).optional(),
  watchdogs: z.array(z.looseObject({ run: z.string(), state: z.enum(['armed', 'fired']) })).optional(),
});

const statusHost = z
  .looseObject({
    host: z.string().min(1),
    reachable: z.boolean(),
    unreachableReason: z.string().optional(),
    healthy: z.boolean(),
    inSync: z.boolean(),
    roundTrips: count,
    seconds: z.number().min(0),
    health: health.optional(),
    drift: drift.optional(),
    journal: journal.optional(),
  })
  .refine((h) => !h.reachable || (h.health && h.drift && h.journal), { message: 'a reachable host needs health, drift and journal' });

export const statusSchema = z.looseObject({
  command: z.literal('status'),
  at: z.string(),
  summary: z.looseObject({}),
  hosts: z.array(statusHost),
  shard: shardSchema.optional(),
});
