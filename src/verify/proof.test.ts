import { describe, expect, it } from 'vitest';
import { loadInventoryText } from '../inventory/index.js';
import { defaultProbeAddress, probeAddress } from './probe-address.js';
import { hostProof } from './proof.js';
import { verifyPlan } from './script.js';
import type { Marker } from '../engine/script.js';

const b64 = (s: string) => (s ? Buffer.from(s).toString('base64') : '-');

function vars(extra = '') {
  const text = `all:
  hosts:
    gw1:
      host: 198.51.100.11
      wan_interface: ens5
      wan_ip: 198.51.100.11
      vpn_server_ip: 198.51.100.2
      openvpn_config_file: /etc/hostname
      verify_echo_url: http://198.51.100.3:8080/
${extra}`;
  return loadInventoryText(text, 'inv.yaml').hosts[0]!.vars;
}

const m = (kind: string, ...fields: string[]): Marker => ({ kind, fields }) as Marker;

function markers(direct: string, vpn: string, opts: { vault?: string; before?: number; after?: number; wan?: number } = {}): Marker[] {
  const out = [m('echo', 'd', '0', b64(`${direct}\n`), '-'), m('echo', 'v', vpn ? '0' : '28', b64(vpn ? `${vpn}\n` : ''), b64(vpn ? '' : 'curl: (28) Connection timed out after 5001 milliseconds'))];
  for (const h of ['d', 'v']) {
    out.push(m('dns', h, 'vault.raff.local', b64(`${opts.vault ?? '10.4.0.7'}\n`)), m('dns', h, 'rafflab.internal', b64('10.4.0.3\n')));
  }
  out.push(m('dnscount', String(opts.before ?? 10), String(opts.after ?? 12), String(opts.wan ?? 0)), m('cleaned', '0'));
  return out;
}

describe('probe addresses', () => {
  it('default to the last address of each half, never the subnet broadcast', () => {
    const v = vars();
    expect(defaultProbeAddress(v, 'direct')).toBe('10.4.0.127');
    expect(defaultProbeAddress(v, 'vpn')).toBe('10.4.0.254');
    expect(probeAddress(vars('      verify_probe_vpn: 10.4.0.250\n'), 'vpn')).toBe('10.4.0.250');
  });

  it('a peer that takes one is refused with the file, line and field', () => {
    const peer = `      wg_peers:\n        - { name: laptop, public_key: ${'A'.repeat(43)}=, allowed_ips: [10.4.0.127/32] }\n`;
    expect(() => vars(peer)).toThrow(/inv\.yaml:\d+.*wg_peers.*10\.4\.0\.127\/32 of peer laptop takes 10\.4\.0\.127, the direct half's probe address/s);
    expect(() => vars('      verify_probe_direct: 10.4.0.200\n')).toThrow(/verify_probe_direct.*expected an address in the direct half 10\.4\.0\.0\/25/s);
  });
});

describe('what the markers prove', () => {
  const v = vars('      provider_exit_ip: 198.51.100.2\n');
  const plan = verifyPlan(v, v.verify_echo_url!, 'abc123');

  it('all good: the direct half at the WAN, the VPN half at the provider, names, DNS through the tunnel', () => {
    const p = hostProof(v, plan, markers('198.51.100.11', '198.51.100.2'));
    expect(p.problems).toEqual([]);
    expect(p.ok).toBe(true);
    expect(p.halves.map((h) => [h.half, h.probeAddress, h.echoSaw, h.expected])).toEqual([
      ['direct', '10.4.0.127', '198.51.100.11', '198.51.100.11'],
      ['vpn', '10.4.0.254', '198.51.100.2', '198.51.100.2'],
    ]);
  });

  it('names the half, the name and the DNS leak', () => {
    expect(hostProof(v, plan, markers('198.51.100.11', '')).problems).toEqual(['vpn half: no answer from http://198.51.100.3:8080/ (curl: (28) Connection timed out after 5001 milliseconds)']);
    expect(hostProof(v, plan, markers('198.51.100.11', '198.51.100.11')).problems).toEqual(['vpn half: http://198.51.100.3:8080/ saw the WAN\'s address 198.51.100.11: VPN-half traffic does not leave through the provider']);
    expect(hostProof(v, plan, markers('198.51.100.11', '198.51.100.9')).problems).toEqual(["vpn half: http://198.51.100.3:8080/ saw 198.51.100.9, expected the provider's exit address 198.51.100.2 (provider_exit_ip)"]);
    expect(hostProof(v, plan, markers('198.51.100.11', '198.51.100.2', { vault: '' })).problems).toEqual([
      'direct half: vault.raff.local resolved to nothing through the gateway, expected 10.4.0.7',
      'vpn half: vault.raff.local resolved to nothing through the gateway, expected 10.4.0.7',
    ]);
    expect(hostProof(v, plan, markers('198.51.100.11', '198.51.100.2', { after: 10 })).problems[0]).toMatch(/^upstream DNS: the DNS mark rule's packet counter did not rise \(10 -> 10\)/);
    expect(hostProof(v, plan, markers('198.51.100.11', '198.51.100.2', { wan: 3 })).problems).toEqual(['upstream DNS: 3 packet(s) from dnsmasq to port 53 left by ens5 during the probe, outside the tunnel']);
  });

  it('wan_public_ip replaces wan_ip as what the direct half must be seen at', () => {
    const nat = vars('      wan_public_ip: 203.0.113.50\n');
    const p = hostProof(nat, verifyPlan(nat, nat.verify_echo_url!, 'abc123'), markers('198.51.100.11', '198.51.100.2'));
    expect(p.problems).toEqual(["direct half: http://198.51.100.3:8080/ saw 198.51.100.11, expected the WAN's public address 203.0.113.50"]);
  });
});

describe('fleet verify input', () => {
  it('a host without verify_echo_url is bad input, named with its field, before any host is contacted', async () => {
    const { checkVerifiable } = await import('./verify.js');
    const { InventoryError } = await import('../errors.js');
    const text = `all:\n  hosts:\n    gw1:\n      host: 198.51.100.11\n      wan_interface: ens5\n      wan_ip: 198.51.100.11\n      vpn_server_ip: 198.51.100.2\n      openvpn_config_file: /etc/hostname\n`;
    const inv = loadInventoryText(text, 'inv.yaml');
    let err: unknown;
    try {
      checkVerifiable(inv.hosts, inv.file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InventoryError);
    expect((err as Error).message).toMatch(/^inv\.yaml: host gw1, field verify_echo_url: not set/);
  });
});
