/**
 * The order of the boot scripts' steps: no leak window at boot.
 *
 * A deploy applies resources in role order, which suits a running gateway. At boot that order
 * would open a window: IP forwarding on (the namespace role) and dnsmasq started (its role comes
 * early) while the policy rules and the drop rules that keep the VPN half in the tunnel did not
 * exist yet, so a VPN-half packet arriving on wg0 was forwarded by the main table, out of the
 * WAN. The up script therefore runs, in four phases (each in deploy order):
 *   1. guards: what needs no link and no nested namespace: the host's iptables rules (marks,
 *      drops, NAT, and the INPUT rules that let WireGuard and the clients' DNS in through a
 *      default-deny firewall) and policy rules, and routes that name no device (the unreachable
 *      default behind the VPN table);
 *   2. the rest of the network: wg0, the namespace, the veth, their addresses and routes;
 *   3. IP forwarding in the host's namespace: until here the host forwards nothing;
 *   4. the daemons and what waits for them (dnsmasq, OpenVPN and its tunnel): OpenVPN reaches
 *      its server from the namespace through the host, so it needs forwarding on.
 * The down script is the exact reverse: daemons stop first, then forwarding goes off, the guards
 * go last.
 */
import type { BootStep } from './scripts.js';

/** Host-namespace sysctls that make the host forward packets. */
const FORWARDING_SYSCTL = /^sysctl:net\.ipv[46]\.(ip_forward|conf\.(all|default)\.forwarding)$/;

/** A resource inside a nested namespace says so at the end of its title: `... (netns vpn)`. */
function inNestedNamespace(title: string): boolean {
  return / \(netns [^)]+\)$/.test(title);
}

/** Modules that start a process, or wait for one. */
const DAEMONS = new Set(['daemon', 'interface-ready']);

type Phase = 1 | 2 | 3 | 4;

function phase(s: BootStep): Phase {
  const r = s.resource;
  if (DAEMONS.has(r.module)) return 4;
  if (FORWARDING_SYSCTL.test(r.id)) return 3;
  if (inNestedNamespace(r.title)) return 2;
  if (r.module === 'iptables-rule' || r.module === 'input-allow' || r.module === 'ip-rule') return 1;
  if (r.module === 'ip-route' && !/ (via|dev) /.test(r.title)) return 1;
  return 2;
}

/** The up script's order (see the header); stable within each phase. */
export function bootOrder<T extends BootStep>(steps: readonly T[]): T[] {
  const by = (p: Phase) => steps.filter((s) => phase(s) === p);
  return [...by(1), ...by(2), ...by(3), ...by(4)];
}
