/**
 * `fleet status`: the live state of each gateway in ONE read-only round trip: every desired
 * resource's check (drift), the journal and lock, and the health probes the roles declare
 * (src/roles/health.ts). Nothing here writes to the host.
 */
import type { Host } from '../inventory/index.js';
import { healthProbe, isHealthy, parseHealth, type GatewayHealth } from '../roles/health.js';
import { metricsTimerProbe, parseMetricsTimer, type MetricsTimerStatus } from '../metrics/timer.js';
import type { RoleName } from '../roles/order.js';
import type { DesiredResource } from '../roles/tasks.js';
import { Shell } from '../shell/sh.js';
import type { Transport } from '../transport/types.js';
import { isUnfinished, type JournalFacts } from './journal.js';
import { planHost, type PlanItem } from './plan.js';
import type { ScriptContext } from './script.js';

export interface HostStatusReport {
  host: string;
  reachable: boolean;
  unreachableReason?: string;
  health?: GatewayHealth;
  /** Where systemd runs the metrics timer (roles/metrics). */
  metricsTimer?: MetricsTimerStatus;
  drift?: { count: number; items: { id: string; role: string; state: string; current?: string; error?: string }[] };
  journal?: JournalFacts & { unfinished: boolean };
  healthy: boolean;
  inSync: boolean;
  roundTrips: number;
  seconds: number;
}

function driftItems(items: PlanItem[]): NonNullable<HostStatusReport['drift']>['items'] {
  return items
    .filter((i) => i.state !== 'ok')
    .map((i) => ({
      id: i.desired.resource.id,
      role: i.desired.role,
      state: i.state === 'error' ? 'probe-error' : i.desired.removal !== undefined ? 'to-remove' : 'drifted',
      current: i.current || undefined,
      error: i.error?.message,
    }));
}

export type { GatewayHealth, PeerStatus } from '../roles/health.js';

/** `prune`: the roles whose no longer wanted resources count as drift (a deploy removes them). */
export async function statusHost(
  host: Host,
  t: Transport,
  desired: DesiredResource[],
  ctx: Omit<ScriptContext, 'token'> = {},
  prune?: readonly RoleName[],
): Promise<Omit<HostStatusReport, 'roundTrips' | 'seconds'>> {
  const plan = await planHost(t, desired, ctx, Shell.join([healthProbe(host.vars, desired), metricsTimerProbe()]), { prune });
  const health = parseHealth(plan.markers, host.vars);
  const metricsTimer = parseMetricsTimer(plan.markers);
  const items = driftItems(plan.items);
  const unfinished = isUnfinished(plan.facts);
  const healthy = isHealthy(health, desired) && !unfinished;
  return {
    host: host.name,
    reachable: true,
    health,
    ...(metricsTimer ? { metricsTimer } : {}),
    drift: { count: items.length, items },
    journal: { ...plan.facts, unfinished },
    healthy,
    inSync: items.length === 0,
  };
}
