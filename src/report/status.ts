/** The status table and its summary line. */
import type { HostStatusReport } from '../engine/status.js';
import { describeLock } from '../engine/journal.js';
import { RUN_HISTORY } from '../engine/layout.js';
import type { MetricsTimerStatus } from '../metrics/timer.js';
import type { UnitStatus } from '../roles/health.js';
import type { ShardRecord } from './json.js';
import { color, table } from './format.js';

export function stateOf(r: HostStatusReport): 'healthy' | 'drifted' | 'unhealthy' | 'down' {
  if (!r.reachable) return 'down';
  if (!r.healthy) return 'unhealthy';
  if (!r.inSync) return 'drifted';
  return 'healthy';
}

export type StatusState = ReturnType<typeof stateOf>;

export interface StatusSummary {
  hosts: number;
  healthy: number;
  drifted: number;
  unhealthy: number;
  down: number;
}

/** One host of status --json: the report and its state. */
export type StatusHostJson = HostStatusReport & { state: StatusState };

export interface StatusDocument {
  command: 'status';
  at: string;
  summary: StatusSummary;
  hosts: StatusHostJson[];
  /** Only in a sharded run's output (--shard). */
  shard?: ShardRecord;
}

export function statusSummary(reports: readonly HostStatusReport[]): StatusSummary {
  const n = (s: StatusState) => reports.filter((r) => stateOf(r) === s).length;
  return { hosts: reports.length, healthy: n('healthy'), drifted: n('drifted'), unhealthy: n('unhealthy'), down: n('down') };
}

/** status --json; `fleet report merge` builds the same document from the shards' hosts. */
export function statusDocument(reports: readonly HostStatusReport[], opts: { at: string; shard?: ShardRecord }): StatusDocument {
  const doc: StatusDocument = { command: 'status', at: opts.at, summary: statusSummary(reports), hosts: reports.map((r) => ({ ...r, state: stateOf(r) })) };
  if (opts.shard) doc.shard = opts.shard;
  return doc;
}

const stateColor = { healthy: 'green', drifted: 'yellow', unhealthy: 'red', down: 'magenta' } as const;

function age(s: number | undefined): string {
  if (s === undefined) return 'never';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

/** A verbose line's handshake: how long ago, or that there never was one. */
function handshakeAgo(s: number | undefined): string {
  return s === undefined ? 'no handshake yet' : `handshake ${age(s)} ago`;
}

/** The WireGuard upstream's cell: its address, and how long ago it last heard from the provider. */
function wireguardUpstream(h: NonNullable<HostStatusReport['health']>): string {
  if (!h.openvpn.tun.up) return color('red', 'wg: no tunnel');
  const hs = h.upstream?.handshakeAgeS;
  // WireGuard re-handshakes every 2 minutes while traffic flows; 180 s without one is stale.
  return `wg ${h.openvpn.tun.address} hs ${hs === undefined || hs >= 180 ? color('yellow', age(hs)) : age(hs)}`;
}

/** The UPSTREAM cell; with provider_endpoints it starts with the active endpoint's name. */
function upstreamCell(h: NonNullable<HostStatusReport['health']>): string {
  const u = h.upstream;
  if (u?.protocol === 'wireguard') return u.endpointName ? `${u.endpointName}: ${wireguardUpstream(h)}` : wireguardUpstream(h);
  // A failover's OpenVPN client is the health check's, not a resource: its tunnel tells.
  if (u?.endpointName) return `${u.endpointName}: ${h.openvpn.tun.up ? `tun ${h.openvpn.tun.address}` : color('red', 'no tunnel')}`;
  return h.openvpn.running ? (h.openvpn.tun.up ? `tun ${h.openvpn.tun.address}` : color('red', 'no tunnel')) : color('red', 'stopped');
}

/** provider_endpoints: the active endpoint, then each recent switch with its reason. */
export function failoverLines(host: string, f: NonNullable<NonNullable<HostStatusReport['health']>['failover']>): string[] {
  const out = [`  ${host} provider endpoint ${f.active ?? color('yellow', 'none yet (the health check has not run)')} active${f.switches.length ? '; last switches:' : ', no switch yet'}`];
  for (const sw of f.switches) out.push(`    ${sw.at} ${sw.from} -> ${sw.to}: ${sw.reason}`);
  return out;
}

/** fleet-metrics.timer where systemd runs it: red when it does not wait for its next run, or its last run failed. */
export function metricsTimerLine(m: MetricsTimerStatus): string {
  const failed = m.lastResult !== undefined && m.lastResult !== 'success';
  const ran = m.lastRunAgeS === undefined ? 'not run yet' : `last run ${age(m.lastRunAgeS)} ago (${m.lastResult ?? '?'})`;
  return `metrics timer: ${m.state === 'active' ? m.state : color('red', m.state)}, ${failed ? color('red', ran) : ran}`;
}

export function statusTable(reports: HostStatusReport[], opts: { verbose?: boolean } = {}): string {
  const rows = reports.map((r) => {
    const st = stateOf(r);
    if (!r.reachable) return [r.host, color(stateColor[st], st), color('magenta', r.unreachableReason ?? ''), '', '', '', ''];
    const h = r.health!;
    const peers = h.wg.peers;
    const recent = peers.filter((p) => p.handshakeAgeS !== undefined && p.handshakeAgeS < 180).length;
    const wg = h.wg.up ? `up :${h.wg.listenPort ?? '?'} ${peers.length} peers (${recent} active)` : color('red', 'down');
    const ovpn = upstreamCell(h);
    const dns = h.dnsmasq.running ? (h.dnsmasq.answering === false ? color('red', 'not answering') : 'answering') : color('red', 'stopped');
    const drift = r.drift!.count ? color('yellow', `${r.drift!.count} drifted`) : '0';
    const j = r.journal!;
    const last = j.lastSuccess ? `${j.lastSuccess.finished ?? '?'} by ${j.lastSuccess.user ?? '?'}` : 'never';
    const notes = [j.unfinished ? color('red', `UNFINISHED run ${j.latest?.run}`) : '', j.lock ? color('yellow', describeLock(j.lock)) : '', ...watchdogNotes(j)].filter(Boolean).join(' ');
    return [r.host, color(stateColor[st], st), wg, ovpn, dns, drift, notes || last];
  });
  const out = [table(['HOST', 'STATE', 'WIREGUARD', 'UPSTREAM', 'DNSMASQ', 'DRIFT', 'LAST DEPLOY / NOTES'], rows)];
  for (const r of reports) if (r.reachable && r.health?.failover) out.push(...failoverLines(r.host, r.health.failover));
  if (opts.verbose) {
    for (const r of reports) {
      if (!r.reachable) continue;
      if (r.journal?.runsKept !== undefined) out.push(`  ${r.host} journal: ${r.journal.runsKept} run(s) kept (the newest ${RUN_HISTORY}; secret backups only until a run is confirmed)`);
      const u = r.health!.upstream;
      if (u?.protocol === 'wireguard') out.push(`  ${r.host} upstream wireguard ${u.interface}: endpoint ${u.endpoint ?? 'none'}, ${handshakeAgo(u.handshakeAgeS)}, rx ${u.rxBytes ?? 0} tx ${u.txBytes ?? 0}`);
      if (r.metricsTimer) out.push(`  ${r.host} ${metricsTimerLine(r.metricsTimer)}`);
      for (const u of r.health!.units ?? []) out.push(unitLines(r.host, u));
      for (const p of r.health!.wg.peers) out.push(`  ${r.host} peer ${p.name ?? p.publicKey.slice(0, 8)}: ${p.allowedIps.join(',')} ${handshakeAgo(p.handshakeAgeS)}, rx ${p.rxBytes} tx ${p.txBytes}`);
      for (const d of r.drift!.items) out.push(`  ${r.host} ${d.state} ${d.id}${d.current ? `\n      now: ${d.current.split('\n').slice(0, 6).join('\n           ')}` : ''}${d.error ? `\n      ${d.error}` : ''}`);
    }
  }
  const n = (s: string) => reports.filter((r) => stateOf(r) === s).length;
  out.push(`\n${n('healthy')} healthy, ${n('drifted')} drifted, ${n('unhealthy')} unhealthy, ${n('down')} down`);
  return out.join('\n');
}

/** A unit's state where systemd runs; one that is not active with its journal's last lines under it. */
export function unitLines(host: string, u: UnitStatus): string {
  const head = `  ${host} unit ${u.name}: ${u.state === 'active' ? u.state : color('red', u.state)}`;
  return [head, ...(u.journal ?? []).map((l) => `      ${l}`)].join('\n');
}

/** An armed confirmed-deploy watchdog (engine/watchdog.ts), and one that reverted the newest run. */
export function watchdogNotes(j: NonNullable<HostStatusReport['journal']>, nowS = Date.now() / 1000): string[] {
  const out: string[] = [];
  for (const w of j.watchdogs ?? []) {
    if (w.state === 'armed') {
      const when = w.deadline ? `reverts in ${Math.max(0, Math.round(w.deadline - nowS))}s` : `reverts ${w.timeoutS ?? '?'}s after the apply`;
      out.push(w.process === 'live' ? color('yellow', `WATCHDOG ARMED: run ${w.run} unconfirmed, ${when}`) : color('red', `watchdog of run ${w.run} armed but its process is gone (host rebooted?)`));
    } else if (w.run === j.latest?.run) out.push(color('red', `watchdog reverted run ${w.run}${w.firedAt ? ` at ${w.firedAt}` : ''} (the deploy lost access)`));
  }
  return out;
}
