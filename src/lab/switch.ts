/**
 * The lab switch: a namespace holding one bridge, with one veth port per lab node. Every veth is
 * created with both ends directly in their namespaces (`ip link add ... netns A type veth peer
 * name B netns C`), so none ever appears in the root namespace, except the controller's `fl-ctl`:
 * the one change the lab makes there (198.51.100.1/24 on it, and the connected route the kernel
 * adds with it). Whole topologies are built with `ip -batch`: one process, not one per link.
 */
import { BENCH_CONTROLLER_IP, BENCH_PREFIX_LEN, BRIDGE, CONTROLLER_IP, CTL_VETH, LAB_PREFIX_LEN, SWITCH_NS, WAN_IFACE, labMac, type GatewayPlan } from './names.js';
import { run, runOk } from './run.js';

export interface SwitchPort {
  /** The veth end on the bridge (inside the switch namespace). */
  port: string;
  /** The other end's name and namespace. */
  peer: string;
  peerNs: string;
  /** The other end's MAC (fixed: see labMac). */
  mac?: string;
}

export function gatewayPort(g: GatewayPlan): SwitchPort {
  return { port: g.switchPort, peer: WAN_IFACE, peerNs: g.netns, mac: labMac(g.wanIp) };
}

/** `ip link add` for one port (root-namespace batch syntax). */
export function portLine(p: SwitchPort): string {
  return `link add ${p.port} netns ${SWITCH_NS} type veth peer name ${p.peer}${p.mac ? ` address ${p.mac}` : ''} netns ${p.peerNs}`;
}

/** Where the controller's veth ends: on the switch (p-ctl), or in a bastion (src/lab/bastion.ts). */
export interface CtlPeer {
  name: string;
  ns: string;
}

export const CTL_ON_SWITCH: CtlPeer = { name: 'p-ctl', ns: SWITCH_NS };

/** Root-namespace `ip -batch` lines: the namespaces, then every veth pair. */
export function topologyBatch(namespaces: string[], ports: SwitchPort[], stateDir: string, ctl: CtlPeer = CTL_ON_SWITCH, benchRange = false): string {
  const lines = [...namespaces.map((ns) => `netns add ${ns}`)];
  // The controller's veth. The alias names the state dir that owns the lab, so another checkout's
  // `lab up` can tell a live lab from a crashed one. addrgenmode none: no IPv6 link-local address
  // (and no IPv6 traffic) from the root namespace into the lab.
  // In a benchmark lab the controller's MAC is fixed: each gateway holds it as a permanent
  // neighbour (gateway-init.sh), see controllerNeighbour.
  lines.push(`link add ${CTL_VETH}${benchRange ? ` address ${labMac(BENCH_CONTROLLER_IP)}` : ''} type veth peer name ${ctl.name} netns ${ctl.ns}`);
  lines.push(`link set ${CTL_VETH} alias "${stateDir.replace(/["\\]/g, '')}"`);
  lines.push(`link set ${CTL_VETH} addrgenmode none`);
  lines.push(`address add ${CONTROLLER_IP}/${LAB_PREFIX_LEN} dev ${CTL_VETH}`);
  // A benchmark lab past the /24: its gateways are in 198.18.0.0/15, and so is the controller.
  if (benchRange) lines.push(`address add ${BENCH_CONTROLLER_IP}/${BENCH_PREFIX_LEN} dev ${CTL_VETH}`);
  for (const p of ports) lines.push(portLine(p));
  return `${lines.join('\n')}\n`;
}

/** Switch-namespace `ip -batch` lines: the bridge and its ports. */
export function switchBatch(ports: SwitchPort[], ctl: CtlPeer = CTL_ON_SWITCH): string {
  const lines = ['link set lo up', `link add ${BRIDGE} type bridge`, `link set ${BRIDGE} up`];
  lines.push(...plugBatch([...(ctl.ns === SWITCH_NS ? [ctl.name] : []), ...ports.map((p) => p.port)]));
  return `${lines.join('\n')}\n`;
}

/** Switch-namespace batch lines putting ports on the bridge. */
export function plugBatch(ports: string[]): string[] {
  return ports.flatMap((port) => [`link set ${port} master ${BRIDGE}`, `link set ${port} up`]);
}

export async function buildTopology(namespaces: string[], ports: SwitchPort[], stateDir: string, ctl: CtlPeer = CTL_ON_SWITCH, benchRange = false): Promise<void> {
  await runOk(['ip', '-batch', '-'], { input: topologyBatch(namespaces, ports, stateDir, ctl, benchRange), what: 'creating the lab namespaces and links (ip -batch)' });
  await runOk(['ip', '-n', SWITCH_NS, '-batch', '-'], { input: switchBatch(ports, ctl), what: 'wiring the lab switch (ip -batch)' });
  // Last: only now can packets from the root namespace reach the lab.
  await runOk(['ip', 'link', 'set', CTL_VETH, 'up'], { what: `ip link set ${CTL_VETH} up` });
}

/**
 * Deletes a gateway's network namespace and makes it anew with its switch port (same MAC, so no
 * neighbour cache goes stale): links, addresses, routes, rules, iptables, sysctls and nested
 * namespaces are gone, as after a reboot.
 */
export async function renewGatewayNetns(g: GatewayPlan): Promise<void> {
  // Deleting the switch end deletes the pair at once; the namespace itself is freed lazily.
  await run(['ip', '-n', SWITCH_NS, 'link', 'del', g.switchPort]);
  await runOk(['ip', 'netns', 'del', g.netns], { what: `ip netns del ${g.netns}` });
  await runOk(['ip', '-batch', '-'], { input: `netns add ${g.netns}\n${portLine(gatewayPort(g))}\n`, what: `recreating ${g.netns}` });
  await runOk(['ip', '-n', SWITCH_NS, '-batch', '-'], { input: `${plugBatch([g.switchPort]).join('\n')}\n`, what: `plugging ${g.switchPort}` });
}
