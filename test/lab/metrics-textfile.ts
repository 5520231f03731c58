/** What a healthy gateway's metrics textfile holds, for the lab tests that make one (metrics, systemd-metrics). */
import { expect } from 'vitest';
import { promtoolCheckMetrics } from '../../src/metrics/promtool.js';
import type { LabState } from './harness.js';

/** It passes promtool, names each of the gateway's clients, and has WireGuard, the upstream and dnsmasq up. */
export function expectHealthyTextfile(text: string, lab: LabState, gw: string): void {
  const check = promtoolCheckMetrics(text);
  expect(check.output).toBe('');
  expect(check.ok).toBe(true);
  for (const c of lab.clients.filter((x) => x.gateway === gw)) {
    expect(text).toMatch(new RegExp(`^fleet_wireguard_peer_receive_bytes_total\\{peer="${c.name}",public_key="[^"]+"\\} [1-9]\\d*$`, 'm'));
    expect(text).toMatch(new RegExp(`^fleet_wireguard_peer_last_handshake_age_seconds\\{peer="${c.name}",public_key="[^"]+"\\} \\d+$`, 'm'));
  }
  expect(text).toMatch(/^fleet_wireguard_up 1$/m);
  expect(text).toMatch(/^fleet_upstream_up 1$/m);
  expect(text).toMatch(/^fleet_upstream_last_handshake_age_seconds \d+$/m);
  expect(text).toMatch(/^fleet_dnsmasq_answering 1$/m);
}
