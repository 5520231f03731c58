import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadInventoryText } from '../inventory/index.js';
import { ROLE_ORDER } from './order.js';
import { desiredState, renderDesired } from './tasks.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fleet-tasks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ovpn = path.join(tmp, 'provider.ovpn');
writeFileSync(ovpn, 'client\nremote 198.51.100.2 1194\n<key>\nPROVIDER-KEY\n</key>\n');

const inv = loadInventoryText(
  `all:
  vars:
    wan_interface: ens5
    vpn_server_ip: 198.51.100.20
    openvpn_config_file: ${ovpn}
  hosts:
    gw1: { host: 203.0.113.10, wan_ip: 10.0.1.191 }
    gw2: { host: 203.0.113.11, wan_ip: 10.0.1.192 }
    gw3: { host: 203.0.113.12, wan_ip: 10.0.1.193, wg_port: 51822, dns_upstreams: [9.9.9.9] }
`,
  path.join(tmp, 'inv.yaml'),
);

const vars = (name: string) => inv.hosts.find((h) => h.name === name)!.vars as unknown as Record<string, unknown>;

describe('renderDesired shares resources between hosts', () => {
  test.each([[ROLE_ORDER], [ROLE_ORDER.filter((r) => r !== 'openvpn')], [['wireguard'] as const], [['firewall', 'routing'] as const]])(
    'every host gets what it renders on its own (%j)',
    (roles) => {
      const shared = renderDesired(inv.hosts, roles);
      for (const h of inv.hosts) expect(shared.get(h.name)).toEqual(desiredState(vars(h.name), roles));
    },
  );

  test('a resource that renders the same for two hosts is one object; host-specific ones are not shared', () => {
    const d = renderDesired(inv.hosts, ROLE_ORDER);
    const gw1 = new Map(d.get('gw1')!.map((x) => [x.resource.id, x.resource]));
    const gw2 = new Map(d.get('gw2')!.map((x) => [x.resource.id, x.resource]));
    expect([...gw1].filter(([id, r]) => gw2.get(id) === r).length).toBeGreaterThan(0);
    // The SNAT rule names each host's own WAN address; the wg config file differs in content.
    expect([...gw1.keys()].some((id) => id.includes('--to-source 10.0.1.191 '))).toBe(true);
    expect([...gw2.keys()].some((id) => id.includes('--to-source 10.0.1.191 '))).toBe(false);
    const wg3 = d.get('gw3')!.find((x) => x.resource.id === 'file:/etc/wireguard/wg0.conf')!.resource;
    expect(wg3).not.toBe(gw1.get('file:/etc/wireguard/wg0.conf'));
    expect(wg3.desiredContent).toContain('51822');
  });

  test('watches go on a copy: the shared resource and the other hosts are unchanged', () => {
    const d = renderDesired(inv.hosts, ROLE_ORDER);
    expect(d.get('gw1')!.filter((x) => x.resource.watches?.length).length).toBeGreaterThan(0);
    for (const h of inv.hosts) expect(d.get(h.name)).toEqual(desiredState(vars(h.name), ROLE_ORDER));
  });
});

describe('what the roles declare beside their resources', () => {
  const d = desiredState(vars('gw1'), ROLE_ORDER);

  test('the health status judges by: the WireGuard interface, the OpenVPN client and its tunnel, dnsmasq', () => {
    const declared = d.filter((x) => x.health).map((x) => [x.health, x.resource.id]);
    expect(declared).toEqual([
      ['wireguard', 'wireguard-interface:wg0'],
      ['dnsmasq', 'daemon:dnsmasq'],
      ['openvpn', 'daemon:openvpn'],
      ['tunnel', 'interface-ready:vpn:tun0'],
    ]);
    // status reads the daemons and the tunnel by their own liveness probe
    for (const x of d.filter((y) => y.health && y.health !== 'wireguard')) expect(x.resource.live, x.resource.id).toBeDefined();
  });

  test('reachability: every route, rule, iptables rule, link and address can cut access; files, daemons and packages cannot', () => {
    const by = (pred: (id: string) => boolean) => d.filter((x) => pred(x.resource.id));
    for (const x of by((id) => /^(ip-route|ip-rule|iptables-rule|link|address|veth|netns|wireguard-interface):/.test(id))) expect(x.resource.reachability, x.resource.id).toBe(true);
    for (const x of by((id) => /^(file|daemon|package|wireguard-key|systemd-unit-enabled|interface-ready):/.test(id))) expect(x.resource.reachability, x.resource.id).toBeUndefined();
    // the roles that carry the gateway's paths all have some
    for (const role of ['namespace', 'routing', 'firewall', 'wireguard']) expect(d.some((x) => x.role === role && x.resource.reachability), role).toBe(true);
  });
});
