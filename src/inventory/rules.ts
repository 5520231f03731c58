/**
 * Cross-field rules: what the schema cannot see field by field. They run on validated variables,
 * so every CIDR and address here is well-formed. A rule names the field path it is about; the
 * loader turns that into the file:line where the value was defined.
 *
 * Errors, because the gateway would not work as described:
 *   - wg_direct_range and wg_vpn_range inside wg_subnet, and not overlapping (the address decides
 *     the path: an address in both halves has no single path)
 *   - wg_address inside wg_subnet
 *   - the same for IPv6: wg_direct_range6 and wg_vpn_range6 inside wg_subnet6 and apart,
 *     wg_address6 inside wg_subnet6, and each peer's IPv6 allowed_ips inside wg_subnet6
 *   - each peer's allowed_ips inside wg_subnet, not overlapping another peer's
 *   - peer names and public keys unique per host
 *   - vpn_mark differs from dns_mark (they select different traffic)
 *   - veth_host_address and veth_ns_address in one subnet, distinct, and that subnet outside wg_subnet
 *     (and veth_host_address6 and veth_ns_address6 alike, outside wg_subnet6)
 *   - a non-root user has become: true (every step needs root)
 *   - across hosts: no two hosts connect to the same address and port (two entries for one
 *     machine would undo each other's deploys)
 * Warning only:
 *   - across hosts, the same wan_ip: gateways in separate private networks (two cloud VPCs, say)
 *     may well share a private WAN address such as 10.0.1.191.
 */
import type { PathSeg } from './locate.js';
import type { HostVars } from './schema.js';
import { cidrContains, cidrContains6, familyOf, ipv4ToInt, networkOf, networkOf6, parseCidr, parseCidr6, type Cidr } from '../types/net.js';
import { checkPrivacyNetworks } from './network-rules.js';
import { probeAddressIssues } from '../verify/probe-address.js';

export interface RuleFinding {
  host: string;
  path: PathSeg[];
  message: string;
  severity: 'error' | 'warning';
}

function net(s: string): Cidr {
  const c = parseCidr(s)!;
  return { address: networkOf(c), prefix: c.prefix };
}

/** `inner` lies entirely inside `outer`. */
export function cidrInside(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContains(outer, inner.address);
}

export function cidrOverlap(a: Cidr, b: Cidr): boolean {
  return a.prefix <= b.prefix ? cidrContains(a, b.address) : cidrContains(b, a.address);
}

const show = (c: Cidr) => `${c.address}/${c.prefix}`;

function net6(s: string): Cidr {
  const c = parseCidr6(s)!;
  return { address: networkOf6(c), prefix: c.prefix };
}

function inside6(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && cidrContains6(outer, inner.address);
}

function overlap6(a: Cidr, b: Cidr): boolean {
  return a.prefix <= b.prefix ? cidrContains6(a, b.address) : cidrContains6(b, a.address);
}

/** The IPv6 halves and address: the same rules as for IPv4. */
function checkSubnet6(v: HostVars, error: (path: PathSeg[], message: string) => void): void {
  const subnet = net6(v.wg_subnet6);
  const direct = net6(v.wg_direct_range6);
  const vpn = net6(v.wg_vpn_range6);
  if (!inside6(direct, subnet)) error(['wg_direct_range6'], `expected a range inside wg_subnet6 ${show(subnet)}, received ${v.wg_direct_range6}`);
  if (!inside6(vpn, subnet)) error(['wg_vpn_range6'], `expected a range inside wg_subnet6 ${show(subnet)}, received ${v.wg_vpn_range6}`);
  if (overlap6(direct, vpn)) {
    error(['wg_vpn_range6'], `${v.wg_vpn_range6} overlaps wg_direct_range6 ${v.wg_direct_range6}: a client address must decide one path (e.g. fd00:10:4::/65 and fd00:10:4:0:8000::/65)`);
  }
  if (!cidrContains6(subnet, parseCidr6(v.wg_address6)!.address)) error(['wg_address6'], `expected an address inside wg_subnet6 ${show(subnet)}, received ${v.wg_address6}`);
  checkVeth6(v, subnet, error);
}

/** The veth pair's IPv6: one subnet, two addresses, apart from the WireGuard clients'. */
function checkVeth6(v: HostVars, subnet: Cidr, error: (path: PathSeg[], message: string) => void): void {
  const vh = parseCidr6(v.veth_host_address6)!;
  const vn = parseCidr6(v.veth_ns_address6)!;
  const vethNet = { address: networkOf6(vh), prefix: vh.prefix };
  if (vh.prefix !== vn.prefix || vethNet.address !== networkOf6(vn)) {
    error(['veth_ns_address6'], `expected an address in the subnet of veth_host_address6 ${show(vethNet)}, received ${v.veth_ns_address6}`);
  } else if (vh.address === vn.address) {
    error(['veth_ns_address6'], `veth_ns_address6 must differ from veth_host_address6 (both ${vh.address})`);
  }
  if (overlap6(vethNet, subnet)) {
    error(['veth_host_address6'], `the veth IPv6 subnet ${show(vethNet)} overlaps wg_subnet6 ${show(subnet)}: pick a separate subnet (e.g. fd00:200:1::/64)`);
  }
}

/** A peer's allowed IP as a network of its family, or an error message. */
function peerNetwork(v: HostVars, text: string): { cidr: Cidr; six: boolean } | string {
  const six = familyOf(text) === 6;
  const c = six ? parseCidr6(text) : parseCidr(text);
  if (!c) return `expected an address with prefix like 10.4.0.2/32 or fd00:10:4::2/128, received ${JSON.stringify(text)}`;
  const cidr = { address: six ? networkOf6(c) : networkOf(c), prefix: c.prefix };
  const subnet = six ? net6(v.wg_subnet6) : net(v.wg_subnet);
  if (!(six ? inside6(cidr, subnet) : cidrInside(cidr, subnet))) return `expected addresses inside ${six ? 'wg_subnet6' : 'wg_subnet'} ${show(subnet)}, received ${text}`;
  return { cidr, six };
}

export function checkHost(host: string, v: HostVars): RuleFinding[] {
  const out: RuleFinding[] = [];
  const error = (path: PathSeg[], message: string) => out.push({ host, path, message, severity: 'error' });

  const subnet = net(v.wg_subnet);
  const direct = net(v.wg_direct_range);
  const vpn = net(v.wg_vpn_range);
  if (!cidrInside(direct, subnet)) error(['wg_direct_range'], `expected a range inside wg_subnet ${show(subnet)}, received ${v.wg_direct_range}`);
  if (!cidrInside(vpn, subnet)) error(['wg_vpn_range'], `expected a range inside wg_subnet ${show(subnet)}, received ${v.wg_vpn_range}`);
  if (cidrOverlap(direct, vpn)) {
    error(['wg_vpn_range'], `${v.wg_vpn_range} overlaps wg_direct_range ${v.wg_direct_range}: a client address must decide one path (e.g. 10.4.0.0/25 and 10.4.0.128/25)`);
  }

  const wgIp = parseCidr(v.wg_address)!.address;
  if (!cidrContains(subnet, wgIp)) error(['wg_address'], `expected an address inside wg_subnet ${show(subnet)}, received ${v.wg_address}`);

  const names = new Map<string, number>();
  const keys = new Map<string, number>();
  checkSubnet6(v, error);
  const claimed: { peer: number; ip: number; cidr: Cidr; six: boolean; text: string }[] = [];
  v.wg_peers.forEach((peer, i) => {
    const dupName = names.get(peer.name);
    if (dupName !== undefined) error(['wg_peers', i, 'name'], `peer name ${peer.name} is already used by wg_peers[${dupName}]`);
    else names.set(peer.name, i);
    const dupKey = keys.get(peer.public_key);
    if (dupKey !== undefined) error(['wg_peers', i, 'public_key'], `public key of ${peer.name} is already used by peer ${v.wg_peers[dupKey]!.name}: each peer needs its own key`);
    else keys.set(peer.public_key, i);
    peer.allowed_ips.forEach((text, j) => {
      const pn = peerNetwork(v, text);
      if (typeof pn === 'string') {
        error(['wg_peers', i, 'allowed_ips', j], pn);
        return;
      }
      const { cidr, six } = pn;
      const clash = claimed.find((o) => o.peer !== i && o.six === six && (six ? overlap6(o.cidr, cidr) : cidrOverlap(o.cidr, cidr)));
      if (clash) {
        error(['wg_peers', i, 'allowed_ips', j], `${text} of peer ${peer.name} overlaps ${clash.text} of peer ${v.wg_peers[clash.peer]!.name}`);
      }
      claimed.push({ peer: i, ip: j, cidr, six, text });
    });
  });

  if (v.vpn_mark === v.dns_mark) error(['dns_mark'], `dns_mark must differ from vpn_mark (both are ${v.vpn_mark}): they route different traffic`);

  const vh = parseCidr(v.veth_host_address)!;
  const vn = parseCidr(v.veth_ns_address)!;
  if (vh.prefix !== vn.prefix || networkOf(vh) !== networkOf(vn)) {
    error(['veth_ns_address'], `expected an address in the subnet of veth_host_address ${networkOf(vh)}/${vh.prefix}, received ${v.veth_ns_address}`);
  } else if (ipv4ToInt(vh.address) === ipv4ToInt(vn.address)) {
    error(['veth_ns_address'], `veth_ns_address must differ from veth_host_address (both ${vh.address})`);
  }
  const vethNet = { address: networkOf(vh), prefix: vh.prefix };
  if (cidrOverlap(vethNet, subnet)) {
    error(['veth_host_address'], `the veth subnet ${show(vethNet)} overlaps wg_subnet ${show(subnet)}: pick a separate subnet (e.g. 10.200.1.0/24)`);
  }

  out.push(...checkPrivacyNetworks(host, v));
  for (const issue of probeAddressIssues(v)) error(issue.path, issue.message);

  if (v.user !== 'root' && !v.become) {
    error(['user'], `${v.user} is not root: set become: true as well (fleet runs every step as root, through sudo -n)`);
  }
  return out;
}

/** Rules across hosts; `hosts` in inventory order, so the later duplicate is the one reported. */
export function checkFleet(hosts: readonly { name: string; vars: HostVars }[]): RuleFinding[] {
  const out: RuleFinding[] = [];
  const endpoints = new Map<string, string>();
  const wanIps = new Map<string, string>();
  for (const { name, vars } of hosts) {
    const endpoint = `${vars.host.toLowerCase()}:${vars.port}`;
    const other = endpoints.get(endpoint);
    if (other !== undefined) {
      out.push({ host: name, path: ['host'], severity: 'error', message: `${name} and ${other} both connect to ${vars.host} port ${vars.port}: one machine must be one inventory host` });
    } else endpoints.set(endpoint, name);
    const wanOther = wanIps.get(vars.wan_ip);
    if (wanOther !== undefined) {
      out.push({ host: name, path: ['wan_ip'], severity: 'warning', message: `same wan_ip as ${wanOther} (${vars.wan_ip}): fine for gateways in separate private networks, a mistake otherwise` });
    } else wanIps.set(vars.wan_ip, name);
  }
  return out;
}
