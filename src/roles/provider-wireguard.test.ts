/**
 * The WireGuard upstream's desired state (issue 16): what provider_protocol: wireguard renders in
 * place of the OpenVPN client, and that the provider's private key is only ever in the secret file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadInventoryText } from '../inventory/index.js';
import { itemDiff } from '../report/diff.js';
import { healthProbe, isHealthy, parseHealth } from './health.js';
import { ROLE_ORDER } from './order.js';
import { desiredState } from './tasks.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fleet-wgrole-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PRIV = Buffer.alloc(32, 7).toString('base64');
const PUB = Buffer.alloc(32, 9).toString('base64');
const PSK = Buffer.alloc(32, 11).toString('base64');
const CONFIG = `[Interface]\nPrivateKey = ${PRIV}\nAddress = 10.64.12.34/32,fc00::1/128\nDNS = 10.64.0.1\nMTU = 1380\n\n[Peer]\nPublicKey = ${PUB}\nPresharedKey = ${PSK}\nAllowedIPs = 0.0.0.0/0\nEndpoint = 198.51.100.7:51820\n`;

function hostVars(protocol: 'wireguard' | 'openvpn', config = CONFIG): Record<string, unknown> {
  const file = path.join(tmp, `p-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, config);
  const extra = protocol === 'wireguard' ? `      provider_protocol: wireguard\n      provider_config_file: ${file}\n` : `      vpn_server_ip: 198.51.100.20\n      openvpn_config_file: ${file}\n`;
  const inv = loadInventoryText(`all:\n  hosts:\n    gw1:\n      host: 203.0.113.10\n      wan_interface: ens5\n      wan_ip: 10.0.1.191\n${extra}`, path.join(tmp, 'inv.yaml'));
  return inv.hosts[0]!.vars as unknown as Record<string, unknown>;
}

const text = (d: ReturnType<typeof desiredState>[number]) => [d.resource.title, d.resource.check.text, d.resource.apply.text, d.resource.revert.text, d.resource.undo.text].join('\n');

describe('provider_protocol: wireguard', () => {
  const desired = desiredState(hostVars('wireguard'), ROLE_ORDER);
  const ids = desired.map((d) => d.resource.id);

  test('the WireGuard tunnel replaces the OpenVPN client, with fleet routes around and through it', () => {
    // (the old config path is declared absent for either protocol)
    expect(desired.filter((d) => d.resource.id.includes('openvpn') && !d.resource.id.startsWith('package:')).map((d) => [d.resource.id, d.removal !== undefined])).toEqual([
      ['file:/etc/openvpn/fleet-provider.conf', true],
    ]);
    expect(ids).toEqual(
      expect.arrayContaining([
        'file:/etc/fleet/provider-wireguard.conf',
        'wireguard-upstream:vpn:wgp0',
        'address:vpn:wgp0 10.64.12.34/32',
        'link:vpn:wgp0',
        'interface-ready:vpn:wgp0',
      ]),
    );
    const routes = desired.filter((d) => d.resource.module === 'ip-route' && d.role === 'provider-wireguard').map((d) => d.resource.title);
    expect(routes.join('\n')).toMatch(/198\.51\.100\.7.* via 10\.200\.1\.1 dev veth-vpn/);
    expect(routes.join('\n')).toMatch(/0\.0\.0\.0\/1 dev wgp0/);
    expect(routes.join('\n')).toMatch(/128\.0\.0\.0\/1 dev wgp0/);
    // the endpoint's route comes before the tunnel, whose routes come after it
    expect(ids.indexOf(desired.find((d) => /198\.51\.100\.7/.test(d.resource.title))!.resource.id)).toBeLessThan(ids.indexOf('wireguard-upstream:vpn:wgp0'));
    // the OpenVPN server's route is not there
    expect(desired.some((d) => d.task === 'route to the OpenVPN server around the tunnel')).toBe(false);
    expect(desired.find((d) => d.resource.id === 'interface-ready:vpn:wgp0')!.health).toBe('tunnel');
  });

  test('the kill switch and the masquerade name the WireGuard tunnel', () => {
    const kill = desired.find((d) => d.task.startsWith('kill switch'))!;
    expect(kill.resource.apply.text).toContain("'!' -o wgp0 -j DROP");
    expect(desired.find((d) => d.task === 'namespace traffic leaves through the tunnel masqueraded')!.resource.apply.text).toContain('-o wgp0 -j MASQUERADE');
  });

  test("the namespace resolves through the provider's DNS", () => {
    const resolv = desired.find((d) => d.resource.id === 'file:/etc/netns/vpn/resolv.conf')!;
    expect(resolv.resource.desiredContent).toContain('nameserver 10.64.0.1\n');
    expect(resolv.resource.desiredContent).not.toContain('8.8.8.8');
  });

  test('the private and preshared keys are only in the secret 0600 file; the plan outlines it masked', () => {
    const file = desired.find((d) => d.resource.id === 'file:/etc/fleet/provider-wireguard.conf')!;
    expect(file.resource.secret).toBe(true);
    expect(file.resource.title).toContain('0600');
    for (const d of desired) {
      if (d === file) continue;
      expect(text(d)).not.toContain(PRIV);
      expect(text(d)).not.toContain(PSK);
    }
    // not in the revert or undo of the file either (they are journaled)
    expect(file.resource.revert.text + file.resource.undo.text + file.resource.title).not.toContain(PRIV);
    const shown = itemDiff({ desired: file, state: 'change', current: '@@fleet-file present mode=0600 owner=root group=root content=differs secret\n' } as never);
    expect(shown).toContain('PrivateKey ***');
    expect(shown).toContain('PresharedKey ***');
    expect(shown).not.toContain(PRIV);
    expect(shown).not.toContain(PSK);
  });

  test('the boot scripts bring the tunnel back and take it down, without any key', () => {
    const up = desired.find((d) => d.resource.id === 'file:/etc/wireguard/wg0-up.sh')!.resource.desiredContent!;
    const down = desired.find((d) => d.resource.id === 'file:/etc/wireguard/wg0-down.sh')!.resource.desiredContent!;
    expect(up).toContain('wg setconf wgp0 /etc/fleet/provider-wireguard.conf');
    expect(down).toContain('link del dev wgp0');
    for (const s of [up, down]) {
      expect(s).not.toContain(PRIV);
      expect(s).not.toContain(PSK);
    }
    // the kill switch is up before the tunnel at boot
    expect(up.indexOf("'!' -o wgp0 -j DROP")).toBeLessThan(up.indexOf('wg setconf wgp0'));
  });

  test('a teardown renders without the provider file', () => {
    const vars = hostVars('wireguard');
    rmSync(vars.provider_config_file as string);
    const teardown = desiredState(vars, ROLE_ORDER, undefined, { readSources: false });
    expect(teardown.map((d) => d.resource.id)).toContain('wireguard-upstream:vpn:wgp0');
  });
});

describe("the WireGuard upstream's health", () => {
  const vars = hostVars('wireguard');
  const desired = desiredState(vars, ROLE_ORDER);
  const b64 = (t: string) => Buffer.from(t).toString('base64');

  test('the probe reads the tunnel inside the namespace, never with dump', () => {
    const probe = healthProbe(vars as never, desired).text;
    expect(probe).toContain('ip netns exec vpn wg show wgp0');
    expect(probe).not.toMatch(/dump|private-key|preshared/);
  });

  test('status: protocol, endpoint, handshake age and transfer; healthy on the tunnel address without an OpenVPN client', () => {
    const tables = `@endpoints\n${PUB}\t198.51.100.7:51820\n@latest-handshakes\n${PUB}\t1000\n@transfer\n${PUB}\t4096\t2048\n`;
    const markers = [
      { kind: 'wgshow', fields: [b64('@listen-port\n51821\n')] },
      { kind: 'openvpn', fields: ['-', b64('10.64.12.34/32'), '-'] },
      { kind: 'wgupstream', fields: [b64(tables)] },
      { kind: 'dnsmasq', fields: ['12', 'yes'] },
    ];
    const h = parseHealth(markers, vars as never, 1030);
    expect(h.upstream).toEqual({ protocol: 'wireguard', interface: 'wgp0', up: true, endpoint: '198.51.100.7:51820', handshakeAgeS: 30, rxBytes: 4096, txBytes: 2048 });
    expect(isHealthy(h, desired)).toBe(true);
    // the tunnel without its address is unhealthy
    const dark = parseHealth(markers.map((m) => (m.kind === 'openvpn' ? { kind: 'openvpn', fields: ['-', '-', '-'] } : m)), vars as never, 1030);
    expect(isHealthy(dark, desired)).toBe(false);
    expect(dark.upstream?.up).toBe(false);
  });
});

describe('provider_protocol: openvpn (the default) is as before', () => {
  test('no WireGuard upstream resource, the OpenVPN client and its server route', () => {
    const desired = desiredState(hostVars('openvpn', 'client\nremote 198.51.100.20 1194\n'), ROLE_ORDER);
    expect(desired.filter((d) => d.role === 'provider-wireguard')).toEqual([]);
    expect(desired.some((d) => d.resource.id === 'file:/etc/openvpn/client/fleet-provider.conf')).toBe(true);
    expect(desired.some((d) => d.task === 'route to the OpenVPN server around the tunnel')).toBe(true);
    expect(desired.find((d) => d.task.startsWith('kill switch'))!.resource.apply.text).toContain("'!' -o tun0 -j DROP");
    expect(desired.find((d) => d.resource.id === 'file:/etc/netns/vpn/resolv.conf')!.resource.desiredContent).toContain('nameserver 8.8.8.8');
  });
});

describe('units in status where systemd runs', () => {
  const vars = hostVars('openvpn');
  const desired = desiredState(vars, ROLE_ORDER);
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const healthy = [
    { kind: 'wgshow', fields: [b64('@listen-port\n51821\n')] },
    { kind: 'openvpn', fields: ['41', b64('10.8.0.2/24'), '-'] },
    { kind: 'dnsmasq', fields: ['12', 'yes'] },
  ];

  test('the probe asks systemd for the units of wg-quick@wg0, dnsmasq and the OpenVPN client, and the journal only of one not active', () => {
    const probe = healthProbe(vars as never, desired).text;
    expect(probe).toContain('for fleet_u in wg-quick@wg0 dnsmasq openvpn-client@fleet-provider; do');
    expect(probe).toContain('[ "$fleet_s" = active ] || fleet_j=$(journalctl -u "$fleet_u" -n 10 --no-pager');
  });

  test('healthy when every unit is active; a failed unit makes the gateway unhealthy and carries its journal lines', () => {
    const unit = (name: string, state: string, journal = '') => ({ kind: 'unit', fields: [name, state, b64(journal)] });
    const ok = parseHealth([...healthy, unit('dnsmasq', 'active'), unit('wg-quick@wg0', 'active'), unit('openvpn-client@fleet-provider', 'active')], vars as never);
    expect(ok.units).toEqual([
      { name: 'dnsmasq', state: 'active' },
      { name: 'wg-quick@wg0', state: 'active' },
      { name: 'openvpn-client@fleet-provider', state: 'active' },
    ]);
    expect(isHealthy(ok, desired)).toBe(true);
    const failed = parseHealth([...healthy, unit('dnsmasq', 'active'), unit('openvpn-client@fleet-provider', 'failed', 'line one\nOptions error: bad\n')], vars as never);
    expect(failed.units![1]).toEqual({ name: 'openvpn-client@fleet-provider', state: 'failed', journal: ['line one', 'Options error: bad'] });
    expect(isHealthy(failed, desired)).toBe(false);
    // Where systemd does not run there is no unit marker: health as before.
    expect(parseHealth(healthy, vars as never).units).toBeUndefined();
  });
});
