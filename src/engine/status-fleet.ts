/**
 * `fleet status` over many hosts: each host's report, an unreachable host as a report saying why.
 * Shared by the status command and a rolling deploy's health gate (batches.ts).
 */
import { FleetError, TransportError } from '../errors.js';
import type { Host } from '../inventory/index.js';
import type { RoleName } from '../roles/order.js';
import type { DesiredResource } from '../roles/tasks.js';
import { withEachHost, type FleetOptions } from './fleet.js';
import { statusHost, type HostStatusReport } from './status.js';

export async function statusFleet(
  hosts: Host[],
  desired: Map<string, DesiredResource[]>,
  opts: Pick<FleetOptions, 'forks' | 'ssh' | 'connect'> & { prune?: readonly RoleName[] },
): Promise<HostStatusReport[]> {
  return withEachHost<HostStatusReport>(
    hosts,
    opts,
    async (host, t, started) => ({ ...(await statusHost(host, t, desired.get(host.name) ?? [], {}, opts.prune)), roundTrips: t.roundTrips, seconds: (performance.now() - started) / 1000 }),
    (host, err, t, started) => {
      if (t && !(err instanceof TransportError)) throw err;
      const reason = err instanceof TransportError ? `${err.reason}: ${err.message.replace(`${host.name}: `, '')}` : (err as FleetError).message;
      return { host: host.name, reachable: false, unreachableReason: reason, healthy: false, inSync: false, roundTrips: t?.roundTrips ?? 0, seconds: (performance.now() - started) / 1000 };
    },
  );
}

/** The health gate's verdict on one status report: healthy with 0 drift, or why not. */
export function gateVerdict(r: HostStatusReport): { host: string; ok: boolean; reason?: string } {
  if (!r.reachable) return { host: r.host, ok: false, reason: `unreachable (${r.unreachableReason ?? 'no reason given'})` };
  const why: string[] = [];
  if (r.journal?.unfinished) why.push('an unfinished run in its journal');
  if (r.drift?.count) why.push(`${r.drift.count} resource(s) drifted: ${r.drift.items.slice(0, 3).map((i) => i.id).join(', ')}${r.drift.count > 3 ? ', ...' : ''}`);
  const h = r.health;
  if (!r.healthy && h) {
    if (!h.wg.up) why.push('wg0 down');
    if (!(h.upstream?.up ?? (h.openvpn.running && h.openvpn.tun.up))) why.push('the provider tunnel down');
    if (!h.dnsmasq.running || h.dnsmasq.answering === false) why.push('dnsmasq not answering');
  }
  if (!r.healthy && !why.length) why.push('unhealthy');
  if (!r.inSync && !why.length) why.push('not in sync');
  return why.length ? { host: r.host, ok: false, reason: why.join('; ') } : { host: r.host, ok: true };
}
