/**
 * Rules that keep the VPN half's promise at validation time: traffic leaves through the provider,
 * never the WAN. The routing role puts `local_networks` (to main) and `vpn_destinations` (to the
 * VPN table) ahead of the fwmark rules, so a broad entry there rewrites the whole routing policy:
 *   - a local network covering the default route sends every packet, VPN half included, out of
 *     the WAN by the main table; one shorter than /8 sends a large part of the internet that way;
 *   - a VPN destination covering the default route sends the gateway's own traffic (its SSH
 *     replies to the controller, its package downloads) into the tunnel.
 * The default route (0.0.0.0/0, ::/0) is always refused; an IPv4 network shorter than /8, or an
 * IPv6 one shorter than /16 that reaches into the global unicast space 2000::/3 (fc00::/7 and
 * fe80::/10 stay local), only with `allow_broad_local_networks: true`. The table behind the VPN table must be a table of its own.
 */
import type { PathSeg } from './locate.js';
import type { HostVars } from './schema.js';
import { cidrContains6, parseAnyCidr } from '../types/net.js';

export interface NetworkFinding {
  host: string;
  path: PathSeg[];
  message: string;
  severity: 'error';
}

/** The shortest prefix accepted without `allow_broad_local_networks`. */
export const NARROWEST_BROAD_PREFIX = 8;
/** The same for IPv6, for networks that reach into the global unicast space. */
export const NARROWEST_BROAD_PREFIX6 = 16;

/** An IPv6 network and 2000::/3 (all global unicast addresses) share addresses. */
function reachesGlobalUnicast(address: string, prefix: number): boolean {
  return prefix <= 3 ? cidrContains6({ address, prefix }, '2000::') : cidrContains6({ address: '2000::', prefix: 3 }, address);
}

function broadness(field: 'local_networks' | 'vpn_destinations', text: string, allowBroad: boolean): string | undefined {
  const c = parseAnyCidr(text);
  if (!c) return undefined;
  const prefix = c.prefix;
  const why =
    field === 'local_networks'
      ? 'sends VPN-half traffic out of the WAN (its rule comes before the VPN rules)'
      : "sends the gateway's own traffic (SSH included) into the tunnel";
  if (field === 'vpn_destinations' && c.family === 6) {
    return `${text} is IPv6: IPv6 leaves through the VPN only where the provider's tunnel has IPv6 (else it is refused), so this destination could have no way through the VPN; list IPv4 destinations`;
  }
  if (prefix === 0) return `${text} is the default route: a rule for it ${why}; list the networks themselves`;
  const narrowest = c.family === 6 ? NARROWEST_BROAD_PREFIX6 : NARROWEST_BROAD_PREFIX;
  const broad = prefix < narrowest && (c.family === 4 || reachesGlobalUnicast(c.address, prefix));
  if (broad && !allowBroad) {
    return `${text} is broader than /${narrowest}: a rule for it ${why} for a large part of the internet; list narrower networks, or set allow_broad_local_networks: true if you mean it`;
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
