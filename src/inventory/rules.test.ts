import { describe, expect, it } from 'vitest';
import { parseCidr } from '../types/net.js';
import { loadRoleDefaults } from '../roles/defaults.js';
import { checkFleet, checkHost, cidrInside, cidrOverlap } from './rules.js';
import { hostVarsSchema, type HostVars } from './schema.js';

const base = (over: Record<string, unknown> = {}): HostVars =>
  hostVarsSchema.parse({
    ...loadRoleDefaults().vars,
    host: '192.0.2.1',
    wan_interface: 'ens5',
    wan_ip: '10.0.1.1',
    vpn_server_ip: '198.51.100.20',
    openvpn_config_file: '/etc/fleet/provider.ovpn',
    ...over,
  });
const c = (s: string) => parseCidr(s)!;
const messages = (v: HostVars) => checkHost('gw1', v).map((f) => `${f.path.join('.')}: ${f.message}`);

it('the seed layout passes', () => {
  expect(checkHost('gw1', base())).toEqual([]);
});

describe('CIDR arithmetic', () => {
  it.each([
    ['10.4.0.0/25', '10.4.0.0/24', true],
    ['10.4.0.128/25', '10.4.0.0/24', true],
    ['10.4.0.0/24', '10.4.0.0/25', false],
    ['10.4.1.0/25', '10.4.0.0/24', false],
    ['10.4.0.0/24', '10.4.0.0/24', true],
  ])('%s inside %s: %s', (a, b, inside) => expect(cidrInside(c(a), c(b))).toBe(inside));

  it.each([
    ['10.4.0.0/25', '10.4.0.128/25', false],
    ['10.4.0.0/25', '10.4.0.64/26', true],
    ['10.4.0.64/26', '10.4.0.0/25', true],
    ['10.200.1.0/24', '10.4.0.0/24', false],
    ['10.0.0.0/8', '10.4.0.0/24', true],
  ])('%s overlaps %s: %s', (a, b, overlap) => expect(cidrOverlap(c(a), c(b))).toBe(overlap));
});

describe('per host', () => {
  it('ranges outside the subnet', () => {
    expect(messages(base({ wg_direct_range: '10.5.0.0/25', wg_vpn_range: '10.4.0.0/23' }))).toEqual([
      'wg_direct_range: expected a range inside wg_subnet 10.4.0.0/24, received 10.5.0.0/25',
      'wg_vpn_range: expected a range inside wg_subnet 10.4.0.0/24, received 10.4.0.0/23',
    ]);
  });

  it('veth addresses: equal, and overlapping the WireGuard subnet', () => {
    expect(messages(base({ veth_host_address: '10.200.1.1/24', veth_ns_address: '10.200.1.1/24' }))).toEqual([
      'veth_ns_address: veth_ns_address must differ from veth_host_address (both 10.200.1.1)',
    ]);
    expect(messages(base({ veth_host_address: '10.4.0.250/24', veth_ns_address: '10.4.0.251/24' }))).toEqual([
      'veth_host_address: the veth subnet 10.4.0.0/24 overlaps wg_subnet 10.4.0.0/24: pick a separate subnet (e.g. 10.200.1.0/24)',
    ]);
  });

  it('veth IPv6 addresses: another subnet, equal, and overlapping the WireGuard IPv6 prefix', () => {
    expect(messages(base({ veth_ns_address6: 'fd00:200:2::2/64' }))).toEqual([
      'veth_ns_address6: expected an address in the subnet of veth_host_address6 fd00:200:1::/64, received fd00:200:2::2/64',
    ]);
    expect(messages(base({ veth_ns_address6: 'fd00:200:1::1/64' }))).toEqual([
      'veth_ns_address6: veth_ns_address6 must differ from veth_host_address6 (both fd00:200:1::1)',
    ]);
    expect(messages(base({ veth_host_address6: 'fd00:10:4::fe/64', veth_ns_address6: 'fd00:10:4::ff/64' }))).toEqual([
      'veth_host_address6: the veth IPv6 subnet fd00:10:4::/64 overlaps wg_subnet6 fd00:10:4::/64: pick a separate subnet (e.g. fd00:200:1::/64)',
    ]);
  });

  it('peer allowed_ips: host bits are read as the network; a bad prefix is reported', () => {
    const peer = (name: string, key: string, ips: string[]) => ({ name, public_key: key, allowed_ips: ips });
    const k1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    const k2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
    expect(messages(base({ wg_peers: [peer('a', k1, ['10.4.0.5/30']), peer('b', k2, ['10.4.0.6/32', '10.4.0.9/33'])] }))).toEqual([
      'wg_peers.1.allowed_ips.0: 10.4.0.6/32 of peer b overlaps 10.4.0.5/30 of peer a',
      'wg_peers.1.allowed_ips.1: expected an address with prefix like 10.4.0.2/32 or fd00:10:4::2/128, received "10.4.0.9/33"',
    ]);
  });

  it('IPv6: halves inside wg_subnet6 and apart, wg_address6 inside it, peers\' IPv6 inside it and not shared', () => {
    expect(messages(base({ wg_vpn_range6: 'fd00:10:4::/66' }))).toEqual([
      'wg_vpn_range6: fd00:10:4::/66 overlaps wg_direct_range6 fd00:10:4::/65: a client address must decide one path (e.g. fd00:10:4::/65 and fd00:10:4:0:8000::/65)',
    ]);
    expect(messages(base({ wg_direct_range6: 'fd00:10:5::/65', wg_address6: 'fd00:11::1/64' }))).toEqual([
      'wg_direct_range6: expected a range inside wg_subnet6 fd00:10:4::/64, received fd00:10:5::/65',
      'wg_address6: expected an address inside wg_subnet6 fd00:10:4::/64, received fd00:11::1/64',
    ]);
    const k1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    const k2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
    const peers = [
      { name: 'a', public_key: k1, allowed_ips: ['10.4.0.10/32', 'fd00:10:4::a/128'] },
      { name: 'b', public_key: k2, allowed_ips: ['10.4.0.11/32', 'fd00:10:4::a/128', 'fd00:99::1/128'] },
    ];
    expect(messages(base({ wg_peers: peers }))).toEqual([
      'wg_peers.1.allowed_ips.1: fd00:10:4::a/128 of peer b overlaps fd00:10:4::a/128 of peer a',
      'wg_peers.1.allowed_ips.2: expected addresses inside wg_subnet6 fd00:10:4::/64, received fd00:99::1/128',
    ]);
  });

  it('IPv6 text only in canonical form, with a hint', () => {
    expect(() => base({ wg_subnet6: 'FD00:10:4:0::/64' })).toThrow(/write it as fd00:10:4::\/64/);
    expect(() => base({ wg_direct_range6: 'fd00:10:4::1/65' })).toThrow(/host bits are set/);
  });

  it('root without become is fine; another user needs become', () => {
    expect(messages(base({ user: 'root', become: false }))).toEqual([]);
    expect(messages(base({ user: 'deploy', become: true }))).toEqual([]);
  });
});

describe('across hosts', () => {
  it('the same address and port is an error on the later host; the same wan_ip a warning', () => {
    const found = checkFleet([
      { name: 'gw1', vars: base() },
      { name: 'gw2', vars: base({ host: '192.0.2.1', port: 2222, wan_ip: '10.0.1.1' }) },
      { name: 'gw3', vars: base({ host: '192.0.2.1', wan_ip: '10.0.1.3' }) },
    ]);
    expect(found.map((f) => [f.host, f.severity, f.path[0]])).toEqual([
      ['gw2', 'warning', 'wan_ip'],
      ['gw3', 'error', 'host'],
    ]);
  });
});
