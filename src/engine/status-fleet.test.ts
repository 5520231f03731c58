import { describe, expect, it } from 'vitest';
import type { HostStatusReport } from './status.js';
import { gateVerdict } from './status-fleet.js';

function report(upstreamUp: boolean): HostStatusReport {
  return {
    host: 'gw1',
    reachable: true,
    healthy: false,
    inSync: true,
    roundTrips: 1,
    seconds: 0.1,
    drift: { count: 0, items: [] },
    health: {
      wg: { up: true, peers: [] },
      // a WireGuard upstream: no OpenVPN client; the tunnel slot is the upstream's interface
      openvpn: { running: false, tun: { up: upstreamUp } },
      dnsmasq: { running: false, answering: false },
      upstream: { protocol: 'wireguard', interface: 'wgp0', up: upstreamUp },
    },
  };
}

describe('the health gate says why a host failed it', () => {
  it('by the upstream whatever its protocol: a working WireGuard upstream is not called down', () => {
    expect(gateVerdict(report(true)).reason).toBe('dnsmasq not answering');
    expect(gateVerdict(report(false)).reason).toBe('the provider tunnel down; dnsmasq not answering');
  });
});
