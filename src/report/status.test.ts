import { describe, expect, it } from 'vitest';
import type { HostStatusReport } from '../engine/status.js';
import { statusTable } from './status.js';

function report(peers: { name: string; handshakeAgeS?: number }[]): HostStatusReport {
  return {
    host: 'gw1',
    reachable: true,
    healthy: true,
    inSync: true,
    roundTrips: 1,
    seconds: 0,
    drift: { count: 0, items: [] },
    journal: { unfinished: false },
    health: {
      wg: { up: true, listenPort: 51820, peers: peers.map((p) => ({ ...p, publicKey: `${p.name}-key`, allowedIps: ['10.4.0.10/32'], rxBytes: 0, txBytes: 0 })) },
      openvpn: { running: true, tun: { up: true, address: '10.8.0.2/24' } },
      dnsmasq: { running: true, answering: true },
    },
  };
}

describe('status --verbose peer lines', () => {
  it('say how long ago a peer last shook hands, or that it never did', () => {
    const out = statusTable([report([{ name: 'c1-direct', handshakeAgeS: 42 }, { name: 'c1-vpn' }])], { verbose: true });
    expect(out).toMatch(/^ {2}gw1 peer c1-direct: 10\.4\.0\.10\/32 handshake 42s ago, rx 0 tx 0$/m);
    expect(out).toMatch(/^ {2}gw1 peer c1-vpn: 10\.4\.0\.10\/32 no handshake yet, rx 0 tx 0$/m);
  });
});
