/**
 * The lab's pure parts (no root needed): the addressing plan, the generated inventory against
 * fleet's own schema, the WireGuard keys, and the snapshot normalisers.
 */
import { execFileSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { parse } from 'yaml';
import { benchGatewayPlan, clientPlan, gatewayPlan, isLabName, labMac, wanNetOf, MAX_BENCH_HOSTS, MAX_HOSTS, MAX_HOSTS_WITH_CLIENTS } from './names.js';
import { renderInventory } from './inventory.js';
import { wgKeyPair } from './keys.js';
import { normalizeIptables, normalizeLinks, normalizeProcesses } from './exec.js';
import { switchBatch, topologyBatch } from './switch.js';
import { bastionSshdConfig } from './bastion.js';
import { hostVarsSchema } from '../inventory/schema.js';
import { loadRoleDefaults } from '../roles/defaults.js';

describe('addressing plan', () => {
  it('puts gateways at 198.51.100.10+K (2001:db8:100::1K) and clients in both halves on 203.0.113.0/24', () => {
    expect(gatewayPlan(1)).toEqual({ index: 1, name: 'gw1', netns: 'fl-gw1', wanIp: '198.51.100.11', wanIp6: '2001:db8:100::11', switchPort: 'p-gw1' });
    expect(gatewayPlan(MAX_HOSTS).wanIp).toBe('198.51.100.254');
    expect(gatewayPlan(MAX_HOSTS).wanIp6).toMatch(/^2001:db8:100::[0-9a-f]+$/);
    expect(() => gatewayPlan(MAX_HOSTS + 1)).toThrow(RangeError);
  });

  it('a benchmark lab past the /24 puts 1,000 gateways in 198.18.0.0/15, each address once', () => {
    const plans = Array.from({ length: MAX_BENCH_HOSTS }, (_, i) => benchGatewayPlan(i + 1));
    expect(plans[0]).toEqual({ index: 1, name: 'gw1', netns: 'fl-gw1', wanIp: '198.18.1.1', switchPort: 'p-gw1' });
    expect(plans[249]!.wanIp).toBe('198.18.1.250');
    expect(plans[250]!.wanIp).toBe('198.18.2.1');
    expect(plans[999]!.wanIp).toBe('198.18.4.250');
    expect(new Set(plans.map((p) => p.wanIp)).size).toBe(MAX_BENCH_HOSTS);
    expect(plans.every((p) => isLabName(p.netns) && p.switchPort.length <= 15)).toBe(true);
    expect(() => benchGatewayPlan(MAX_BENCH_HOSTS + 1)).toThrow(RangeError);
    expect(wanNetOf('198.18.4.250')).toEqual({ prefixLen: 15, defaultGw: '198.18.0.3' });
    expect(wanNetOf('198.51.100.11')).toEqual({ prefixLen: 24, defaultGw: '198.51.100.3' });
    const batch = topologyBatch(['fl-switch', 'fl-gw1'], [{ port: 'p-gw1', peer: 'ens5', peerNs: 'fl-gw1' }], '/x', undefined, true);
    expect(batch.split('\n').filter((l) => l.startsWith('address add'))).toEqual(['address add 198.51.100.1/24 dev fl-ctl', 'address add 198.18.0.1/15 dev fl-ctl']);
    expect(clientPlan(2, 'direct')).toMatchObject({ name: 'c2-direct', netns: 'fl-c2d', address: '10.4.0.10', underlayIp: '203.0.113.12' });
    expect(clientPlan(2, 'vpn')).toMatchObject({ name: 'c2-vpn', netns: 'fl-c2v', address: '10.4.0.200', underlayIp: '203.0.113.13' });
    expect(clientPlan(MAX_HOSTS_WITH_CLIENTS, 'vpn').underlayIp).toBe('203.0.113.253');
    const all = Array.from({ length: MAX_HOSTS_WITH_CLIENTS }, (_, i) => [clientPlan(i + 1, 'direct').underlayIp, clientPlan(i + 1, 'vpn').underlayIp]).flat();
    expect(new Set(all).size).toBe(all.length);
    expect(labMac('198.51.100.11')).toBe('02:f1:c6:33:64:0b');
  });

  it('only ever names fl- things as its own, and never uses 192.0.2.0/24', () => {
    expect(isLabName('fl-gw12')).toBe(true);
    expect(isLabName('vpn')).toBe(false);
    expect(isLabName('fl-../x')).toBe(false);
    const batch = topologyBatch(['fl-switch', 'fl-gw1'], [{ port: 'p-gw1', peer: 'ens5', peerNs: 'fl-gw1' }], '/x/.fleet-lab');
    expect(batch).not.toContain('192.0.2.');
    // The only root-namespace object: the controller veth with 198.51.100.1/24.
    expect(batch.split('\n').filter((l) => l.startsWith('link add') && !l.includes(' netns fl-switch type veth peer name ens5'))).toEqual([
      'link add fl-ctl type veth peer name p-ctl netns fl-switch',
    ]);
    expect(batch).toContain('address add 198.51.100.1/24 dev fl-ctl');
  });

  it('with a bastion, the controller veth ends in the bastion and never on the switch', () => {
    const ports = [{ port: 'p-bastion', peer: 'eth0', peerNs: 'fl-bastion' }, { port: 'p-gw1', peer: 'ens5', peerNs: 'fl-gw1' }];
    const ctl = { name: 'ops0', ns: 'fl-bastion' };
    const batch = topologyBatch(['fl-switch', 'fl-bastion', 'fl-gw1'], ports, '/x/.fleet-lab', ctl);
    expect(batch).toContain('link add fl-ctl type veth peer name ops0 netns fl-bastion\n');
    expect(batch).not.toContain('p-ctl');
    expect(batch).toContain('address add 198.51.100.1/24 dev fl-ctl');
    expect(switchBatch(ports, ctl).split('\n').filter((l) => l.includes('master'))).toEqual(['link set p-bastion master br0', 'link set p-gw1 master br0']);
    expect(switchBatch(ports).split('\n').filter((l) => l.includes('master'))[0]).toBe('link set p-ctl master br0');
    const sshd = bastionSshdConfig({ perSourcePenalties: false });
    expect(sshd).toMatch(/^ListenAddress 198\.51\.100\.4$/m);
    expect(sshd).toMatch(/^AllowTcpForwarding yes$/m);
    expect(sshd).toMatch(/^LogLevel VERBOSE$/m);
  });
});

describe('inventory/lab.yaml', () => {
  it("validates against fleet's host schema once merged with the role defaults", () => {
    const keys = [wgKeyPair(), wgKeyPair()];
    const text = renderInventory({
      gateways: [gatewayPlan(1), gatewayPlan(2)],
      peers: new Map([
        ['gw1', [{ name: 'c1-direct', address: '10.4.0.10', publicKey: keys[0]!.publicKey }, { name: 'c1-vpn', address: '10.4.0.200', publicKey: keys[1]!.publicKey }]],
        ['gw2', []],
      ]),
      keyFile: '/lab/id_ed25519',
      knownHostsFile: '/lab/known_hosts',
      openvpnConfigFile: '/lab/provider/client.ovpn',
    });
    expect(text.startsWith('# fleet lab inventory')).toBe(true);
    const doc = parse(text) as { all: { vars: Record<string, unknown>; hosts: Record<string, Record<string, unknown>> } };
    const defaults = loadRoleDefaults().vars;
    for (const [name, hostVars] of Object.entries(doc.all.hosts)) {
      const merged = { ...defaults, ...doc.all.vars, ...hostVars };
      const r = hostVarsSchema.safeParse(merged);
      expect(r.success, `${name}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
    }
    expect(doc.all.hosts.gw1).toMatchObject({ host: '198.51.100.11', wan_ip: '198.51.100.11', wan_interface: 'ens5' });
    expect(doc.all.vars).toMatchObject({ user: 'root', vpn_server_ip: '198.51.100.2', dns_upstreams: ['198.51.100.3'], wg_port: 51821 });
    expect(doc.all.vars.proxy_jump).toBeUndefined();
  });

  it('a lab with a bastion reaches every gateway through it (proxy_jump), a value the schema takes', () => {
    const text = renderInventory({ gateways: [gatewayPlan(1)], peers: new Map(), keyFile: '/k', knownHostsFile: '/kh', openvpnConfigFile: '/o', proxyJump: 'root@198.51.100.4:22' });
    const doc = parse(text) as { all: { vars: Record<string, unknown>; hosts: Record<string, Record<string, unknown>> } };
    expect(doc.all.vars.proxy_jump).toBe('root@198.51.100.4:22');
    const r = hostVarsSchema.safeParse({ ...loadRoleDefaults().vars, ...doc.all.vars, ...doc.all.hosts.gw1, wg_peers: [] });
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
  });
});

describe('keys', () => {
  it('makes WireGuard key pairs that wg agrees with', () => {
    const k = wgKeyPair();
    expect(k.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    let wgPub: string | undefined;
    try {
      wgPub = execFileSync('wg', ['pubkey'], { input: `${k.privateKey}\n` }).toString().trim();
    } catch {
      return; // wg not installed: the format check above still ran
    }
    expect(wgPub).toBe(k.publicKey);
  });
});

describe('snapshot normalisers', () => {
  it('drop counters, comments and per-create noise, keep configuration', () => {
    expect(normalizeIptables(['# Generated by iptables-save v1.8.9', '*nat', ':POSTROUTING ACCEPT [3:180]', '-A POSTROUTING -s 10.4.0.0/25 -o ens5 -j SNAT --to-source 198.51.100.11', 'COMMIT', '# Completed'])).toEqual([
      '*nat', ':POSTROUTING ACCEPT', '-A POSTROUTING -s 10.4.0.0/25 -o ens5 -j SNAT --to-source 198.51.100.11', 'COMMIT',
    ]);
    const a = normalizeLinks(['7: veth-wg@if6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 6e:2f:ba:4e:23:e6 brd ff:ff:ff:ff:ff:ff link-netns vpn promiscuity 0 allmulti 0 minmtu 68 maxmtu 65535 \\    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2']);
    const b = normalizeLinks(['9: veth-wg@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 12:34:56:78:9a:bc brd ff:ff:ff:ff:ff:ff link-netnsid 1 promiscuity 0 allmulti 0 minmtu 68 maxmtu 65535 \\    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2']);
    expect(a).toEqual(b);
    expect(a[0]).toContain('veth-wg@if: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500');
  });

  it('lists daemons, not sshd sessions or the snapshot itself', () => {
    const ps = [
      '    1     0 sshd            sshd: /usr/sbin/sshd -D [listener] 1 of 500-1000 startups',
      '   40     1 wireguard-go    wireguard-go wg0',
      '   41     1 dnsmasq         dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf',
      '   50     1 sshd            sshd: root@notty',
      '   52    50 bash            bash -c fleet-apply',
      '   53    52 sleep           sleep 1',
      '   60     0 sh              sh -c snapshot',
      '   61    60 ps              ps -e',
    ];
    expect(normalizeProcesses(ps, 60)).toEqual(['dnsmasq dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf', 'wireguard-go wireguard-go wg0']);
  });
});
