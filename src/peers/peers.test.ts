import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadInventoryText, type HostVars } from '../inventory/index.js';
import { address6For, allocateAddress, halfOf, PeerError } from './allocate.js';
import { qrCode, renderClientConfig } from './config.js';
import { addPeerText, removePeerText } from './inventory-edit.js';
import { generateKeys, isWgKey } from './keys.js';
import { clientAllowedIps } from './tunnel.js';

const K1 = 'kkF9mcIbAkIS8yuU9op2masQSd/wQPLAN4RskuUG2Ho=';
const K2 = '7Ad/AwSjTiq+HpZWwFasVCCUO9uQMYLq3nBFSkf52m0=';
const K3 = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';

const INV = `# Production gateways. Peers are added with fleet peer add.
all:
  vars:
    vpn_server_ip: 198.51.100.20   # the provider
    openvpn_config_file: /etc/fleet/provider.ovpn
  children:
    eu:
      # Frankfurt
      hosts:
        gw1:
          host: 203.0.113.10
          wan_interface: ens5
          wan_ip: 10.0.1.191   # SNAT source
          wg_peers:
            # the office router
            - name: office
              public_key: "${K1}"
              allowed_ips: [10.4.0.2/32]
            - name: phone
              public_key: ${K2}
              allowed_ips:
                - 10.4.0.128/32   # first of the VPN half
        gw2:
          host: 203.0.113.11
          wan_interface: ens5
          wan_ip: 10.0.1.192
`;

function vars(text: string, host = 'gw1'): HostVars {
  return loadInventoryText(text, '/x/inv.yaml').hosts.find((h) => h.name === host)!.vars;
}

describe('addresses', () => {
  const v = vars(INV);
  test('the first free address of each half, skipping the network address, the gateway and peers', () => {
    expect(allocateAddress(v, 'direct')).toBe('10.4.0.3');
    expect(allocateAddress(v, 'vpn')).toBe('10.4.0.129');
    expect(allocateAddress(vars(INV, 'gw2'), 'direct')).toBe('10.4.0.2');
  });
  test('a given address is checked', () => {
    expect(allocateAddress(v, 'vpn', '10.4.0.200')).toBe('10.4.0.200');
    expect(() => allocateAddress(v, 'vpn', '10.4.0.20')).toThrow(/not in the vpn half .*it is in the direct half/);
    expect(() => allocateAddress(v, 'direct', '10.4.0.2')).toThrow(/taken by peer office/);
    expect(() => allocateAddress(v, 'direct', '10.4.0.1')).toThrow(/taken by the gateway/);
    expect(() => allocateAddress(v, 'vpn', '10.4.0.255')).toThrow(/broadcast/);
    expect(() => allocateAddress(v, 'direct', 'nope')).toThrow(PeerError);
    expect(halfOf(v, '10.4.0.127')).toBe('direct');
    expect(halfOf(v, '10.4.0.128')).toBe('vpn');
    expect(halfOf(v, '10.5.0.1')).toBeUndefined();
    expect(halfOf(v, 'fd00:10:4::a')).toBe('direct');
    expect(halfOf(v, 'fd00:10:4:0:8000::c8')).toBe('vpn');
    expect(halfOf(v, 'fd00:10:5::1')).toBeUndefined();
  });
  test('a full half says so', () => {
    const peers = Array.from({ length: 126 }, (_, i) => ({ name: `p${i}`, public_key: K1, allowed_ips: [`10.4.0.${i + 2}/32`] }));
    expect(() => allocateAddress({ ...v, wg_peers: peers }, 'direct')).toThrow(/no free address in the direct half/);
  });
});

/** Lines removed and added between two texts (a plain LCS diff). */
function lineDiff(a: string, b: string): { removed: string[]; added: string[] } {
  const A = a.split('\n');
  const B = b.split('\n');
  const dp = Array.from({ length: A.length + 1 }, () => new Array<number>(B.length + 1).fill(0));
  for (let i = A.length - 1; i >= 0; i--) for (let j = B.length - 1; j >= 0; j--) dp[i]![j] = A[i] === B[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const removed: string[] = [];
  const added: string[] = [];
  let i = 0;
  let j = 0;
  while (i < A.length || j < B.length) {
    if (i < A.length && j < B.length && A[i] === B[j]) {
      i++;
      j++;
    }
    else if (j < B.length && (i >= A.length || dp[i]![j + 1]! >= dp[i + 1]![j]!)) added.push(B[j++]!);
    else removed.push(A[i++]!);
  }
  return { removed, added };
}

describe('editing the inventory', () => {
  const laptop = { name: 'laptop', public_key: K3, allowed_ips: ['10.4.0.129/32'] };
  test('add appends to the host\'s own list and changes nothing else (comments, quotes, flow lists)', () => {
    const out = addPeerText(INV, '/x/inv.yaml', 'gw1', laptop);
    expect(lineDiff(INV, out)).toEqual({
      removed: [],
      added: ['            - name: laptop', `              public_key: ${K3}`, '              allowed_ips:', '                - 10.4.0.129/32'],
    });
    expect(vars(out).wg_peers.map((p) => p.name)).toEqual(['office', 'phone', 'laptop']);
  });
  test('a host without its own list gets one (with what it inherited)', () => {
    const out = addPeerText(INV, '/x/inv.yaml', 'gw2', laptop, []);
    expect(lineDiff(INV, out).removed).toEqual([]);
    expect(vars(out, 'gw2').wg_peers).toEqual([laptop]);
    const empty = INV.replace('wan_ip: 10.0.1.192\n', 'wan_ip: 10.0.1.192\n          wg_peers: []\n');
    const out2 = addPeerText(empty, '/x/inv.yaml', 'gw2', laptop);
    expect(vars(out2, 'gw2').wg_peers).toEqual([laptop]);
  });
  test('remove takes out exactly that peer', () => {
    const added = addPeerText(INV, '/x/inv.yaml', 'gw1', laptop);
    const back = removePeerText(added, '/x/inv.yaml', 'gw1', 'laptop');
    expect(back).toBe(INV);
    const noPhone = removePeerText(INV, '/x/inv.yaml', 'gw1', 'phone');
    expect(lineDiff(INV, noPhone).added).toEqual([]);
    expect(vars(noPhone).wg_peers.map((p) => p.name)).toEqual(['office']);
    expect(noPhone).toContain('# the office router');
    expect(() => removePeerText(INV, '/x/inv.yaml', 'gw1', 'nobody')).toThrow(/no peer nobody/);
    expect(() => addPeerText(INV, '/x/inv.yaml', 'gw9', laptop)).toThrow(/does not list host gw9/);
  });
  test('the lab inventory keeps its header comment', () => {
    let lab: string;
    try {
      lab = readFileSync('inventory/lab.yaml', 'utf8');
    } catch {
      return; // no lab up
    }
    const out = addPeerText(lab, 'inventory/lab.yaml', 'gw1', laptop);
    expect(lineDiff(lab, out).removed).toEqual([]);
  });
});

describe('client config', () => {
  test('renders the wg-quick config with the gateway as its only peer', () => {
    const text = renderClientConfig({ privateKey: K2, address: '10.4.0.129', dns: '10.4.0.1', serverPublicKey: K1, endpoint: '198.51.100.11:51821', allowedIps: ['10.4.0.0/24'], comment: 'laptop on gw1' });
    expect(text).toBe(`# laptop on gw1
[Interface]
PrivateKey = ${K2}
Address = 10.4.0.129/32
DNS = 10.4.0.1

[Peer]
PublicKey = ${K1}
Endpoint = 198.51.100.11:51821
AllowedIPs = 10.4.0.0/24
PersistentKeepalive = 25
`);
    expect(renderClientConfig({ address: '10.4.0.3', dns: '10.4.0.1', serverPublicKey: K1, endpoint: 'x:1', allowedIps: ['10.4.0.0/24', '0.0.0.0/0'] })).toContain(
      '# PrivateKey = <',
    );
  });
  test('a QR code for a terminal', () => {
    const q = qrCode('[Interface]\nPrivateKey = x\n');
    expect(q.split('\n').length).toBeGreaterThan(10);
    expect(q).toMatch(/[█▀▄]/);
  });
  test.skipIf(spawnSync('wg', ['--version']).error !== undefined)('keys come from wg genkey / wg pubkey', () => {
    const k = generateKeys();
    expect(isWgKey(k.privateKey) && isWgKey(k.publicKey)).toBe(true);
    expect(spawnSync('wg', ['pubkey'], { input: k.privateKey, encoding: 'utf8' }).stdout.trim()).toBe(k.publicKey);
  });
});

describe('a peer\'s IPv6 address', () => {
  test('its half\'s first IPv6 address plus its IPv4 offset in wg_subnet', () => {
    const v = vars(INV);
    expect(address6For(v, 'direct', '10.4.0.10')).toBe('fd00:10:4::a');
    expect(address6For(v, 'vpn', '10.4.0.200')).toBe('fd00:10:4:0:8000::c8');
  });
  test('one another peer holds is refused', () => {
    const v = vars(INV);
    const taken = { ...v, wg_peers: [...v.wg_peers, { name: 'manual', public_key: K3, allowed_ips: ['10.4.0.99/32', 'fd00:10:4::a/128'] }] };
    expect(() => address6For(taken, 'direct', '10.4.0.10')).toThrow(/fd00:10:4::a .*taken by peer manual/);
  });
  test('the client config carries both families: Address, and DNS at the gateway\'s two addresses', () => {
    const text = renderClientConfig({ privateKey: K2, address: '10.4.0.200', address6: 'fd00:10:4:0:8000::c8', dns: '10.4.0.1', dns6: 'fd00:10:4::1', serverPublicKey: K1, endpoint: '198.51.100.11:51821', allowedIps: clientAllowedIps(['10.4.0.0/24', 'fd00:10:4::/64'], {}) });
    expect(text).toContain('Address = 10.4.0.200/32, fd00:10:4:0:8000::c8/128\nDNS = 10.4.0.1, fd00:10:4::1\n');
    expect(text).toContain('AllowedIPs = 0.0.0.0/0, ::/0\n');
  });
});

describe('what a client tunnels', () => {
  test('a full tunnel by default: every destination meets the gateway', () => {
    expect(clientAllowedIps(['10.4.0.0/24'], {})).toEqual(['0.0.0.0/0', '::/0']);
  });
  test('--split, dual stack: both WireGuard subnets', () => {
    expect(clientAllowedIps(['10.4.0.0/24', 'fd00:10:4::/64'], { split: true, extra: ['2001:db8:9::/48'] })).toEqual(['10.4.0.0/24', 'fd00:10:4::/64', '2001:db8:9::/48']);
  });
  test('--split: the WireGuard subnet, then the networks asked for, once each', () => {
    expect(clientAllowedIps(['10.4.0.0/24'], { split: true })).toEqual(['10.4.0.0/24']);
    expect(clientAllowedIps(['10.4.0.0/24'], { split: true, extra: ['192.168.1.0/24', '10.4.0.0/24'] })).toEqual(['10.4.0.0/24', '192.168.1.0/24']);
  });
  test('--allowed-ips without --split is refused: it would silently mean nothing', () => {
    expect(() => clientAllowedIps(['10.4.0.0/24'], { extra: ['192.168.1.0/24'] })).toThrow(/--allowed-ips needs --split/);
  });
});
