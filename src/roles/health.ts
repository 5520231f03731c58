/**
 * What `fleet status` calls a healthy gateway, and how it reads that in the status round trip.
 * Slots a role's task can fill (`health:` in tasks.yaml) name the resources whose liveness counts
 * (their own `live` probe, the same test as their check); the gateway-wide probes (the WireGuard
 * interface's peers, dnsmasq answering a name) read the host's variables. The engine runs the
 * probe, hands back the markers, and never names a role or a path.
 */
import type { HostVars } from '../inventory/schema.js';
import { upstreamHandshakeProbe } from '../metrics/upstream.js';
import { markersOf, type Marker } from '../engine/protocol/markers.js';
import { raw, sh, Shell } from '../shell/sh.js';
import type { DesiredResource } from './tasks.js';

export const HEALTH_SLOTS = ['wireguard', 'openvpn', 'tunnel', 'dnsmasq'] as const;
export type HealthSlot = (typeof HEALTH_SLOTS)[number];

export interface PeerStatus {
  name?: string;
  publicKey: string;
  allowedIps: string[];
  endpoint?: string;
  /** Seconds since the latest handshake; undefined when there never was one. */
  handshakeAgeS?: number;
  rxBytes: number;
  txBytes: number;
}

export interface GatewayHealth {
  wg: { up: boolean; listenPort?: number; peers: PeerStatus[] };
  /** handshakeAgeS: seconds since the client's latest handshake with the provider, when known. */
  openvpn: { running: boolean; pid?: number; tun: { up: boolean; address?: string }; handshakeAgeS?: number };
  dnsmasq: { running: boolean; pid?: number; answering: boolean | 'unknown' };
  /** The provider's tunnel whatever its protocol; for WireGuard its peer as `wg show` tells it. */
  upstream?: UpstreamStatus;
  /** Where systemd runs: the units the health slots' resources run under (dnsmasq, wg-quick@wg0, the OpenVPN client). */
  units?: UnitStatus[];
  /** With provider_endpoints: which endpoint the gateway's health check has active, and its last switches. */
  failover?: FailoverStatus;
}

export interface FailoverSwitch {
  /** ISO time of the switch. */
  at: string;
  from: string;
  to: string;
  reason: string;
}

export interface FailoverStatus {
  /** undefined until the health check first ran. */
  active?: string;
  /** Oldest first, the last few. */
  switches: FailoverSwitch[];
}

export interface UnitStatus {
  name: string;
  /** systemd's ActiveState: active, failed, inactive, activating... */
  state: string;
  /** When it is not active: its last journal lines (journalctl -u NAME -n 10). */
  journal?: string[];
}

/** How many journal lines status keeps of a unit that is not active. */
export const UNIT_JOURNAL_LINES = 10;

export interface UpstreamStatus {
  protocol: 'openvpn' | 'wireguard';
  interface: string;
  /** With provider_endpoints: the active endpoint's name. */
  endpointName?: string;
  /** OpenVPN: its client runs and its tun has an address; WireGuard: its interface has one. */
  up: boolean;
  endpoint?: string;
  handshakeAgeS?: number;
  rxBytes?: number;
  txBytes?: number;
}

/**
 * Read-only health probes; each prints one marker line. Secrets never read (no `wg show dump`).
 * Kept to a few processes: wg's listen port and four per-peer tables travel as one field (no field:
 * wg is down). The OpenVPN client, its tunnel and dnsmasq are the resources the roles declare
 * (`health:` in tasks.yaml), read by their own liveness probe (the same test as their check).
 */
export function healthProbe(v: HostVars, desired: readonly DesiredResource[] = []): Shell {
  const wg = v.wg_interface;
  const probeName = v.dns_entries[0]?.name ?? 'localhost';
  const live = (slot: HealthSlot): Shell => {
    const r = desired.find((d) => d.health === slot)?.resource.live;
    return r ? Shell.join([raw('$( ('), r, raw(') 2>/dev/null | head -n 1)')]) : raw('');
  };
  return Shell.join([
    sh`if ip link show dev ${wg} >/dev/null 2>&1; then`,
    sh`  fleet_mark wgshow "$(for what in listen-port allowed-ips endpoints latest-handshakes transfer; do echo "@$what"; wg show ${wg} "$what" 2>/dev/null; done | fleet_field)"`,
    raw('fi'),
    Shell.join([raw('fleet_h_pid='), live('openvpn'), raw(`; fleet_h_tun=`), live('tunnel')], ''),
    upstreamHandshakeProbe(),
    raw(`fleet_mark openvpn "\${fleet_h_pid:--}" "$(printf '%s' "$fleet_h_tun" | fleet_field)" "\${fleet_h_hs:--}"`),
    wireguardUpstreamProbe(v),
    failoverProbe(v),
    sh`if command -v dig >/dev/null 2>&1; then a=$(dig +short +time=1 +tries=1 @127.0.0.1 ${probeName} A 2>/dev/null); [ -n "$a" ] && ans=yes || ans=no; else ans=unknown; fi`,
    Shell.join([raw('fleet_h_pid='), live('dnsmasq')], ''),
    raw(`fleet_mark dnsmasq "\${fleet_h_pid:--}" "$ans"`),
    unitProbe(desired),
  ]);
}

/** Where systemd runs: each health slot's unit, its state, and its journal's tail when it is not active. */
function unitProbe(desired: readonly DesiredResource[]): Shell {
  const units = [...new Set(desired.filter((d) => d.health && d.resource.unit).map((d) => d.resource.unit!))];
  if (units.length === 0) return raw('');
  return Shell.join([
    raw('if [ -d /run/systemd/system ]; then'),
    sh`  for fleet_u in ${units}; do`,
    raw('    fleet_s=$(systemctl is-active "$fleet_u" 2>/dev/null); fleet_j='),
    sh`    [ "$fleet_s" = active ] || fleet_j=$(journalctl -u "$fleet_u" -n ${UNIT_JOURNAL_LINES} --no-pager 2>/dev/null)`,
    raw(`    fleet_mark unit "$fleet_u" "\${fleet_s:-unknown}" "$(printf '%s' "$fleet_j" | fleet_field)"`),
    raw('  done'),
    raw('fi'),
  ]);
}

/** Where the gateway's failover keeps its state (roles/provider-failover/templates/provider-failover.conf.j2). */
const FAILOVER_STATE = '/var/lib/fleet/provider-failover';

/** provider_endpoints: the health check's active endpoint and its last switches. */
function failoverProbe(v: HostVars): Shell {
  if (!v.provider_endpoints) return raw('');
  return sh`fleet_mark failover "$(cat ${`${FAILOVER_STATE}/active`} 2>/dev/null | fleet_field)" "$(tail -n 5 ${`${FAILOVER_STATE}/switches.log`} 2>/dev/null | fleet_field)"`;
}

export function parseSwitches(text: string): FailoverSwitch[] {
  return text.split('\n').flatMap((line) => {
    const m = /^(\d+) (\S+) (\S+) (.*)$/.exec(line.trim());
    return m ? [{ at: new Date(Number(m[1]) * 1000).toISOString(), from: m[2]!, to: m[3]!, reason: m[4]! }] : [];
  });
}

/** The WireGuard upstream's peer tables, from inside the namespace (never `dump`: it holds the key). */
function wireguardUpstreamProbe(v: HostVars): Shell {
  // With provider_endpoints the active tunnel may be either protocol: wg show says nothing of an OpenVPN tun.
  if (v.provider_protocol !== 'wireguard' && !v.provider_endpoints) return raw('');
  const [ns, dev] = [v.vpn_namespace, v.provider_interface];
  return Shell.join([
    sh`if ip -n ${ns} link show dev ${dev} >/dev/null 2>&1; then`,
    sh`  fleet_mark wgupstream "$(for what in endpoints latest-handshakes transfer; do echo "@$what"; ip netns exec ${ns} wg show ${dev} "$what" 2>/dev/null; done | fleet_field)"`,
    raw('fi'),
  ]);
}

/** `@what` headed sections of the wgshow field. */
function wgSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let cur: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('@')) {
      cur = line.slice(1);
      out.set(cur, '');
    } else if (cur !== undefined && line) out.set(cur, `${out.get(cur)}${line}\n`);
  }
  return out;
}

function perPeer(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.split('\t');
    if (key) m.set(key, rest.join('\t'));
  }
  return m;
}

export function parseHealth(markers: Marker[], v: HostVars, nowS = Date.now() / 1000): GatewayHealth {
  const health: GatewayHealth = { wg: { up: false, peers: [] }, openvpn: { running: false, tun: { up: false } }, dnsmasq: { running: false, answering: false } };
  const wgp: Record<string, Map<string, string>> = {};
  for (const w of markersOf(markers, 'wgshow')) {
    health.wg.up = true;
    const sections = wgSections(w.tables);
    const port = sections.get('listen-port')?.trim();
    if (port) health.wg.listenPort = Number(port);
    for (const [what, text] of sections) if (what !== 'listen-port') wgp[what] = perPeer(text);
  }
  for (const o of markersOf(markers, 'openvpn')) {
    const addr = o.address.trim();
    health.openvpn = { running: o.pid !== undefined, pid: o.pid, tun: { up: !!addr, address: addr || undefined } };
    if (o.handshake !== undefined && o.handshake > 0) health.openvpn.handshakeAgeS = Math.max(0, Math.round(nowS - o.handshake));
  }
  for (const d of markersOf(markers, 'dnsmasq')) {
    health.dnsmasq = { running: d.pid !== undefined, pid: d.pid, answering: d.answering === 'yes' ? true : d.answering === 'no' ? false : 'unknown' };
  }
  for (const f of markersOf(markers, 'failover')) {
    const active = f.active.trim();
    health.failover = { ...(active ? { active } : {}), switches: parseSwitches(f.switches) };
  }
  health.upstream = upstreamOf(markers, v, health, nowS);
  const units = markersOf(markers, 'unit').map((u): UnitStatus => {
    const journal = u.journal.split('\n').filter(Boolean);
    return journal.length ? { name: u.name, state: u.state, journal } : { name: u.name, state: u.state };
  });
  if (units.length) health.units = units;
  const names = new Map(v.wg_peers.map((p) => [p.public_key, p.name]));
  for (const [key, ips] of wgp['allowed-ips'] ?? []) {
    const hs = Number(wgp['latest-handshakes']?.get(key) ?? 0);
    const [rx, tx] = (wgp.transfer?.get(key) ?? '0\t0').split('\t').map(Number);
    const endpoint = wgp.endpoints?.get(key);
    health.wg.peers.push({
      name: names.get(key),
      publicKey: key,
      allowedIps: ips.split(/\s+/).filter((x) => x && x !== '(none)'),
      endpoint: endpoint && endpoint !== '(none)' ? endpoint : undefined,
      handshakeAgeS: hs > 0 ? Math.max(0, Math.round(nowS - hs)) : undefined,
      rxBytes: rx ?? 0,
      txBytes: tx ?? 0,
    });
  }
  return health;
}

function upstreamOf(markers: Marker[], v: HostVars, health: GatewayHealth, nowS: number): UpstreamStatus {
  if (v.provider_endpoints) {
    // Either protocol, always provider_interface: the tunnel slot reads it (roles/provider-failover).
    const active = v.provider_endpoints.find((e) => e.name === health.failover?.active) ?? v.provider_endpoints[0]!;
    const u: UpstreamStatus = { protocol: active.protocol, interface: v.provider_interface, endpointName: active.name, up: health.openvpn.tun.up };
    return active.protocol === 'wireguard' ? { ...wireguardPeerOf(markers, nowS), ...u } : u;
  }
  if (v.provider_protocol !== 'wireguard') {
    const u: UpstreamStatus = { protocol: 'openvpn', interface: v.openvpn_tun, up: health.openvpn.running && health.openvpn.tun.up };
    if (health.openvpn.handshakeAgeS !== undefined) u.handshakeAgeS = health.openvpn.handshakeAgeS;
    return u;
  }
  // The tunnel slot reads the WireGuard upstream's interface: its address is the tunnel's.
  return { protocol: 'wireguard', interface: v.provider_interface, up: health.openvpn.tun.up, ...wireguardPeerOf(markers, nowS) };
}

/** The WireGuard upstream's peer, from `wg show` in the namespace. */
function wireguardPeerOf(markers: Marker[], nowS: number): Pick<UpstreamStatus, 'endpoint' | 'handshakeAgeS' | 'rxBytes' | 'txBytes'> {
  const u: Pick<UpstreamStatus, 'endpoint' | 'handshakeAgeS' | 'rxBytes' | 'txBytes'> = {};
  for (const w of markersOf(markers, 'wgupstream')) {
    const t = Object.fromEntries([...wgSections(w.tables)].map(([what, text]) => [what, [...perPeer(text).values()][0]]));
    if (t.endpoints && t.endpoints !== '(none)') u.endpoint = t.endpoints;
    const hs = Number(t['latest-handshakes'] ?? 0);
    if (hs > 0) u.handshakeAgeS = Math.max(0, Math.round(nowS - hs));
    const [rx, tx] = (t.transfer ?? '0\t0').split('\t').map(Number);
    u.rxBytes = rx ?? 0;
    u.txBytes = tx ?? 0;
  }
  return u;
}

/** Healthy: every slot the deployed roles fill is up (a role not deployed is not asked for). */
export function isHealthy(health: GatewayHealth, desired: readonly DesiredResource[]): boolean {
  const wants = (slot: HealthSlot): boolean => desired.some((d) => d.health === slot);
  return (
    (!wants('wireguard') || health.wg.up) &&
    // The tunnel slot is OpenVPN's tun0 or the WireGuard upstream: its address is the tunnel's.
    (!wants('openvpn') || health.openvpn.running) &&
    (!wants('tunnel') || health.openvpn.tun.up) &&
    (!wants('dnsmasq') || (health.dnsmasq.running && health.dnsmasq.answering !== false)) &&
    (health.units ?? []).every((u) => u.state === 'active')
  );
}
