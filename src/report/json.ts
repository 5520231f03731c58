/**
 * --json of deploy: one machine-readable document per run. Secrets never appear (resources carry
 * none). The recap is rendered from these same entries, so a document merged from shards
 * (`fleet report merge`) prints the same recap as the run it stands for.
 */
import type { HostResult, HostStatus } from '../engine/fleet.js';
import type { StepFailure } from '../engine/apply.js';
import type { SourceLocation } from '../errors.js';
import type { BatchRecord } from '../engine/batches.js';
import { hostCounts, statusLabel } from './outcome.js';

/** What a sharded run records in its --json, so `fleet report merge` can check and order. */
export interface ShardRecord {
  /** 1-based, as --shard K/N says it. */
  index: number;
  count: number;
  /** How many hosts were selected before sharding (after --limit). */
  selected: number;
  /** Each reported host's position in that selection (0-based), in the order of `hosts`. */
  positions: number[];
}

export interface ErrorJson {
  code: string;
  title: string;
  message: string;
  hint?: string;
  location?: SourceLocation;
}

/** One host of a deploy document (JSON.stringify drops the fields that are undefined). */
export interface HostJson {
  host: string;
  status: HostStatus;
  label: string;
  ok: number;
  changed: number;
  failed: number;
  roundTrips: number;
  seconds: number;
  error?: ErrorJson;
  journal?: unknown;
  /** `removal`: the step removes the resource (declared absent, or no longer wanted). */
  resources?: { id: string; role: string; task: string; planned: string; removal?: boolean; because?: string; applied?: string; error?: string }[];
  failure?: StepFailure;
  rollback?: 'ok' | 'failed';
  revertFailures?: { step: string; output: string }[];
  runId?: string;
  confirm?: unknown;
  /** --serial: the batch (1-based) the host was in. */
  batch?: number;
}

export interface DeploySummary {
  hosts: number;
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
  skipped: number;
}

export interface DeployDocument {
  command: 'deploy';
  check: boolean;
  seconds: number;
  summary: DeploySummary;
  hosts: HostJson[];
  /** Only in a sharded run's output (--shard). */
  shard?: ShardRecord;
  /** Only in a rolling deploy's output (--serial): each batch, and where and why it stopped. */
  serial?: SerialJson;
}

export interface SerialJson {
  spec: string;
  batches: BatchRecord[];
  stopped?: { batch: number; reason: string };
}

export function hostJson(r: HostResult, check: boolean): HostJson {
  return {
    host: r.host,
    status: r.status,
    label: statusLabel(r, check),
    ...hostCounts(r),
    roundTrips: r.roundTrips,
    seconds: Number(r.seconds.toFixed(3)),
    error: r.error?.toJSON() as ErrorJson | undefined,
    journal: r.plan?.facts,
    resources: r.plan?.items.map((i) => {
      const step = r.apply?.steps.find((s) => s.item.index === i.index);
      return {
        id: i.desired.resource.id,
        role: i.desired.role,
        task: i.desired.task,
        planned: i.state,
        ...(i.desired.removal !== undefined ? { removal: true } : {}),
        because: i.because,
        applied: step?.outcome,
        error: i.error?.message,
      };
    }),
    failure: r.apply?.failure,
    rollback: r.apply?.rollback,
    revertFailures: r.apply?.revertFailures,
    runId: r.apply?.runId,
    confirm: r.confirm,
    batch: r.batch,
  };
}

export function deploySummary(hosts: readonly { status: HostStatus }[]): DeploySummary {
  const count = (s: HostStatus) => hosts.filter((r) => r.status === s).length;
  return { hosts: hosts.length, ok: count('ok'), changed: count('changed'), failed: count('failed'), unreachable: count('unreachable'), skipped: count('skipped') };
}

export function deployDocument(hosts: HostJson[], opts: { check?: boolean; seconds: number; shard?: ShardRecord; serial?: SerialJson }): DeployDocument {
  const doc: DeployDocument = { command: 'deploy', check: !!opts.check, seconds: Number(opts.seconds.toFixed(3)), summary: deploySummary(hosts), hosts };
  if (opts.shard) doc.shard = opts.shard;
  if (opts.serial) doc.serial = opts.serial;
  return doc;
}

export function fleetJson(command: 'deploy', results: HostResult[], opts: { check?: boolean; seconds: number; shard?: ShardRecord; serial?: SerialJson }): string {
  return JSON.stringify(deployDocument(results.map((r) => hostJson(r, !!opts.check)), opts), null, 2);
}
