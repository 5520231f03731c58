/**
 * The reserved probe address of each half: where `fleet verify`'s throwaway client sits while it
 * proves the half's path. Default: the last address of the half, or the one before it when that
 * is the broadcast address of the WireGuard subnet (the VPN half's last address usually is: a
 * packet from it would be dropped as a martian). The inventory rules refuse a peer that takes one.
 */
import type { HostVars } from '../inventory/schema.js';
import type { PathSeg } from '../inventory/locate.js';
import { cidrContains, intToIPv4, ipv4ToInt, parseCidr } from '../types/net.js';

export type Half = 'direct' | 'vpn';

export const HALVES: readonly Half[] = ['direct', 'vpn'];

type ProbeVars = Pick<HostVars, 'wg_subnet' | 'wg_direct_range' | 'wg_vpn_range' | 'verify_probe_direct' | 'verify_probe_vpn'>;

function lastOf(cidr: string): number {
  const c = parseCidr(cidr)!;
  const size = 2 ** (32 - c.prefix);
  return Math.floor(ipv4ToInt(c.address) / size) * size + size - 1;
}

export function defaultProbeAddress(v: Pick<HostVars, 'wg_subnet' | 'wg_direct_range' | 'wg_vpn_range'>, half: Half): string {
  const last = lastOf(half === 'direct' ? v.wg_direct_range : v.wg_vpn_range);
  return intToIPv4(last === lastOf(v.wg_subnet) ? last - 1 : last);
}

export function probeAddress(v: ProbeVars, half: Half): string {
  return (half === 'direct' ? v.verify_probe_direct : v.verify_probe_vpn) ?? defaultProbeAddress(v, half);
}

export const probeVariable = (half: Half) => (half === 'direct' ? 'verify_probe_direct' : 'verify_probe_vpn');

/** Rule findings (src/inventory/rules.ts): each probe address inside its half, and no peer's. */
export function probeAddressIssues(v: HostVars): { path: PathSeg[]; message: string }[] {
  const out: { path: PathSeg[]; message: string }[] = [];
  for (const half of HALVES) {
    const addr = probeAddress(v, half);
    const range = half === 'direct' ? v.wg_direct_range : v.wg_vpn_range;
    const given = (half === 'direct' ? v.verify_probe_direct : v.verify_probe_vpn) !== undefined;
    if (given && !cidrContains(parseCidr(range)!, addr)) {
      out.push({ path: [probeVariable(half)], message: `expected an address in the ${half} half ${range}, received ${addr}` });
      continue;
    }
    v.wg_peers.forEach((peer, i) => {
      peer.allowed_ips.forEach((ip, j) => {
        const c = parseCidr(ip);
        if (c && cidrContains(c, addr)) {
          out.push({ path: ['wg_peers', i, 'allowed_ips', j], message: `${ip} of peer ${peer.name} takes ${addr}, the ${half} half's probe address for fleet verify (${probeVariable(half)}): give the peer another address, or set ${probeVariable(half)}` });
        }
      });
    });
  }
  return out;
}
