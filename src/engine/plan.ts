/**
 * The plan: ONE batched, read-only round trip per host that runs every resource's check and reads
 * the journal. It is a proposal: apply re-checks each step in the same shell before acting.
 */
import { ProbeError } from '../errors.js';
import type { DesiredResource } from '../roles/tasks.js';
import type { Transport } from '../transport/types.js';
import { journalFacts, type JournalFacts } from './journal.js';
import type { Shell } from '../shell/sh.js';
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
  items: PlanItem[];
  facts: JournalFacts;
  /** Every marker the script printed (status reads its health probes from here). */
  markers: Marker[];
}

export async function planHost(t: Transport, desired: DesiredResource[], ctx: Omit<ScriptContext, 'token'> = {}, extra?: Shell): Promise<HostPlan> {
  const token = newToken();
  const res = await t.run(planScript({ ...ctx, token }, desired.map((d) => d.resource), extra));
  const markers = parseMarkers(token, res.stdout);
  if (!hasMarker(markers, 'end')) {
    throw new ProbeError(`${t.host}: the plan script did not finish (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  const items: PlanItem[] = desired.map((d, index) => ({ index, desired: d, state: 'error', current: '' }));
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
  return { host: t.host, items, facts: journalFacts(markers), markers };
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
