/** `fleet status --format prometheus`: the status reports (and verify's results) as metrics. */
import type { HostStatusReport } from '../engine/status.js';
import { stateOf } from '../report/status.js';
import { Exposition } from './exposition.js';
import { CONTROLLER_METRICS as C, GATEWAY_METRICS as G, GATEWAY_STATES, type MetricDef } from './gateway-metrics.js';

/** What verify proved per host, for the verify metrics (src/verify). */
export interface VerifyOutcome {
  host: string;
  ok: boolean;
  halves: { half: string; ok: boolean }[];
}

function declare(e: Exposition, defs: readonly MetricDef[]): void {
  for (const d of defs) e.family(d.name, d.type, d.help);
}

export function statusMetrics(reports: readonly HostStatusReport[], verify: readonly VerifyOutcome[] = []): string {
  const e = new Exposition();
  declare(e, [...Object.values(C), ...Object.values(G)]);
  for (const r of reports) {
    const host = { host: r.host };
    const state = stateOf(r);
    e.sample(C.reachable.name, host, r.reachable);
    for (const s of GATEWAY_STATES) e.sample(C.state.name, { ...host, state: s }, s === state);
    if (!r.reachable) continue;
    e.sample(C.drifted.name, host, r.drift?.count ?? 0);
    const finished = r.journal?.lastSuccess?.finished;
    const at = finished ? Date.parse(finished) : NaN;
    if (Number.isFinite(at)) e.sample(C.lastDeploy.name, host, at / 1000);
    const h = r.health;
    if (!h) continue;
    e.sample(G.wgUp.name, host, h.wg.up);
    for (const p of h.wg.peers) {
      const peer = { ...host, peer: p.name ?? '', public_key: p.publicKey };
      if (p.handshakeAgeS !== undefined) e.sample(G.peerHandshakeAge.name, peer, p.handshakeAgeS);
      e.sample(G.peerRx.name, peer, p.rxBytes);
      e.sample(G.peerTx.name, peer, p.txBytes);
    }
    const upstreamUp = h.upstream?.up ?? (h.openvpn.running && h.openvpn.tun.up);
    e.sample(G.upstreamUp.name, host, upstreamUp);
    const handshakeAgeS = h.upstream?.handshakeAgeS ?? h.openvpn.handshakeAgeS;
    // As the textfile does: a handshake of a client that is not up says nothing about the upstream.
    if (upstreamUp && handshakeAgeS !== undefined) e.sample(G.upstreamHandshakeAge.name, host, handshakeAgeS);
    if (h.dnsmasq.answering !== 'unknown') e.sample(G.dnsmasqAnswering.name, host, h.dnsmasq.running && h.dnsmasq.answering);
  }
  for (const v of verify) {
    e.sample(C.verifyOk.name, { host: v.host }, v.ok);
    for (const half of v.halves) e.sample(C.verifyPathOk.name, { host: v.host, half: half.half }, half.ok);
  }
  return e.text();
}
