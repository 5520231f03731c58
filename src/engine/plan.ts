/**
 * The plan: ONE batched, read-only round trip per host that runs every resource's check and reads
 * the journal. It is a proposal: apply re-checks each step in the same shell before acting.
 */
import { ProbeError } from '../errors.js';
import type { RoleName } from '../roles/order.js';
import type { DesiredResource } from '../roles/tasks.js';
import { orderWithRemovals, parseRemovals, removalProbe } from './applied.js';
import type { Transport } from '../transport/types.js';
import { journalFacts, type JournalFacts } from './journal.js';
import { Shell } from '../shell/sh.js';
import { hasMarker, markersOf, newToken, parseMarkers, type Marker } from './protocol/markers.js';
import { planScript, type ScriptContext } from './script.js';

export type PlanState = 'ok' | 'change' | 'error';

export interface PlanItem {
  index: number;
  desired: DesiredResource;
  state: PlanState;
  /** What the check printed: what is there instead (file content for diffs). Empty when secret. */
  current: string;
  /** Why it changes when the resource itself holds: a watched resource changes. */
  because?: string;
  error?: ProbeError;
  /** Held by the facts gathered once per host (src/modules/facts.ts), without running the check. */
  proved?: boolean;
}

export interface HostPlan {
  host: string;
  /** In the order they apply: the desired resources, with removals at their place (applied.ts). */
  items: PlanItem[];
  /** The roles the run covers, when it removes what they no longer want (applied.ts). */
  prune?: readonly RoleName[];
  /** With prune: the roles the host holds a record of, and each record's digest. */
  recorded?: ReadonlyMap<string, string>;
  facts: JournalFacts;
  /** Every marker the script printed (status reads its health probes from here). */
  markers: Marker[];
}

export interface PlanOptions {
  /**
   * The roles the run covers: what an earlier deploy applied in them and `desired` no longer holds
   * is planned as removals (a deploy and status; never a command that plans a part of the gateway).
   */
  prune?: readonly RoleName[];
}

export async function planHost(t: Transport, desired: DesiredResource[], ctx: Omit<ScriptContext, 'token'> = {}, extra?: Shell, opts: PlanOptions = {}): Promise<HostPlan> {
  const token = newToken();
  const probes = opts.prune ? Shell.join([removalProbe(desired, opts.prune), ...(extra ? [extra] : [])]) : extra;
  const res = await t.run(planScript({ ...ctx, token }, desired.map((d) => d.resource), probes));
  const markers = parseMarkers(token, res.stdout);
  if (!hasMarker(markers, 'end')) {
    throw new ProbeError(`${t.host}: the plan script did not finish (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  const items: PlanItem[] = desired.map((d, index) => ({ index, desired: d, state: 'error', current: '', ...(d.removal ? { because: d.removal } : {}) }));
  for (const c of markersOf(markers, 'check')) {
    const item = c.index === undefined ? undefined : items[c.index];
    if (!item) continue;
    item.current = item.desired.resource.secret ? '' : c.output;
    if (c.code === 0) {
      item.state = 'ok';
      if (c.proved === 'proved') item.proved = true;
    } else if (c.code === 1) item.state = 'change';
    else {
      item.state = 'error';
      item.error = new ProbeError(`${t.host} ${item.desired.resource.id}: check exited ${c.code}: ${c.stderr.trim() || 'no output'}`, {
        hint: 'the probe itself failed (not "absent"): is the tool installed and the host healthy?',
      });
    }
  }
  propagateWatches(items);
  const facts = journalFacts(markers);
  if (!opts.prune) return { host: t.host, items, facts, markers };
  const found = parseRemovals(t.host, markers, items.length);
  return { host: t.host, items: orderWithRemovals(items, found), prune: opts.prune, recorded: found.recorded, facts, markers };
}

/** A resource that watches a changing one (a daemon and its config) changes too. */
function propagateWatches(items: PlanItem[]): void {
  const byId = new Map(items.map((i) => [i.desired.resource.id, i]));
  for (const item of items) {
    if (item.state !== 'ok') continue;
    const changed = (item.desired.resource.watches ?? []).map((id) => byId.get(id)).find((w) => w && w.state === 'change');
    if (changed) {
      item.state = 'change';
      item.because = `${changed.desired.resource.id} changes`;
    }
  }
}

export function changes(plan: HostPlan): PlanItem[] {
  return plan.items.filter((i) => i.state === 'change');
}

/**
 * What the apply runs: the changes, and after the first removal every step that held at plan
 * time too, re-checked in the apply (a removal can take what a later step holds: OpenVPN deletes
 * the route to its server when it stops, the route the WireGuard endpoint shares). A step that
 * still holds is skipped, and a revert leaves it alone.
 */
export function applySteps(plan: HostPlan): PlanItem[] {
  const first = plan.items.findIndex((i) => i.state === 'change' && i.desired.removal !== undefined);
  return plan.items.filter((i, n) => i.state === 'change' || (first >= 0 && n > first && i.state === 'ok' && i.desired.removal === undefined));
}
