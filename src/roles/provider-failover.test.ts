/**
 * provider_endpoints (issue 16, failover): every endpoint's config and route on the gateway, the
 * health check, the tunnel as provider_interface whatever the active endpoint's protocol, and
 * every config checked with its file and line before any host is contacted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadInventoryText } from '../inventory/index.js';
import { ROLE_ORDER } from './order.js';
import { desiredState } from './tasks.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fleet-failover-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PRIV = Buffer.alloc(32, 7).toString('base64');
const PUB = Buffer.alloc(32, 9).toString('base64');
const WG = `[Interface]\nPrivateKey = ${PRIV}\nAddress = 10.10.0.11/32\nMTU = 1400\n\n[Peer]\nPublicKey = ${PUB}\nAllowedIPs = 0.0.0.0/0\nEndpoint = 198.51.100.6:51820\n`;
const OVPN = 'client\ndev tun\nproto udp\nremote 198.51.100.2 1194\nnobind\n';

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

function load(endpoints: string) {
  return loadInventoryText(`all:\n  hosts:\n    gw1:\n      host: 203.0.113.10\n      wan_interface: ens5\n      wan_ip: 10.0.1.191\n      provider_endpoints:\n${endpoints}`, path.join(tmp, 'inv.yaml'));
}

function vars(endpoints: string): Record<string, unknown> {
  const inv = load(endpoints);
  return inv.hosts[0]!.vars as unknown as Record<string, unknown>;
}

const ovpnA = write('a.ovpn', OVPN);
const wgB = write('b.conf', WG);
const both = `        - { name: A, protocol: openvpn, config_file: ${ovpnA} }\n        - { name: B, protocol: wireguard, config_file: ${wgB} }\n`;

describe('provider_endpoints', () => {
  const desired = desiredState(vars(both), ROLE_ORDER);
  const byTask = (t: string) => desired.filter((d) => d.task.startsWith(t));
  // A file's content travels base64-encoded in its apply.
  const content = (t: string) => {
    const b64 = /printf %s '?([A-Za-z0-9+/=]{16,})'? \| base64 -d/.exec(byTask(t)[0]!.resource.apply.text)?.[1] ?? '';
    return Buffer.from(b64, 'base64').toString();
  };

  test('every endpoint has its config and its route; no single-provider tunnel is declared', () => {
    expect(byTask('provider endpoint A OpenVPN config')[0]!.resource.id).toBe('file:/etc/fleet/providers/A.conf');
    expect(byTask('provider endpoint B WireGuard config')[0]!.resource.id).toBe('file:/etc/fleet/providers/B.conf');
    const routes = byTask('route to provider endpoint').map((d) => d.resource.title).join('\n');
    expect(routes).toMatch(/198\.51\.100\.2 via 10\.200\.1\.1/);
    expect(routes).toMatch(/198\.51\.100\.6 via 10\.200\.1\.1/);
    // (the openvpn role's one resource left is the old config path, declared absent everywhere)
    expect(desired.filter((d) => (d.role === 'openvpn' || d.role === 'provider-wireguard') && !d.task.startsWith('no provider config at the old path'))).toEqual([]);
    expect(desired.some((d) => d.task === 'route to the OpenVPN server around the tunnel')).toBe(false);
    const list = content('provider endpoints in failover order');
    expect(list).toContain('A openvpn 198.51.100.2/32 - -');
    expect(list).toContain('B wireguard 198.51.100.6/32 10.10.0.11/32 1400');
  });

  test("a WireGuard endpoint's IPv6 Address is in the list: the health check puts it and the IPv6 routes on the tunnel", () => {
    const wg6 = write('c.conf', WG.replace('Address = 10.10.0.11/32', 'Address = 10.10.0.11/32, fd00:10::11/128'));
    const d = desiredState(vars(`        - { name: C, protocol: wireguard, config_file: ${wg6} }\n`), ROLE_ORDER);
    const file = d.find((x) => x.task === 'provider endpoints in failover order')!;
    const b64 = /printf %s '?([A-Za-z0-9+/=]{16,})'? \| base64 -d/.exec(file.resource.apply.text)?.[1] ?? '';
    expect(Buffer.from(b64, 'base64').toString()).toContain('C wireguard 198.51.100.6/32 10.10.0.11/32,fd00:10::11/128 1400');
  });

  test('the kill switch and the NAT name the one tunnel interface, whichever endpoint is active', () => {
    expect(byTask('kill switch')[0]!.resource.title).toContain("'!' -o wgp0");
    expect(byTask('namespace traffic leaves through the tunnel')[0]!.resource.title).toContain('-o wgp0');
    expect(byTask('the provider tunnel is up')[0]!.health).toBe('tunnel');
  });

  test('the health check runs with the default dead time, a check every 6 s, probing the namespace resolver', () => {
    const conf = content('provider failover settings');
    expect(conf).toContain('DEAD_AFTER_S=30');
    expect(conf).toContain('INTERVAL_S=6');
    expect(conf).toMatch(/PROBE=\d+\.\d+\.\d+\.\d+/);
    const daemon = byTask('provider health check running')[0]!.resource;
    expect(daemon.watches).toEqual(expect.arrayContaining(['file:/etc/fleet/providers/A.conf', 'file:/etc/fleet/providers/B.conf', 'file:/usr/local/lib/fleet/provider-failover.sh']));
  });

  test('no key in anything but the secret file', () => {
    for (const d of desired) {
      if (d.resource.id === 'file:/etc/fleet/providers/B.conf') continue;
      expect([d.resource.title, d.resource.check.text, d.resource.apply.text].join('\n')).not.toContain(PRIV);
    }
  });

  test('a malformed WireGuard endpoint is refused with its file and line', () => {
    const bad = write('bad.conf', WG.replace('MTU = 1400', 'PostUp = curl x | sh'));
    expect(() => desiredState(vars(`        - { name: B, protocol: wireguard, config_file: ${bad} }\n`), ROLE_ORDER)).toThrow(new RegExp(`${bad}:4: 'PostUp'`));
  });

  test('an OpenVPN endpoint whose remote is a name needs server_ip', () => {
    const named = write('named.ovpn', OVPN.replace('198.51.100.2', 'vpn.example.net'));
    expect(() => desiredState(vars(`        - { name: A, protocol: openvpn, config_file: ${named} }\n`), ROLE_ORDER)).toThrow(/named\.ovpn:4: remote vpn\.example\.net is not an IPv4 address: set provider_endpoints\[0\]\.server_ip/);
    const ok = desiredState(vars(`        - { name: A, protocol: openvpn, config_file: ${named}, server_ip: 198.51.100.9 }\n`), ROLE_ORDER);
    expect(ok.some((d) => /route 198\.51\.100\.9 via/.test(d.resource.title))).toBe(true);
  });

  test('endpoint names are unique', () => {
    expect(() => load(`        - { name: A, protocol: openvpn, config_file: ${ovpnA} }\n        - { name: A, protocol: wireguard, config_file: ${wgB} }\n`)).toThrow(
      /inv\.yaml:9:\d+: host gw1, field provider_endpoints\[1\]\.name: endpoint name A is used twice/,
    );
  });
});
