/**
 * Client addresses: which half of the WireGuard subnet a peer is in decides its path (the direct
 * half exits from the WAN address, the VPN half through the provider), so `fleet peer add` picks
 * a free address in the half the operator asks for, or checks the one given.
 */
import { FleetError } from '../errors.js';
import type { HostVars, Peer } from '../inventory/index.js';
import { HALVES, probeAddress, probeVariable } from '../verify/probe-address.js';
import { bigToIPv6, cidrContains, cidrContains6, familyOf, intToIPv4, ipv4ToInt, ipv6ToBig, isIPv4, parseCidr, parseCidr6, type Cidr } from '../types/net.js';

export type Half = 'direct' | 'vpn';

/** A peer request that cannot be met (bad address, full half, unknown peer): bad input. */
export class PeerError extends FleetError {
  override readonly code = 'PEER';
  override readonly title = 'peer';
}

function range(v: HostVars, half: Half): { text: string; cidr: Cidr } {
  const text = half === 'direct' ? v.wg_direct_range : v.wg_vpn_range;
  const c = parseCidr(text);
  if (!c) throw new PeerError(`${half} range ${text} is not a CIDR`);
  return { text, cidr: c };
}

/** Every address already taken: the gateway's own and every peer's allowed IPs (whole ranges). */
export function takenAddresses(v: HostVars): { ip: number; prefix: number; who: string }[] {
  const out: { ip: number; prefix: number; who: string }[] = [];
  const gw = parseCidr(v.wg_address);
  if (gw) out.push({ ip: ipv4ToInt(gw.address), prefix: 32, who: `the gateway (${v.wg_interface})` });
  for (const half of HALVES) out.push({ ip: ipv4ToInt(probeAddress(v, half)), prefix: 32, who: `fleet verify's ${half} probe (${probeVariable(half)})` });
  for (const p of v.wg_peers) {
    for (const a of p.allowed_ips) {
      const c = parseCidr(a);
      if (c) out.push({ ip: ipv4ToInt(c.address), prefix: c.prefix, who: `peer ${p.name}` });
    }
  }
  return out;
}

/** First address and size of the block a CIDR is in. */
function block(c: Cidr): { base: number; size: number } {
  const size = 2 ** (32 - c.prefix);
  return { base: Math.floor(ipv4ToInt(c.address) / size) * size, size };
}

function takenBy(taken: ReturnType<typeof takenAddresses>, ip: number): string | undefined {
  for (const t of taken) {
    const size = 2 ** (32 - t.prefix);
    if (Math.floor(ip / size) === Math.floor(t.ip / size)) return t.who;
  }
  return undefined;
}

/** Which half an address is in (undefined: neither). */
export function halfOf(v: HostVars, ip: string): Half | undefined {
  if (familyOf(ip) === 6) {
    for (const [half, text] of [['direct', v.wg_direct_range6], ['vpn', v.wg_vpn_range6]] as const) {
      const c = parseCidr6(text);
      if (c && cidrContains6(c, ip)) return half;
    }
    return undefined;
  }
  if (cidrContains(range(v, 'direct').cidr, ip)) return 'direct';
  if (cidrContains(range(v, 'vpn').cidr, ip)) return 'vpn';
  return undefined;
}

/**
 * The lowest free host address of the half (never the network or broadcast address of the
 * WireGuard subnet, nor the gateway's own). With `wanted`, checks that one instead.
 * @throws PeerError when the half is full, or `wanted` is outside it or taken
 */
export function allocateAddress(v: HostVars, half: Half, wanted?: string): string {
  const { text, cidr } = range(v, half);
  const taken = takenAddresses(v);
  const subnet = parseCidr(v.wg_subnet);
  // Only the whole subnet's network and broadcast addresses are special: a /25 half's own first
  // and last addresses are ordinary hosts of the /24.
  const reserved = new Set<number>();
  if (subnet) {
    const { base, size } = block(subnet);
    if (size > 2) reserved.add(base).add(base + size - 1);
  }
  if (wanted !== undefined) {
    if (!isIPv4(wanted)) throw new PeerError(`--address ${wanted} is not an IPv4 address`);
    if (!cidrContains(cidr, wanted)) {
      const other = halfOf(v, wanted);
      throw new PeerError(`${wanted} is not in the ${half} half (${text})${other ? `: it is in the ${other} half` : ''}`, {
        hint: other ? `use --half ${other}, or an address in ${text}` : `pick an address in ${text}`,
      });
    }
    const n = ipv4ToInt(wanted);
    if (reserved.has(n)) throw new PeerError(`${wanted} is the subnet's network or broadcast address`);
    const who = takenBy(taken, n);
    if (who) throw new PeerError(`${wanted} is taken by ${who}`, { hint: 'leave out --address to get a free one' });
    return wanted;
  }
  const { base, size } = block(cidr);
  for (let n = base; n < base + size; n++) {
    if (!reserved.has(n) && !takenBy(taken, n)) return intToIPv4(n);
  }
  throw new PeerError(`no free address in the ${half} half (${text}) of ${v.wg_subnet}`, { hint: 'remove a peer first (fleet peer remove)' });
}

/**
 * The peer's IPv6 address, derived from its IPv4 one so an operator can tell them apart at a
 * glance: its half's first IPv6 address plus the IPv4 address's offset in wg_subnet (10.4.0.10 ->
 * fd00:10:4::a, 10.4.0.200 -> fd00:10:4:0:8000::c8 with the defaults).
 * @throws PeerError when that lies outside the IPv6 half or another peer holds it
 */
export function address6For(v: HostVars, half: Half, v4: string): string {
  const range6 = half === 'direct' ? v.wg_direct_range6 : v.wg_vpn_range6;
  const c6 = parseCidr6(range6);
  const subnet = parseCidr(v.wg_subnet);
  if (!c6 || !subnet) throw new PeerError(`${half} IPv6 range ${range6} is not a CIDR`);
  const offset = BigInt(ipv4ToInt(v4) - ipv4ToInt(subnet.address));
  const address = bigToIPv6(ipv6ToBig(c6.address) + offset);
  if (!cidrContains6(c6, address)) throw new PeerError(`${address} (for ${v4}) is outside the ${half} IPv6 half ${range6}`, { hint: 'widen the IPv6 half, or pick a lower IPv4 address' });
  for (const p of v.wg_peers) {
    for (const a of p.allowed_ips) {
      const c = familyOf(a) === 6 ? parseCidr6(a) : undefined;
      if (c && cidrContains6(c, address)) throw new PeerError(`${address} (the IPv6 address for ${v4}) is taken by peer ${p.name}`, { hint: 'pick another --address' });
    }
  }
  return address;
}

/** The peer of `name`, or undefined. */
export function findPeer(v: HostVars, name: string): Peer | undefined {
  return v.wg_peers.find((p) => p.name === name);
}
