/**
 * What the live view knows about a run, built from the engine's events: each host's phase and step
 * (its position among the plan's changes), counts per state kept as events arrive (O(1) each, so
 * 1,000 hosts cost nothing to summarise), and failures in the order they happened.
 */
import type { FleetEvent, HostResult, HostStatus } from '../engine/fleet.js';
import { changes } from '../engine/plan.js';
import { hostCounts, statusLabel, withoutHost } from './outcome.js';

/**
 * A batch of a rolling deploy (--serial): the engine announces each batch before it starts. Until
 * the engine emits it, no batch line is shown.
 */
export interface BatchEvent {
  kind: 'batch';
  /** 1-based. */
  index: number;
  count: number;
  hosts: string[];
}

export type LiveEvent = FleetEvent | BatchEvent;

export type LivePhase = 'waiting' | 'connecting' | 'planning' | 'applying';
export type LiveStateName = LivePhase | HostStatus;

export interface StepLabel {
  role: string;
  task: string;
}

export interface HostLive {
  name: string;
  state: LiveStateName;
  /** performance.now() when it left 'waiting'. */
  since?: number;
  /** The plan's changes, in apply order (set when planned). */
  todo?: StepLabel[];
  /** Index of each change's plan item → its 0-based position among the changes. */
  position?: Map<number, number>;
  /** Changes applied so far. */
  applied: number;
  resources?: number;
  /** Once done: what the recap will say, and why for a failure. */
  label?: string;
  detail?: string;
}

export interface Failure {
  host: string;
  status: HostStatus;
  label: string;
  detail: string;
}

export const PHASES: readonly LivePhase[] = ['applying', 'planning', 'connecting', 'waiting'];
export const DONE_STATES: readonly HostStatus[] = ['changed', 'ok', 'failed', 'unreachable', 'skipped'];

export class LiveState {
  readonly hosts = new Map<string, HostLive>();
  readonly order: string[];
  readonly counts = new Map<LiveStateName, number>();
  /** Hosts between connecting and done, in the order they started. */
  readonly active = new Set<string>();
  readonly failures: Failure[] = [];
  batch?: { index: number; count: number; hosts: Set<string>; done: number };
  readonly startedAt = performance.now();
  done = 0;

  constructor(
    hosts: readonly string[],
    readonly verb: string,
    readonly check = false,
  ) {
    this.order = [...hosts];
    for (const name of hosts) this.hosts.set(name, { name, state: 'waiting', applied: 0 });
    this.counts.set('waiting', hosts.length);
  }

  count(s: LiveStateName): number {
    return this.counts.get(s) ?? 0;
  }

  private move(h: HostLive, to: LiveStateName): void {
    if (h.state === to) return;
    this.counts.set(h.state, this.count(h.state) - 1);
    this.counts.set(to, this.count(to) + 1);
    if (h.state === 'waiting') h.since = performance.now();
    h.state = to;
  }

  onEvent(e: LiveEvent): void {
    if (e.kind === 'batch') {
      this.batch = { index: e.index, count: e.count, hosts: new Set(e.hosts), done: 0 };
      for (const name of e.hosts) if (this.isDone(name)) this.batch.done++;
      return;
    }
    const h = this.hosts.get(e.host);
    if (!h || this.isDone(e.host)) return;
    if (e.kind === 'phase' && e.phase !== 'done') {
      this.move(h, e.phase);
      this.active.add(h.name);
    }
    if (e.kind === 'planned') {
      const todo = changes(e.plan);
      h.todo = todo.map((i) => ({ role: i.desired.role, task: i.desired.task }));
      h.position = new Map(todo.map((i, n) => [i.index, n]));
      h.resources = e.plan.items.length;
    }
    if (e.kind === 'step') {
      const at = h.position?.get(e.step.item.index);
      h.applied = at === undefined ? h.applied + 1 : Math.max(h.applied, at + 1);
    }
    if (e.kind === 'result') this.finish(h, e.result);
  }

  private isDone(name: string): boolean {
    return (DONE_STATES as readonly string[]).includes(this.hosts.get(name)?.state ?? '');
  }

  private finish(h: HostLive, r: HostResult): void {
    this.move(h, r.status);
    this.active.delete(h.name);
    this.done++;
    if (this.batch?.hosts.has(h.name)) this.batch.done++;
    h.label = statusLabel(r, this.check);
    h.detail = withoutHost(h.name, resultDetail(r, this.check));
    if (r.status === 'failed' || r.status === 'unreachable') this.failures.push({ host: h.name, status: r.status, label: h.label, detail: h.detail });
  }

  /** What a host is doing now, e.g. `applying 23/47 firewall: mark VPN-half client traffic`. */
  activity(h: HostLive): string {
    if (h.label !== undefined) return h.detail ? `${h.label} — ${h.detail}` : h.label;
    if (h.state !== 'applying') return h.state === 'waiting' ? 'waiting' : `${h.state}…`;
    const total = h.todo?.length;
    if (total === undefined) return `${this.verb}…`;
    if (h.applied >= total) return `${this.verb} ${total}/${total}, finishing…`;
    const next = h.todo![h.applied]!;
    return `${this.verb} ${h.applied + 1}/${total} ${next.role}: ${next.task}`;
  }
}

/** A done host's reason (failed, unreachable) or what it did (changed). */
function resultDetail(r: HostResult, check: boolean): string {
  if (r.error) return r.error.short();
  if (r.apply?.failure) return `step ${r.apply.failure.id} failed (${r.apply.failure.phase}, exit ${r.apply.failure.exitCode})`;
  if (r.status === 'skipped') return 'not started';
  const c = hostCounts(r);
  if (!r.plan) return '';
  return c.changed ? `${c.changed} of ${r.plan.items.length} ${check ? 'to change' : 'changed'}` : `${r.plan.items.length} in sync`;
}
