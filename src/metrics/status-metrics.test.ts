import { describe, expect, it } from 'vitest';
import type { HostStatusReport } from '../engine/status.js';
import { Exposition } from './exposition.js';
import { promtoolAvailable, promtoolCheckMetrics } from './promtool.js';
import { statusMetrics } from './status-metrics.js';

const KEY_A = 'A'.repeat(43) + '=';
const KEY_B = 'B'.repeat(43) + '=';

function healthy(host: string): HostStatusReport {
  return {
    host,
    reachable: true,
    healthy: true,
    inSync: false,
    roundTrips: 1,
    seconds: 0.2,
    drift: { count: 2, items: [] },
    journal: { unfinished: false, lastSuccess: { run: 'r1', finished: '2026-12-01T10:00:00Z', user: 'ops' } },
    health: {
      wg: {
        up: true,
        listenPort: 51821,
        peers: [
          { name: 'alice "laptop"', publicKey: KEY_A, allowedIps: ['10.4.0.10/32'], handshakeAgeS: 42, rxBytes: 1000, txBytes: 2000 },
          { publicKey: KEY_B, allowedIps: ['10.4.0.200/32'], rxBytes: 0, txBytes: 0 },
        ],
      },
      openvpn: { running: true, pid: 10, tun: { up: true, address: '10.8.0.2/24' }, handshakeAgeS: 90 },
      dnsmasq: { running: true, pid: 11, answering: true },
    },
  };
}

const down: HostStatusReport = { host: 'gw2', reachable: false, unreachableReason: 'timeout', healthy: false, inSync: false, roundTrips: 0, seconds: 3 };

describe('status --format prometheus', () => {
  const text = statusMetrics([healthy('gw1'), down], [{ host: 'gw1', ok: false, halves: [{ half: 'direct', ok: true }, { half: 'vpn', ok: false }] }]);
  const lines = text.split('\n');

  it('says per gateway whether it was reached and its one state', () => {
    expect(lines).toContain('fleet_gateway_reachable{host="gw1"} 1');
    expect(lines).toContain('fleet_gateway_reachable{host="gw2"} 0');
    expect(lines).toContain('fleet_gateway_state{host="gw1",state="drifted"} 1');
    expect(lines).toContain('fleet_gateway_state{host="gw1",state="healthy"} 0');
    expect(lines).toContain('fleet_gateway_state{host="gw2",state="down"} 1');
    expect(lines).toContain('fleet_gateway_drifted_resources{host="gw1"} 2');
    expect(lines).toContain('fleet_gateway_last_deploy_timestamp_seconds{host="gw1"} 1796119200');
    // Nothing is claimed about a host fleet could not reach.
    expect(lines.filter((l) => l.includes('host="gw2"') && !l.startsWith('fleet_gateway_reachable') && !l.startsWith('fleet_gateway_state'))).toEqual([]);
  });

  it('names each peer in a label (escaped) and leaves out a handshake that never happened', () => {
    expect(lines).toContain(`fleet_wireguard_peer_last_handshake_age_seconds{host="gw1",peer="alice \\"laptop\\"",public_key="${KEY_A}"} 42`);
    expect(lines).toContain(`fleet_wireguard_peer_receive_bytes_total{host="gw1",peer="alice \\"laptop\\"",public_key="${KEY_A}"} 1000`);
    expect(lines).toContain(`fleet_wireguard_peer_transmit_bytes_total{host="gw1",peer="",public_key="${KEY_B}"} 0`);
    expect(lines.some((l) => l.startsWith('fleet_wireguard_peer_last_handshake_age_seconds') && l.includes(KEY_B))).toBe(false);
  });

  it('has the daemons and the verify results', () => {
    expect(lines).toContain('fleet_wireguard_up{host="gw1"} 1');
    expect(lines).toContain('fleet_upstream_up{host="gw1"} 1');
    expect(lines).toContain('fleet_upstream_last_handshake_age_seconds{host="gw1"} 90');
    expect(lines).toContain('fleet_dnsmasq_answering{host="gw1"} 1');
    expect(lines).toContain('fleet_verify_success{host="gw1"} 0');
    expect(lines).toContain('fleet_verify_path_success{host="gw1",half="vpn"} 0');
  });

  it('declares each family once, HELP and TYPE before its samples', () => {
    const types = lines.filter((l) => l.startsWith('# TYPE'));
    expect(new Set(types).size).toBe(types.length);
    expect(lines[0]).toMatch(/^# HELP fleet_gateway_reachable /);
    expect(lines[1]).toBe('# TYPE fleet_gateway_reachable gauge');
    expect(text).toContain('# TYPE fleet_wireguard_peer_receive_bytes_total counter');
  });

  it('passes promtool check metrics', ({ skip }) => {
    if (!promtoolAvailable()) {
      if (process.env.CI === 'true') throw new Error('promtool is missing (Debian package prometheus)');
      skip('promtool is not installed');
    }
    const r = promtoolCheckMetrics(text);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  it('promtool does catch a badly named metric (the check can fail)', ({ skip }) => {
    if (!promtoolAvailable()) skip('promtool is not installed');
    const bad = new Exposition().family('fleet_bytes_received', 'counter', 'misnamed').sample('fleet_bytes_received', {}, 1).text();
    expect(promtoolCheckMetrics(bad).ok).toBe(false);
  });
});

describe('the upstream handshake age', () => {
  it('is left out while the client is not up: an old handshake says nothing then', () => {
    const r = healthy('gw1');
    r.health!.openvpn = { running: true, pid: 10, tun: { up: false }, handshakeAgeS: 90 };
    const text = statusMetrics([r]);
    expect(text).toContain('fleet_upstream_up{host="gw1"} 0');
    expect(text).not.toContain('fleet_upstream_last_handshake_age_seconds');
  });
});

describe('Exposition', () => {
  it('a WireGuard upstream is up on its interface\'s address, with its peer\'s handshake age (no client process)', () => {
    const wg = healthy('gw3');
    wg.health!.openvpn = { running: false, tun: { up: true, address: '10.64.0.2/32' } };
    wg.health!.upstream = { protocol: 'wireguard', interface: 'wgp0', up: true, endpoint: '198.51.100.2:51820', handshakeAgeS: 7, rxBytes: 1, txBytes: 2 };
    const out = statusMetrics([wg], []).split('\n');
    expect(out).toContain('fleet_upstream_up{host="gw3"} 1');
    expect(out).toContain('fleet_upstream_last_handshake_age_seconds{host="gw3"} 7');
    wg.health!.upstream.up = false;
    const dark = statusMetrics([wg], []).split('\n');
    expect(dark).toContain('fleet_upstream_up{host="gw3"} 0');
    expect(dark.some((l) => l.startsWith('fleet_upstream_last_handshake_age_seconds{'))).toBe(false);
  });

  it('refuses a sample of an undeclared family and a bad label name', () => {
    const e = new Exposition().family('fleet_x', 'gauge', 'x');
    expect(() => e.sample('fleet_y', {}, 1)).toThrow(/no family/);
    expect(() => e.sample('fleet_x', { 'bad-label': 'v' }, 1)).toThrow(/label/);
  });
});
