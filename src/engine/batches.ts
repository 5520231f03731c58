/**
 * Rolling deploys (`--serial`, with Ansible's meaning): the selected hosts in batches, in host
 * order; a batch starts only once the previous one has applied, confirmed and passed its health
 * gate. What a batch runs and what its gate checks are the caller's (deploy, status, verify); this
 * module owns the batching and the rules for stopping.
 */
import { BatchGateError, SerialStoppedError, UsageError } from '../errors.js';
import type { HostResult } from './fleet.js';

/** One entry of a --serial list: a host count or a percentage of the selected hosts. */
export type SerialStep = { count: number } | { percent: number };

/** Parses `1`, `10%`, `1,10%,100%`. */
export function parseSerial(spec: string): SerialStep[] {
  const parts = spec.split(',').map((p) => p.trim());
  if (!spec.trim() || parts.some((p) => !p)) throw new UsageError(`--serial: expected a list like 1,10%,100%, got '${spec}'`);
  return parts.map((p) => {
    const m = /^(\d{1,9})(%?)$/.exec(p);
    const n = m ? Number(m[1]) : NaN;
    if (!m || n < 1 || (m[2] && n > 100)) throw new UsageError(`--serial: '${p}' is neither a host count (1 or more) nor a percentage (1%-100%), in '${spec}'`);
    return m[2] ? { percent: n } : { count: n };
  });
}

/**
 * Batch sizes for `total` hosts, as Ansible computes them: a percentage is of all selected hosts,
 * rounded down but at least 1; the last entry repeats until every host has a batch.
 */
export function batchSizes(total: number, steps: readonly SerialStep[]): number[] {
  const sizes: number[] = [];
  let left = total;
  for (let i = 0; left > 0; i++) {
    const step = steps[Math.min(i, steps.length - 1)] ?? { count: total };
    const size = 'count' in step ? step.count : Math.max(1, Math.floor((step.percent / 100) * total));
    sizes.push(Math.min(size, left));
    left -= size;
  }
  return sizes;
}

export function splitBatches<T>(items: readonly T[], steps: readonly SerialStep[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const size of batchSizes(items.length, steps)) {
    out.push(items.slice(at, at + size));
    at += size;
  }
  return out;
}

/** What a batch's health gate found for each host it checked. */
export interface GateVerdict {
  host: string;
  ok: boolean;
  /** Why not, as the operator reads it ("2 resources drifted", "unreachable: ..."). */
  reason?: string;
}

export interface BatchRecord {
  /** 1-based. */
  batch: number;
  hosts: string[];
  startedAt: string;
  /** When the gate finished (or the batch ended, when no gate ran). */
  finishedAt: string;
  gate: 'passed' | 'failed' | 'not run';
  /** Why the run stopped after this batch, when it did. */
  stopped?: string;
}

export interface BatchedRun {
  results: HostResult[];
  batches: BatchRecord[];
  /** The batch after which the run stopped, and why; undefined when every batch ran. */
  stopped?: { batch: number; reason: string };
}

export interface BatchPolicy {
  failFast?: boolean;
  /** Per batch, as Ansible's max_fail_percentage: stop when more than this share of a batch failed. */
  maxFailPercent?: number;
  /** No gate (a --check run changes nothing, so there is nothing to gate). */
  skipGate?: boolean;
  /**
   * A host result that is the gate's verdict rather than the deploy's own failure (deploy
   * --verify's failed proof, already rolled back): it fails the gate.
   */
  failsGate?: (r: HostResult) => boolean;
}

export interface BatchCallbacks<H extends { name: string }> {
  /** Deploys (and confirms, verifies) one batch. */
  run(hosts: H[], batch: number): Promise<HostResult[]>;
  /** The health gate over the hosts of the batch that deployed; one verdict per host. */
  gate(hosts: H[], batch: number): Promise<GateVerdict[]>;
  /** Told of hosts the run will not start (later batches after a stop). */
  onSkipped?(results: HostResult[]): void;
}

const failedStatuses = new Set(['failed', 'unreachable']);

/** Why a batch's own failures stop the run (Ansible's rules), or undefined. */
function failureStop(results: readonly HostResult[], policy: BatchPolicy): string | undefined {
  const failed = results.filter((r) => failedStatuses.has(r.status)).length;
  if (!failed) return undefined;
  if (failed === results.length) return `every host of the batch failed (${failed})`;
  if (policy.failFast) return `${failed} host(s) failed and --fail-fast is set`;
  const pct = (failed / results.length) * 100;
  if (policy.maxFailPercent !== undefined && pct > policy.maxFailPercent) return `${failed} of ${results.length} hosts failed (${pct.toFixed(0)}% > --max-fail-percent ${policy.maxFailPercent})`;
  return undefined;
}

export async function runInBatches<H extends { name: string }>(batches: H[][], policy: BatchPolicy, cb: BatchCallbacks<H>): Promise<BatchedRun> {
  const results: HostResult[] = [];
  const records: BatchRecord[] = [];
  for (const [i, hosts] of batches.entries()) {
    const batch = i + 1;
    const startedAt = new Date().toISOString();
    const ran = (await cb.run(hosts, batch)).map((r) => ({ ...r, batch }));
    const proofs = ran.filter((r) => policy.failsGate?.(r));
    let stop = failureStop(ran.filter((r) => !proofs.includes(r)), policy);
    let gate: BatchRecord['gate'] = 'not run';
    if (!stop && proofs.length) {
      gate = 'failed';
      stop = `health gate failed: the proof failed on ${proofs.map((r) => r.host).join(', ')} (rolled back)`;
    }
    const deployed = hosts.filter((h) => ran.some((r) => r.host === h.name && !failedStatuses.has(r.status) && r.status !== 'skipped'));
    if (!stop && !policy.skipGate && deployed.length) {
      const verdicts = await cb.gate(deployed, batch);
      const bad = new Map(verdicts.filter((v) => !v.ok).map((v) => [v.host, v]));
      gate = bad.size ? 'failed' : 'passed';
      if (bad.size) {
        stop = `health gate failed on ${[...bad.values()].map((v) => `${v.host} (${v.reason ?? 'not healthy'})`).join(', ')}`;
        for (const [k, r] of ran.entries()) {
          const v = bad.get(r.host);
          if (v) ran[k] = { ...r, status: 'failed', error: new BatchGateError(`${r.host}: deployed, but batch ${batch}'s health gate found it ${v.reason ?? 'not healthy'}`, { hint: `look at it with 'fleet status --limit ${r.host} --verbose'; later batches were not started` }) };
        }
      }
    }
    results.push(...ran);
    records.push({ batch, hosts: hosts.map((h) => h.name), startedAt, finishedAt: new Date().toISOString(), gate, stopped: stop });
    if (stop) {
      const skipped: HostResult[] = batches.slice(i + 1).flatMap((later, j) =>
        later.map((h) => ({
          host: h.name,
          status: 'skipped' as const,
          batch: batch + 1 + j,
          error: new SerialStoppedError(`${h.name}: not started: the rolling deploy stopped after batch ${batch}: ${stop}`, { hint: 'fix the batch that stopped, then deploy again' }),
          roundTrips: 0,
          seconds: 0,
        })),
      );
      cb.onSkipped?.(skipped);
      results.push(...skipped);
      return { results, batches: records, stopped: { batch, reason: stop } };
    }
  }
  return { results, batches: records };
}
