/**
 * Rules that keep the VPN half's promise at validation time: traffic leaves through the provider,
 * never the WAN. The routing role puts `local_networks` (to main) and `vpn_destinations` (to the
 * VPN table) ahead of the fwmark rules, so a broad entry there rewrites the whole routing policy:
 *   - a local network covering the default route sends every packet, VPN half included, out of
 *     the WAN by the main table; one shorter than /8 sends a large part of the internet that way;
 *   - a VPN destination covering the default route sends the gateway's own traffic (its SSH
 *     replies to the controller, its package downloads) into the tunnel.
 * The default route is always refused; anything shorter than /8 only with
 * `allow_broad_local_networks: true`. The table behind the VPN table must be a table of its own.
 */
import type { PathSeg } from './locate.js';
import type { HostVars } from './schema.js';
import { parseCidr } from '../types/net.js';

export interface NetworkFinding {
  host: string;
  path: PathSeg[];
  message: string;
  severity: 'error';
}

/** The shortest prefix accepted without `allow_broad_local_networks`. */
export const NARROWEST_BROAD_PREFIX = 8;

function broadness(field: 'local_networks' | 'vpn_destinations', text: string, allowBroad: boolean): string | undefined {
  const prefix = parseCidr(text)?.prefix;
  if (prefix === undefined) return undefined;
  const why =
    field === 'local_networks'
      ? 'sends VPN-half traffic out of the WAN (its rule comes before the VPN rules)'
      : "sends the gateway's own traffic (SSH included) into the tunnel";
  if (prefix === 0) return `${text} is the default route: a rule for it ${why}; list the networks themselves`;
  if (prefix < NARROWEST_BROAD_PREFIX && !allowBroad) {
    return `${text} is broader than /${NARROWEST_BROAD_PREFIX}: a rule for it ${why} for a large part of the internet; list narrower networks, or set allow_broad_local_networks: true if you mean it`;
  }
  return undefined;
}

export function checkPrivacyNetworks(host: string, v: HostVars): NetworkFinding[] {
  const out: NetworkFinding[] = [];
  for (const field of ['local_networks', 'vpn_destinations'] as const) {
    v[field].forEach((text, i) => {
      const message = broadness(field, text, v.allow_broad_local_networks);
      if (message) out.push({ host, path: [field, i], message, severity: 'error' });
    });
  }
  if (v.vpn_unreachable_table === v.vpn_table) {
    out.push({ host, path: ['vpn_unreachable_table'], severity: 'error', message: `vpn_unreachable_table must differ from vpn_table (both are ${v.vpn_table}): it is the table the VPN half falls to when vpn_table has no route` });
  }
  return out;
}
