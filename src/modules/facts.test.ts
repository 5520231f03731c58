/**
 * The facts awk (facts.awk) on tool output captured on Debian 12 (test/fixtures): the lines the
 * modules' proofs want are exactly the ones that state proves. The wanted lines come from the
 * modules themselves (renderResource(...).proof), so a proof string that drifts from what the awk
 * prints fails here, without root and without a host.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Secret } from '../shell/sh.js';
import { shellAsset } from '../shell/asset.js';
import { fixture } from './testing.js';
import { renderResource } from './index.js';

const AWK = shellAsset(new URL('./facts.ts', import.meta.url), 'facts.awk');

/** Runs the awk on `sections` wanting every line of the given resources' proofs; the proved ones per resource. */
function proved(sections: string, resources: { module: string; args: Record<string, unknown> }[]): boolean[] {
  const proofs = resources.map((r) => {
    const p = renderResource(r.module, r.args).proof;
    if (!p) throw new Error(`${r.module} has no proof`);
    return p.lines.map((l) => (l instanceof Secret ? l.value : l));
  });
  const wanted = [...new Set(proofs.flat())];
  const input = `@want\n${wanted.join('\n')}\n${sections}`;
  const r = spawnSync('awk', [AWK], { input, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const out = r.stdout.split('\n').filter(Boolean);
  for (const l of out) expect(l).toMatch(/^fleet_ok_[0-9]+=1$/);
  const ok = new Set(out.map((l) => wanted[Number(/[0-9]+/.exec(l)![0]) - 1]));
  return proofs.map((lines) => lines.every((l) => ok.has(l)));
}

/**
 * `route show table all` prints the table of every route outside main; the captures are of one table.
 * (Route types other than unicast are left out: under -N ip prints them as numbers, the captures as words.)
 */
function inTable(text: string, table: number): string {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => `${l.trimEnd()} table ${table}`)
    .join('\n');
}

const NET = [
  '@net -',
  fixture('iproute2', 'ip-o-link-show-veth-wg-6.1.0.txt').trimEnd(),
  fixture('iproute2', 'ip-o-link-show-down-6.1.0.txt').trimEnd(),
  fixture('iproute2', 'ip-o-4-addr-show-veth-wg-6.1.0.txt').trimEnd(),
  fixture('iproute2', 'ip-N-rule-show-6.1.0.txt').trimEnd(),
  fixture('iproute2', 'ip-route-show-main-exact-connected-6.1.0.txt').trimEnd(),
  inTable(fixture('iproute2', 'ip-route-show-table-200-exact-default-6.1.0.txt'), 200),
].join('\n');

describe('facts.awk on captured ip output', () => {
  it('proves a link that is up (and its MTU), never one that is down or has another MTU', () => {
    expect(
      proved(NET, [
        { module: 'link', args: { dev: 'veth-wg' } },
        { module: 'link', args: { dev: 'veth-wg', mtu: 1500 } },
        { module: 'link', args: { dev: 'veth-wg', mtu: 1420 } },
        { module: 'link', args: { dev: 'ens5-peer' } },
        { module: 'link', args: { dev: 'veth-wg', netns: 'gw' } },
      ]),
    ).toEqual([true, true, false, false, false]);
  });

  it('proves an address, its exclusiveness, and a ready interface', () => {
    expect(
      proved(NET, [
        { module: 'address', args: { dev: 'veth-wg', address: '10.200.1.1/24' } },
        { module: 'address', args: { dev: 'veth-wg', address: '10.200.1.1/24', exclusive: true } },
        { module: 'address', args: { dev: 'veth-wg', address: '10.200.1.2/24' } },
        { module: 'interface-ready', args: { dev: 'veth-wg' } },
        { module: 'interface-ready', args: { dev: 'ens5-peer' } },
      ]),
    ).toEqual([true, true, false, true, false]);
  });

  it('proves the rules as ip -N prints them, one per priority and selector', () => {
    expect(
      proved(NET, [
        { module: 'ip-rule', args: { priority: 100, from: '10.4.0.0/24', to: '10.4.0.0/24', table: 'main' } },
        { module: 'ip-rule', args: { priority: 110, fwmark: '0x200', table: 200 } },
        { module: 'ip-rule', args: { priority: 111, from: '10.4.0.7', table: 201 } },
        { module: 'ip-rule', args: { priority: 110, fwmark: '0x100', table: 200 } },
        { module: 'ip-rule', args: { priority: 101, to: '10.0.0.0/8', table: 200 } },
      ]),
    ).toEqual([true, true, true, false, false]);
  });

  it('proves metric-0 routes by table, type, gateway and device; a metric route proves nothing', () => {
    expect(
      proved(NET, [
        { module: 'ip-route', args: { destination: 'default', via: '10.200.1.2', dev: 'veth-wg', table: 200 } },
        { module: 'ip-route', args: { destination: 'default', via: '10.200.1.2', table: 200 } },
        { module: 'ip-route', args: { destination: '10.200.1.0/24', dev: 'veth-wg' } },
        { module: 'ip-route', args: { destination: 'default', via: '10.0.1.9', dev: 'ens5', table: 200 } },
        { module: 'ip-route', args: { destination: 'default', via: '10.200.1.2', dev: 'veth-wg' } },
      ]),
    ).toEqual([true, true, true, false, false]);
  });
});

describe('facts.awk on captured netns, dpkg, wg and sysctl output', () => {
  it('proves a listed namespace (also one with an id), not another', () => {
    const sections = `@netns\n${fixture('iproute2', 'ip-netns-list-6.1.0.txt')}`;
    expect(
      proved(sections, [
        { module: 'netns', args: { name: 'gw' } },
        { module: 'netns', args: { name: 'gw-vpn' } },
        { module: 'netns', args: { name: 'gw-x' } },
      ]),
    ).toEqual([true, true, false]);
  });

  it('proves installed packages; a package dpkg does not know is not proved', () => {
    // dpkg-query -f '${Package} ${db:Status-Abbrev}\n' prints `NAME ii `; the capture labels each line.
    const rows = fixture('dpkg', 'dpkg-query-status-abbrev.txt')
      .split('\n')
      .filter((l) => /^[a-z0-9+.-]+: ii/.test(l))
      .map((l) => l.replace(': ', ' '));
    expect(rows).toHaveLength(2);
    expect(
      proved(`@pkg\n${rows.join('\n')}`, [
        { module: 'package', args: { name: 'iproute2' } },
        { module: 'package', args: { name: 'wireguard-tools' } },
        { module: 'package', args: { name: 'fleet-no-such-package' } },
      ]),
    ).toEqual([true, true, false]);
  });

  it('proves a WireGuard interface only with its port and exactly its allowed IPs', () => {
    // `wg show all` prefixes each line of `wg show wg0` with the interface.
    const port = `wg0\t${fixture('wireguard-tools', 'wg-show-listen-port-1.0.20210914.txt').trim()}`;
    const ips = fixture('wireguard-tools', 'wg-show-allowed-ips-1.0.20210914.txt')
      .split('\n')
      .filter(Boolean)
      .filter((l) => !l.endsWith('(none)'))
      .map((l) => `wg0\t${l}`);
    const sections = `@wg\n${port}\n@wgips\n${ips.join('\n')}`;
    const [k1, k2] = ips.map((l) => l.split('\t')[1]!);
    const wg = (listenPort: number, peers: { publicKey: string; allowedIps: string[] }[]) => ({
      module: 'wireguard-interface',
      args: { name: 'wg0', keyPath: '/etc/wireguard/wg0.key', listenPort, peers },
    });
    const both = [
      { publicKey: k1!, allowedIps: ['10.4.0.2/32'] },
      { publicKey: k2!, allowedIps: ['10.4.0.130/32', '10.4.1.0/24'] },
    ];
    expect(
      proved(sections, [wg(51820, both), wg(51821, both), wg(51820, both.slice(0, 1)), wg(51820, [both[0]!, { ...both[1]!, allowedIps: ['10.4.0.130/32'] }])]),
    ).toEqual([true, false, false, false]);
  });

  it('proves a WireGuard interface with a unit only while systemd has it active, or where systemd does not run', () => {
    const port = `wg0\t${fixture('wireguard-tools', 'wg-show-listen-port-1.0.20210914.txt').trim()}`;
    const ips = fixture('wireguard-tools', 'wg-show-allowed-ips-1.0.20210914.txt').split('\n').filter(Boolean).filter((l) => !l.endsWith('(none)')).map((l) => `wg0\t${l}`);
    const [k1, k2] = ips.map((l) => l.split('\t')[1]!);
    const peers = [
      { publicKey: k1!, allowedIps: ['10.4.0.2/32'] },
      { publicKey: k2!, allowedIps: ['10.4.0.130/32', '10.4.1.0/24'] },
    ];
    const wg = { module: 'wireguard-interface', args: { name: 'wg0', keyPath: '/etc/wireguard/wg0.key', listenPort: 51820, peers, systemdUnit: 'wg-quick@wg0' } };
    const base = `@wg\n${port}\n@wgips\n${ips.join('\n')}\n@wgunit`;
    // `systemctl list-units --state=active --no-legend --plain 'wg-quick@*'`
    const active = 'wg-quick@wg0.service loaded active exited WireGuard via wg-quick(8) for wg0';
    expect([proved(`${base}\n${active}`, [wg]), proved(`${base}\n-`, [wg]), proved(base, [wg]), proved(`${base}\n${active.replace('wg0.service', 'wg1.service')}`, [wg])]).toEqual([[true], [true], [false], [false]]);
  });

  it('proves a sysctl value without regard to whitespace', () => {
    // `sysctl KEY` prints `KEY = VALUE`; the capture is of `sysctl -n KEY`.
    const value = fixture('procps', 'sysctl-n-ip_local_port_range.txt').trim();
    const sections = `@sysctl -\nnet.ipv4.ip_local_port_range = ${value}`;
    expect(
      proved(sections, [
        { module: 'sysctl', args: { key: 'net.ipv4.ip_local_port_range', value: '32768 60999' } },
        { module: 'sysctl', args: { key: 'net.ipv4.ip_local_port_range', value: '32768  60999' } },
        { module: 'sysctl', args: { key: 'net.ipv4.ip_local_port_range', value: '1024 60999' } },
      ]),
    ).toEqual([true, true, false]);
  });
});
