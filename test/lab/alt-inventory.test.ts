/**
 * Nothing is hard-coded (issue 5): an inventory with another WireGuard subnet, interface, port,
 * namespace, veth pair, marks, table and rule priorities deploys and passes the same traffic
 * checks, and none of the seed's values appear on the gateway.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provePaths } from '../../src/lab/proof.js';
import { fleetCli } from './cli.js';
import { clientExec, gatewayExec, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let tmp: string;
let inv: string;

const ALT = {
  wg_interface: 'wg7',
  wg_address: '10.9.0.1/24',
  wg_subnet: '10.9.0.0/24',
  wg_direct_range: '10.9.0.0/25',
  wg_vpn_range: '10.9.0.128/25',
  wg_port: 51999,
  vpn_namespace: 'tunnelns',
  veth_host: 'vh0',
  veth_ns: 'vn0',
  veth_host_address: '10.201.5.1/30',
  veth_ns_address: '10.201.5.2/30',
  veth_host_address6: 'fd00:201:5::1/126',
  veth_ns_address6: 'fd00:201:5::2/126',
  vpn_mark: 0x31,
  dns_mark: 0x32,
  vpn_table: 123,
  rule_priority: 2000,
  openvpn_tun: 'tunx',
  dns_entries: [
    { name: 'vault.raff.local', ip: '10.9.0.7' },
    { name: 'rafflab.internal', ip: '10.9.0.3' },
  ],
};
const CLIENT_ADDR: Record<string, string> = { direct: '10.9.0.10', vpn: '10.9.0.200' };

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, fresh: true }, suite);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-alt-'));
  const doc = parseDocument(readFileSync(lab.inventory, 'utf8'));
  for (const [k, v] of Object.entries(ALT)) doc.setIn(['all', 'vars', k], v);
  doc.setIn(
    ['all', 'hosts', 'gw1', 'wg_peers'],
    lab.clients.map((c) => ({ name: c.name, public_key: c.publicKey, allowed_ips: [`${CLIENT_ADDR[c.half]}/32`] })),
  );
  inv = path.join(tmp, 'alt.yaml');
  writeFileSync(inv, String(doc));
});
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await teardownLab();
});

describe('a second inventory with none of the seed values', () => {
  it('deploys, converges and passes the same traffic checks', async () => {
    const d = await fleetCli(['deploy', inv, '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect((await fleetCli(['deploy', inv, '--json'])).json.hosts[0].changed).toBe(0);

    // Re-address the lab's two clients into the new subnet and point them at wg7's key and port.
    const key = (await gatewayExec(lab, 'gw1', 'wg show wg7 public-key')).stdout.trim();
    for (const c of lab.clients) {
      const r = await clientExec(
        lab,
        c,
        [
          'for p in $(wg show wg0 peers); do wg set wg0 peer "$p" remove; done',
          `ip addr flush dev wg0 && ip addr add ${CLIENT_ADDR[c.half]}/32 dev wg0`,
          `ip route del 10.4.0.0/24 dev wg0 2>/dev/null; ip route replace 10.9.0.0/24 dev wg0; ip route replace ${lab.internet!.ip}/32 dev wg0`,
          `wg set wg0 peer '${key}' endpoint ${lab.gateways[0]!.wanIp}:${ALT.wg_port} allowed-ips 10.9.0.0/24,${lab.internet!.ip}/32 persistent-keepalive 5`,
        ].join('\n'),
      );
      expect(r.code, r.stderr).toBe(0);
    }
    const proofs = await provePaths(lab, { dnsServer: '10.9.0.1', internalNames: { 'vault.raff.local': '10.9.0.7', 'rafflab.internal': '10.9.0.3' } });
    expect(proofs).toHaveLength(2);
    for (const p of proofs) expect(p.problems, p.client).toEqual([]);

    // None of the seed's values made it onto the gateway.
    const state = await gatewayExec(
      lab,
      'gw1',
      'iptables-save; ip6tables-save; ip rule; ip -6 rule; ip route show table all; ip -6 route show table all; ip netns list; ip -br link; ip -br addr; ip netns exec tunnelns iptables-save; ip netns exec tunnelns ip6tables-save; ip -n tunnelns route; ip -n tunnelns -6 route; ip -n tunnelns -br addr',
    );
    expect(state.stdout).toContain('lookup 123');
    expect(state.stdout).toContain('0x31');
    expect(state.stdout).toMatch(/^default via fd00:201:5::2 dev vh0 table 123 /m);
    expect(state.stdout).not.toMatch(/10\.4\.0\.|0x200|0x100|lookup 200|veth-wg|veth-vpn|\bwg0\b|\bvpn\b|10\.200\.1\.|fd00:200:1:/);
  });

  it('tears down to nothing', async () => {
    const r = await fleetCli(['rollback', 'gw1', '-i', inv, '--yes', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const s = await gatewayExec(lab, 'gw1', 'iptables-save | grep -c "^-A"; ip rule | wc -l; ip netns list | wc -l');
    expect(s.stdout.trim().split('\n')).toEqual(['0', '3', '0']);
  });
});
