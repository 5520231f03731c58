/**
 * The lab's addressing plan: every name and address the lab uses, in one place. Nothing else in
 * src/lab hard-codes an address. All of it is documentation space that never leaves the machine:
 * 198.51.100.0/24 (TEST-NET-2) is the lab "internet", 203.0.113.0/24 (TEST-NET-3) is where the
 * WireGuard clients live; 10.x addresses exist only inside gateways and clients. 192.0.2.0/24 is
 * never used (this machine's own uplink may be there). The lab internet's IPv6 is 2001:db8:100::/64
 * (RFC 3849 documentation space), on the same switch, inside lab namespaces only: the controller's
 * veth has no IPv6 address at all.
 */

/** Every namespace and root-namespace link the lab makes starts with this. */
export const PREFIX = 'fl-';

export const SWITCH_NS = 'fl-switch';
export const INET_NS = 'fl-inet';
export const PROVIDER_NS = 'fl-prov';
/** The controller's veth: the only object the lab puts into the root namespace. */
export const CTL_VETH = 'fl-ctl';
/** The bridge inside the switch namespace. */
export const BRIDGE = 'br0';

export const LAB_NET = '198.51.100.0/24';
export const LAB_PREFIX_LEN = 24;
export const CONTROLLER_IP = '198.51.100.1';
export const PROVIDER_IP = '198.51.100.2';
export const INET_IP = '198.51.100.3';
/** The lab internet's IPv6 prefix: the gateways' WAN, the provider and the echo host. */
export const LAB_NET6 = '2001:db8:100::/64';
export const LAB_PREFIX_LEN6 = 64;
/** The lab addresses in IPv6: the same last digits as in 198.51.100.0/24 (gateway K: ::1K). */
export const PROVIDER_IP6 = '2001:db8:100::2';
export const INET_IP6 = '2001:db8:100::3';
/** `lab up --bastion`: the jump host between the controller and the gateways (src/lab/bastion.ts). */
export const BASTION_NS = 'fl-bastion';
export const BASTION_IP = '198.51.100.4';

export const CLIENT_NET = '203.0.113.0/24';
/** The internet host's second address: the clients' default gateway. */
export const CLIENT_GW = '203.0.113.1';

/** The provider's WireGuard server (`lab up --provider wireguard`), in fl-prov beside OpenVPN. */
export const PROVIDER_WG_IF = 'fl-provwg';
export const PROVIDER_WG_PORT = 51820;
/** The WireGuard exit's own address (fl-prov's second address): VPN-half clients show this one. */
export const PROVIDER_WG_EXIT_IP = '198.51.100.5';

/** Provider B (failover's second provider): its own namespace, server address and one exit for both protocols. */
export const PROVIDER_B_NS = 'fl-provb';
export const PROVIDER_B_IP = '198.51.100.6';
export const PROVIDER_B_EXIT_IP = '198.51.100.7';
export const PROVIDER_B_IP6 = '2001:db8:100::6';

/**
 * The lab's two providers, A (the one every single-provider inventory uses) and B. Each runs an
 * OpenVPN and a WireGuard server in its own namespace; A's addresses are the ones the lab always had.
 * Their tunnels are dual stack: the IPv6 inside them is a ULA /64 per tunnel whose second group is
 * the IPv4 tunnel network's second octet (A's OpenVPN 10.8.0.0/24 and fd00:8::/64), masqueraded out
 * of the provider's one IPv6 address on the lab internet.
 */
export interface ProviderPlan {
  name: 'A' | 'B';
  netns: string;
  /** The servers' address (OpenVPN and WireGuard endpoint). */
  ip: string;
  /** Its address on the lab internet's IPv6: where its tunnels' IPv6 exits (masqueraded). */
  ip6: string;
  switchPort: string;
  /** The OpenVPN clients' network (a /24) and where they exit. */
  openvpnNet: string;
  openvpnExitIp: string;
  /** The OpenVPN clients' IPv6 network (a ULA /64, server-ipv6). */
  openvpnNet6: string;
  wgInterface: string;
  /** The WireGuard tunnel network's first three octets: the server .1, gateway K at .(10+K). */
  wgNetPrefix: string;
  /** The WireGuard tunnel's IPv6 /64 prefix (a ULA, ending in '::'): the server ::1, gateway K at ::(10+K). */
  wgNet6Prefix: string;
  wgExitIp: string;
}

export const PROVIDERS: readonly ProviderPlan[] = [
  { name: 'A', netns: PROVIDER_NS, ip: PROVIDER_IP, ip6: PROVIDER_IP6, switchPort: 'p-prov', openvpnNet: '10.8.0.0', openvpnExitIp: PROVIDER_IP, openvpnNet6: 'fd00:8::/64', wgInterface: PROVIDER_WG_IF, wgNetPrefix: '10.9.0', wgNet6Prefix: 'fd00:9::', wgExitIp: PROVIDER_WG_EXIT_IP },
  { name: 'B', netns: PROVIDER_B_NS, ip: PROVIDER_B_IP, ip6: PROVIDER_B_IP6, switchPort: 'p-provb', openvpnNet: '10.11.0.0', openvpnExitIp: PROVIDER_B_EXIT_IP, openvpnNet6: 'fd00:11::/64', wgInterface: 'fl-provwgb', wgNetPrefix: '10.10.0', wgNet6Prefix: 'fd00:10::', wgExitIp: PROVIDER_B_EXIT_IP },
];

export function providerPlan(name: string): ProviderPlan | undefined {
  return PROVIDERS.find((p) => p.name === name.toUpperCase());
}

export const OPENVPN_PORT = 1194;
export const OPENVPN_MASK = '255.255.255.0';
export const ECHO_PORT = 80;
export const DNS_PORT = 53;
/** The name the lab DNS answers (any *.lab.test answers the internet host). */
export const ECHO_NAME = 'echo.lab.test';
export const DNS_DOMAIN = 'lab.test';

/** The WireGuard port written into the inventory (the seed's ListenPort). */
export const WG_PORT = 51821;
/**
 * What clients accept from their tunnel (their routes send it the gateway's WireGuard subnet and
 * the echo host): over IPv6 every source, as a full-tunnel client's ::/0 does, so the refusal the
 * gateway's namespace answers with (an ICMPv6 error from its veth address) reaches the client.
 */
export const CLIENT_ALLOWED_IPS = ['10.4.0.0/24', `${INET_IP}/32`, '::/0'];
export const CLIENT_KEEPALIVE = 5;

export const SSH_PORT = 22;
export const WAN_IFACE = 'ens5';
/** A non-root user with passwordless sudo in every gateway, for `become` tests. */
export const BECOME_USER = 'fleetop';

/**
 * The benchmark range (198.18.0.0/15, RFC 2544's, for benchmarks): a bare lab of more gateways
 * than the lab's /24 holds puts them here. The controller's veth gets BENCH_CONTROLLER_IP beside
 * its lab address, for such a lab only; BENCH_DEFAULT_GW is the gateways' default route, an
 * address nothing holds (a bare lab has no internet host either).
 */
export const BENCH_NET = '198.18.0.0/15';
export const BENCH_PREFIX_LEN = 15;
export const BENCH_CONTROLLER_IP = '198.18.0.1';
export const BENCH_DEFAULT_GW = '198.18.0.3';
/** A Linux bridge has at most 1024 ports: the switch's one bridge holds the controller and 1,000 gateways. */
export const MAX_BENCH_HOSTS = 1000;

export const DEFAULT_HOSTS = 3;
/** Gateways take 198.51.100.11..254. */
export const MAX_HOSTS = 244;
/** Two clients per gateway take 203.0.113.10..253. */
export const MAX_HOSTS_WITH_CLIENTS = 122;

export type Half = 'direct' | 'vpn';

export interface GatewayPlan {
  index: number;
  name: string;
  netns: string;
  wanIp: string;
  /** Its WAN IPv6 address (2001:db8:100::/64); absent in the benchmark range (no internet there). */
  wanIp6?: string;
  /** The veth end inside the switch namespace. */
  switchPort: string;
}

export interface ClientPlan {
  /** The peer name in the inventory: c<K>-direct, c<K>-vpn. */
  name: string;
  gateway: string;
  gatewayIndex: number;
  half: Half;
  netns: string;
  /** The client's WireGuard address (no prefix). */
  address: string;
  /** And its IPv6 one. */
  address6: string;
  /** Its address on the switch (203.0.113.0/24). */
  underlayIp: string;
  switchPort: string;
}

export const HALVES: readonly Half[] = ['direct', 'vpn'];

/** The seed's split: 10.4.0.0/25 exits directly, 10.4.0.128/25 through the provider. */
export function clientAddress(half: Half): string {
  return half === 'direct' ? '10.4.0.10' : '10.4.0.200';
}

/** Its IPv6 address, as `fleet peer add` derives it (the half's first plus the IPv4 offset). */
export function clientAddress6(half: Half): string {
  return half === 'direct' ? 'fd00:10:4::a' : 'fd00:10:4:0:8000::c8';
}

/** The inventory peer (and lab client) name of gateway K's client in `half`. */
export function peerName(k: number, half: Half): string {
  return `c${k}-${half}`;
}

export function gatewayPlan(k: number): GatewayPlan {
  if (!Number.isInteger(k) || k < 1 || k > MAX_HOSTS) throw new RangeError(`gateway index out of range: ${k}`);
  return { index: k, name: `gw${k}`, netns: `${PREFIX}gw${k}`, wanIp: `198.51.100.${10 + k}`, wanIp6: `2001:db8:100::${10 + k}`, switchPort: `p-gw${k}` };
}

/** Gateway K of a benchmark-range lab: 198.18.1.1 .. 198.18.1.250, 198.18.2.1 .., 250 to a /24. */
export function benchGatewayPlan(k: number): GatewayPlan {
  if (!Number.isInteger(k) || k < 1 || k > MAX_BENCH_HOSTS) throw new RangeError(`benchmark gateway index out of range: ${k}`);
  const wanIp = `198.18.${1 + Math.floor((k - 1) / 250)}.${1 + ((k - 1) % 250)}`;
  return { index: k, name: `gw${k}`, netns: `${PREFIX}gw${k}`, wanIp, switchPort: `p-gw${k}` };
}

/** Gateway K of a lab in the lab's /24 or in the benchmark range. */
export function gatewayPlanIn(k: number, benchRange: boolean): GatewayPlan {
  return benchRange ? benchGatewayPlan(k) : gatewayPlan(k);
}

/**
 * The neighbour entry a benchmark-range gateway holds for the controller, made permanent. The
 * kernel's neighbour table is one for all namespaces, and past gc_thresh3 (1,024 entries) new
 * entries fail ("No route to host"): 1,000 gateways each resolving the controller, and the
 * controller each of them, would be 2,000. Permanent entries do not count toward the thresholds
 * (Linux 4.19+), so only the controller's own ~1,000 do. Normal labs resolve as usual.
 */
export function controllerNeighbour(wanIp: string): { ip: string; mac: string } | undefined {
  return /^198\.1[89]\./.test(wanIp) ? { ip: BENCH_CONTROLLER_IP, mac: labMac(BENCH_CONTROLLER_IP) } : undefined;
}

/** The WAN prefix and default route of a gateway with this address. */
export function wanNetOf(wanIp: string): { prefixLen: number; defaultGw: string } {
  return /^198\.1[89]\./.test(wanIp) ? { prefixLen: BENCH_PREFIX_LEN, defaultGw: BENCH_DEFAULT_GW } : { prefixLen: LAB_PREFIX_LEN, defaultGw: INET_IP };
}

export function clientPlan(k: number, half: Half): ClientPlan {
  if (!Number.isInteger(k) || k < 1 || k > MAX_HOSTS_WITH_CLIENTS) throw new RangeError(`client gateway index out of range: ${k}`);
  const tag = half === 'direct' ? 'd' : 'v';
  return {
    name: peerName(k, half),
    gateway: `gw${k}`,
    gatewayIndex: k,
    half,
    netns: `${PREFIX}c${k}${tag}`,
    address: clientAddress(half),
    address6: clientAddress6(half),
    underlayIp: `203.0.113.${10 + 2 * (k - 1) + (half === 'direct' ? 0 : 1)}`,
    switchPort: `p-c${k}${tag}`,
  };
}

export function gatewayWgEndpoint(g: GatewayPlan, port: number): string {
  return `${g.wanIp}:${port}`;
}

/**
 * A fixed, locally administered MAC for a lab address (02:f1 + the address's four octets), so a
 * node recreated after a simulated reboot keeps its MAC and no neighbour cache goes stale.
 */
export function labMac(ip: string): string {
  return ['02', 'f1', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

/** Is this a namespace name the lab could have made? (Used before deleting anything.) */
export function isLabName(name: string): boolean {
  return /^fl-[a-z0-9][a-z0-9-]{0,28}$/.test(name);
}
