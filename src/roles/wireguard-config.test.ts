/**
 * The WireGuard provider's config (issue 16): a wg-quick file from a third party, parsed and
 * linted on the controller; anything that would run as root, unknown keys, bad keys and a missing
 * endpoint are refused with the file and line before any host is contacted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { exitCodeForError } from '../cli/exit-codes.js';
import { loadInventoryText } from '../inventory/index.js';
import { providerVars, wireguardPublicKey } from './provider-vars.js';
import { isWireguardKey, parseWireguardConfig, wgSetconfText, wireguardOutline } from './wireguard-config.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fleet-wgp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// 32 bytes each, base64; not real keys of anything
const PRIV = Buffer.alloc(32, 7).toString('base64');
const PUB = Buffer.alloc(32, 9).toString('base64');
const PSK = Buffer.alloc(32, 11).toString('base64');

const GOOD = `# a provider's file, as issued
[Interface]
PrivateKey = ${PRIV}
Address = 10.64.12.34/32, fc00:bbbb:bbbb:bb01::c:1234/128
DNS = 10.64.0.1
MTU = 1380

[Peer]
PublicKey = ${PUB}
PresharedKey = ${PSK}
AllowedIPs = 0.0.0.0/0, ::0/0
Endpoint = 198.51.100.7:51820
PersistentKeepalive = 25
`;

const parse = (text: string) => () => parseWireguardConfig(text, '/etc/p.conf');

describe('the WireGuard provider config', () => {
  test('a provider file parses into what fleet routes and what wg setconf reads', () => {
    const c = parseWireguardConfig(GOOD, '/etc/p.conf');
    expect(c).toMatchObject({
      addresses4: ['10.64.12.34/32'],
      addresses6: ['fc00:bbbb:bbbb:bb01::c:1234/128'],
      dns: ['10.64.0.1'],
      mtu: 1380,
      peer: { endpoint: { ip: '198.51.100.7', port: 51820, family: 4 }, allowedIps: ['0.0.0.0/0', '::0/0'], persistentKeepalive: 25 },
    });
    const conf = wgSetconfText(c);
    // only wg(8)'s keys: no Address, DNS or MTU (wg setconf refuses them), no hook of any kind
    expect(conf).toContain(`PrivateKey = ${PRIV}`);
    expect(conf).toContain(`PresharedKey = ${PSK}`);
    expect(conf).toContain('Endpoint = 198.51.100.7:51820');
    expect(conf).not.toMatch(/^(Address|DNS|MTU|Table|PostUp|PreUp|SaveConfig)\b/im);
    // the outline masks every key
    const outline = wireguardOutline(c).join('\n');
    for (const k of [PRIV, PUB, PSK]) expect(outline).not.toContain(k);
    expect(outline).toContain('PrivateKey ***');
  });

  test('keys and sections are case-insensitive, comments after values are dropped, a bare address gets /32', () => {
    const c = parseWireguardConfig(`[interface]\nprivatekey = ${PRIV} # mine\naddress = 10.2.0.2\n[PEER]\npublickey=${PUB}\nendpoint = 198.51.100.9:443\nallowedips = 0.0.0.0/0\n`, 'x');
    expect(c.addresses4).toEqual(['10.2.0.2/32']);
    expect(c.peer.endpoint).toEqual({ ip: '198.51.100.9', port: 443, family: 4 });
    expect(wgSetconfText(c)).toContain('Endpoint = 198.51.100.9:443');
  });

  test.each([
    ['PostUp = iptables -F', 9, "'PostUp' runs a command as root"],
    ['PreUp = curl x | sh', 9, "'PreUp' runs a command as root"],
    ['PostDown = rm -rf /', 9, "'PostDown' runs a command as root"],
    ['predown = x', 9, "'predown' runs a command as root"],
    ['Table = off', 9, "'Table' sets wg-quick's routing"],
    ['SaveConfig = true', 9, "'SaveConfig' makes wg-quick write"],
    ['FwMark = 0x200', 9, "unknown key 'FwMark' in [Peer]"],
    ['Hostname = x', 9, "unknown key 'Hostname'"],
  ])('refuses %j in the file with its line', (line, n, message) => {
    const text = GOOD.replace('[Peer]\n', `[Peer]\n${line}\n`);
    expect(parse(text)).toThrow(ModuleArgsError);
    expect(parse(text)).toThrow(`/etc/p.conf:${n}: ${message}`);
  });

  test('a hook in [Interface] is refused there too, and every problem is named', () => {
    const text = GOOD.replace('MTU = 1380\n', 'PostUp = /bin/sh -c id\nMTU = 1380\nPreDown = x\n');
    expect(parse(text)).toThrow(/\/etc\/p\.conf:6: 'PostUp'[^\n]*\n\/etc\/p\.conf:8: 'PreDown'/);
  });

  test.each([
    ['PrivateKey', GOOD.replace(`PrivateKey = ${PRIV}\n`, ''), '/etc/p.conf: [Interface] has no PrivateKey'],
    ['PublicKey', GOOD.replace(`PublicKey = ${PUB}\n`, ''), '/etc/p.conf: [Peer] has no PublicKey'],
    ['Endpoint', GOOD.replace('Endpoint = 198.51.100.7:51820\n', ''), '/etc/p.conf: [Peer] has no Endpoint'],
    ['AllowedIPs', GOOD.replace('AllowedIPs = 0.0.0.0/0, ::0/0\n', ''), '/etc/p.conf: [Peer] has no AllowedIPs'],
    ['Address', GOOD.replace(/Address = .*\n/, ''), '/etc/p.conf: [Interface] has no Address'],
    ['[Peer]', GOOD.slice(0, GOOD.indexOf('[Peer]')), '/etc/p.conf: no [Peer] section'],
  ])('refuses a file without %s', (_what, text, message) => {
    expect(parse(text)).toThrow(message);
  });

  test.each([
    ['a short key', `PrivateKey = ${Buffer.alloc(31, 7).toString('base64')}`, "/etc/p.conf:3: 'PrivateKey' is not a WireGuard key"],
    ['a key that is not base64', `PrivateKey = ${'!'.repeat(43)}=`, "/etc/p.conf:3: 'PrivateKey' is not a WireGuard key"],
    ['a non-canonical key', `PrivateKey = ${PRIV.slice(0, 42)}B=`, "/etc/p.conf:3: 'PrivateKey' is not a WireGuard key"],
  ])('refuses %s without printing it', (_what, line, message) => {
    const text = GOOD.replace(`PrivateKey = ${PRIV}`, line);
    expect(parse(text)).toThrow(message);
    try {
      parse(text)();
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(line.slice('PrivateKey = '.length));
    }
  });

  test.each([
    ['Endpoint = vpn.example.com:51820', "'Endpoint' 'vpn.example.com' is not an IP address"],
    ['Endpoint = 198.51.100.7', "'Endpoint' expected address:port"],
    ['Endpoint = 198.51.100.7:70000', "'Endpoint' port 70000 is not 1-65535"],
    ['Endpoint = 2001:db8::7:51820', "'Endpoint' expected address:port"],
    ['Endpoint = [2001:db8::7]:51820', "'Endpoint' [2001:db8::7] is an IPv6 endpoint"],
  ])('refuses %j', (line, message) => {
    expect(parse(GOOD.replace('Endpoint = 198.51.100.7:51820', line))).toThrow(`/etc/p.conf:12: ${message}`);
  });

  test('refuses a second [Peer], a repeated key, a line outside a section, an IPv6-only address', () => {
    expect(parse(`${GOOD}\n[Peer]\n`)).toThrow('/etc/p.conf:15: a second [Peer] section');
    expect(parse(GOOD.replace('MTU = 1380', 'MTU = 1380\nMTU = 1400'))).toThrow("/etc/p.conf:7: 'MTU' is also set on line 6");
    expect(parse(`PrivateKey = ${PRIV}\n${GOOD}`)).toThrow("/etc/p.conf:1: 'PrivateKey' outside an [Interface] or [Peer] section");
    expect(parse(GOOD.replace('10.64.12.34/32, ', ''))).toThrow("/etc/p.conf:4: 'Address' has no IPv4 address");
    expect(parse(GOOD.replace('MTU = 1380', 'MTU = 9'))).toThrow("/etc/p.conf:6: 'MTU' must be a number from 1280 to 9000");
  });

  test("the tunnel's public key is derived on the controller exactly as `wg pubkey` derives it", () => {
    for (const key of [PRIV, spawnSync('wg', ['genkey'], { encoding: 'utf8' }).stdout.trim()]) {
      const wg = spawnSync('wg', ['pubkey'], { input: `${key}\n`, encoding: 'utf8' });
      expect(wg.status, wg.stderr).toBe(0);
      expect(wireguardPublicKey(key)).toBe(wg.stdout.trim());
    }
  });

  test('isWireguardKey: 32 bytes of canonical base64', () => {
    expect(isWireguardKey(PRIV)).toBe(true);
    expect(isWireguardKey(PRIV.slice(0, 43))).toBe(false);
    expect(isWireguardKey(`${PRIV}=`)).toBe(false);
  });
});

const BASE = 'all:\n  hosts:\n    gw1:\n      host: 203.0.113.10\n      wan_interface: ens5\n      wan_ip: 10.0.1.191\n';

function writeConfig(text: string): string {
  const file = path.join(tmp, `provider-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, text);
  return file;
}

describe('provider_protocol in the inventory', () => {
  test('openvpn (the default) still requires vpn_server_ip and openvpn_config_file', () => {
    expect(() => loadInventoryText(BASE, path.join(tmp, 'inv.yaml'))).toThrow('required variables not set: vpn_server_ip, openvpn_config_file');
  });

  test('wireguard requires provider_config_file instead, and not the OpenVPN variables', () => {
    expect(() => loadInventoryText(`${BASE}      provider_protocol: wireguard\n`, path.join(tmp, 'inv.yaml'))).toThrow('required variable not set: provider_config_file');
    const file = writeConfig(GOOD);
    const inv = loadInventoryText(`${BASE}      provider_protocol: wireguard\n      provider_config_file: ${file}\n`, path.join(tmp, 'inv.yaml'));
    const vars = inv.hosts[0]!.vars as unknown as Record<string, unknown>;
    expect(vars).toMatchObject({ provider_protocol: 'wireguard', provider_interface: 'wgp0' });
    expect(providerVars(vars, true).provider_wg).toMatchObject({ endpoint_route: '198.51.100.7/32', address4: ['10.64.12.34/32'], dns: ['10.64.0.1'], mtu: 1380 });
  });

  test('an unknown protocol is refused at its line', () => {
    expect(() => loadInventoryText(`${BASE}      provider_protocol: ipsec\n`, path.join(tmp, 'inv.yaml'))).toThrow(/inv\.yaml:7:\d+: host gw1, field provider_protocol/);
  });

  test('a bad provider file is bad input (exit 4); a teardown, which needs no file, still renders', () => {
    const file = writeConfig(GOOD.replace('[Peer]\n', '[Peer]\nPostUp = id\n'));
    const inv = loadInventoryText(`${BASE}      provider_protocol: wireguard\n      provider_config_file: ${file}\n`, path.join(tmp, 'inv.yaml'));
    const vars = inv.hosts[0]!.vars as unknown as Record<string, unknown>;
    let err: unknown;
    try {
      providerVars(vars, true);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModuleArgsError);
    expect(exitCodeForError(err)).toBe(4);
    expect(providerVars(vars, false).provider_wg).toMatchObject({ endpoint_route: '0.0.0.0/32' });
  });

  test('fleet deploy --check refuses a PostUp line with the file and line, exit 4, before contacting any host', () => {
    const file = writeConfig(GOOD.replace('[Peer]\n', '[Peer]\nPostUp = /bin/sh -c id\n'));
    const inv = path.join(tmp, 'cli.yaml');
    writeFileSync(inv, `${BASE}      provider_protocol: wireguard\n      provider_config_file: ${file}\n`);
    const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'bin', 'fleet.js');
    const r = spawnSync(process.execPath, [bin, 'deploy', inv, '--check'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toContain(`${file}:9: 'PostUp' runs a command as root`);
    expect(r.stdout + r.stderr).not.toContain(PRIV);
  });
});
