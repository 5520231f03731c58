/**
 * Bad inventories: every problem in a file is reported at once, each as one line naming the file,
 * line and column where the value was written, the host(s) and the field.
 */
import { describe, expect, it } from 'vitest';
import { InventoryError, formatIssue } from '../errors.js';
import { loadInventory, loadInventoryText } from './load.js';

const F = 'test/fixtures/inventory';

function issues(file: string, opts: Parameters<typeof loadInventory>[1] = {}): string[] {
  try {
    loadInventory(file, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(InventoryError);
    return (err as InventoryError).issues.map(formatIssue);
  }
  throw new Error(`${file} loaded without errors`);
}

describe('bad input gives file:line messages, all at once', () => {
  it('YAML syntax', () => {
    expect(issues(`${F}/bad-syntax.yaml`)).toEqual([
      `${F}/bad-syntax.yaml:5:7: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  it('a duplicate key', () => {
    expect(issues(`${F}/bad-duplicate-key.yaml`)).toEqual([
      `${F}/bad-duplicate-key.yaml:6:7: duplicate key host (first at line 4): YAML keeps only one of them; merge the two entries`,
    ]);
  });

  it('an alias bomb', () => {
    const started = performance.now();
    expect(issues(`${F}/bad-alias-bomb.yaml`)).toEqual([
      `${F}/bad-alias-bomb.yaml:5:14: YAML aliases expand to more than 1000 nodes (an alias bomb?): Excessive alias count indicates a resource exhaustion attack`,
    ]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('the inventory shape', () => {
    expect(issues(`${F}/bad-structure.yaml`)).toEqual([
      `${F}/bad-structure.yaml:2:3: unexpected key host in group all: a group holds only hosts, children and vars (did you mean hosts?)`,
      `${F}/bad-structure.yaml:7:9: hosts of group eu must be a mapping of host: variables, got a list: write each host as a key (gw01:), not as a list item (- gw01)`,
      `${F}/bad-structure.yaml:11:14: host gw4 in group us must map to its variables, got a string ("192.0.2.4") (for an address write gw4: {host: 192.0.2.4})`,
      `${F}/bad-structure.yaml:12:9: host range [01:3] must specify equal-length begin and end formats (like 01:20)`,
      `${F}/bad-structure.yaml:13:7: unexpected key wan_ip in group us: a group holds only hosts, children and vars (if wan_ip is a variable, put it under vars:)`,
      `${F}/bad-structure.yaml:14:13: vars of group us must be a mapping of name: value, got a list`,
    ]);
  });

  it('values, located where they were defined: all.vars, a group, the host', () => {
    expect(issues(`${F}/bad-values.yaml`)).toEqual([
      `${F}/bad-values.yaml:7:14: host gw1, gw2, field wg_port: expected a number, received a string "51821" (remove the quotes to make it a number)`,
      `${F}/bad-values.yaml:11:20: host gw1, gw2, field wg_subnet: host bits are set: use the network address (e.g. 10.4.0.0/24), received "10.4.0.1/24"`,
      `${F}/bad-values.yaml:12:19: host gw1, gw2, field vpn_mark: expected firewall mark (e.g. 0x200): a number or a string, received a boolean true`,
      `${F}/bad-values.yaml:15:19: host gw1, field wan_ip: expected an IPv4 address like 10.4.0.1, received "10.0.1.300"`,
      `${F}/bad-values.yaml:16:25: host gw1, field wg_interface: expected an interface name (1-15 characters: letters, digits, _ . -), received "wireguard-interface-0"`,
      `${F}/bad-values.yaml:19:17: host gw2, field port: expected a number <= 65535, received 70000`,
      `${F}/bad-values.yaml:22:27: host gw2, field wg_peers[0].public_key: expected a WireGuard public key (44 base64 characters ending in =), received "not-a-key"`,
      `${F}/bad-values.yaml:23:28: host gw2, field wg_peers[0].allowed_ips: expected at least 1 item, received 0`,
    ]);
  });

  it('misspelt variable names, with a suggestion', () => {
    expect(issues(`${F}/bad-unknown-var.yaml`)).toEqual([
      `${F}/bad-unknown-var.yaml:6:5: host gw1, field wg_prot: unknown variable wg_prot: did you mean wg_port?`,
      `${F}/bad-unknown-var.yaml:10:7: host gw1, field ansible_hots: unknown variable ansible_hots: did you mean ansible_host?`,
      `${F}/bad-unknown-var.yaml:13:11: host gw1, field wg_peers[0].public_key: required, not set`,
      `${F}/bad-unknown-var.yaml:14:11: host gw1, field wg_peers[0].publickey: unknown variable publickey: did you mean public_key?`,
    ]);
  });

  it("missing required variables, at the host's line", () => {
    expect(issues(`${F}/bad-missing.yaml`)).toEqual([
      `${F}/bad-missing.yaml:7:9: host gw1, field openvpn_config_file: required variable not set: openvpn_config_file (set it in the host's entry, a group's vars, group_vars/ or host_vars/; if gw1 is not a gateway, leave it out with --limit '!gw1')`,
      `${F}/bad-missing.yaml:10:9: host gw2, field vpn_server_ip, openvpn_config_file: required variables not set: vpn_server_ip, openvpn_config_file (set them in the host's entry, a group's vars, group_vars/ or host_vars/; if gw2 is not a gateway, leave it out with --limit '!gw2')`,
    ]);
  });

  it('cross-field rules', () => {
    expect(issues(`${F}/bad-rules.yaml`)).toEqual([
      `${F}/bad-rules.yaml:9:21: host gw1, field wg_vpn_range: 10.4.0.64/26 overlaps wg_direct_range 10.4.0.0/25: a client address must decide one path (e.g. 10.4.0.0/25 and 10.4.0.128/25)`,
      `${F}/bad-rules.yaml:10:19: host gw1, field wg_address: expected an address inside wg_subnet 10.4.0.0/24, received 10.5.0.1/24`,
      `${F}/bad-rules.yaml:11:17: host gw1, field dns_mark: dns_mark must differ from vpn_mark (both are 0x200): they route different traffic`,
      `${F}/bad-rules.yaml:12:24: host gw1, field veth_ns_address: expected an address in the subnet of veth_host_address 10.200.1.0/24, received 10.200.2.2/24`,
      `${F}/bad-rules.yaml:13:13: host gw1, field user: deploy is not root: set become: true as well (fleet runs every step as root, through sudo -n)`,
      `${F}/bad-rules.yaml:18:17: host gw1, field wg_peers[1].name: peer name laptop is already used by wg_peers[0]`,
      `${F}/bad-rules.yaml:19:23: host gw1, field wg_peers[1].public_key: public key of laptop is already used by peer laptop: each peer needs its own key`,
      `${F}/bad-rules.yaml:20:25: host gw1, field wg_peers[1].allowed_ips[0]: 10.4.0.0/30 of peer laptop overlaps 10.4.0.2/32 of peer laptop`,
      `${F}/bad-rules.yaml:20:38: host gw1, field wg_peers[1].allowed_ips[1]: expected addresses inside wg_subnet 10.4.0.0/24, received 10.9.0.1/32`,
    ]);
  });

  it('two hosts for one machine; a shared wan_ip is only a warning', () => {
    expect(issues(`${F}/bad-duplicate-endpoint.yaml`)).toEqual([
      `${F}/bad-duplicate-endpoint.yaml:12:21: host gw2, field ansible_host: gw2 and gw1 both connect to 192.0.2.1 port 22: one machine must be one inventory host`,
    ]);
    const inv = loadInventory(`${F}/bad-duplicate-endpoint.yaml`, { limit: 'gw1,gw3' });
    expect(inv.hosts.map((h) => h.name)).toEqual(['gw1', 'gw3']);
  });

  it('Ansible settings fleet cannot honour', () => {
    expect(issues(`${F}/bad-connection.yaml`)).toEqual([
      `${F}/bad-connection.yaml:7:25: host gw1, field ansible_connection: expected ssh (fleet connects only over SSH), received "local"`,
      `${F}/bad-connection.yaml:10:30: host gw1, field ansible_become_method: expected sudo (fleet becomes root with sudo -n), received "su"`,
      `${F}/bad-connection.yaml:11:28: host gw1, field ansible_become_user: expected root (fleet configures the gateway as root), received "postgres"`,
    ]);
  });

  it('the error says nothing ran, and names the first location', () => {
    try {
      loadInventory(`${F}/bad-missing.yaml`);
    } catch (err) {
      expect((err as InventoryError).hint).toBe('fix the inventory; nothing was run on any host');
      expect((err as InventoryError).location).toEqual({ file: `${F}/bad-missing.yaml`, line: 7, column: 9 });
      return;
    }
    throw new Error('expected an error');
  });

  it('an unreadable file is bad input naming the file (exit 4, nothing run)', () => {
    expect(() => loadInventory(`${F}/missing.yaml`)).toThrow(InventoryError);
    expect(() => loadInventory(`${F}/missing.yaml`)).toThrow(/missing\.yaml: no such file or directory/);
  });
});

describe('--limit', () => {
  it('validates only the selected hosts, but still checks them against the others', () => {
    expect(issues(`${F}/partly-broken.yaml`)).toEqual([
      `${F}/partly-broken.yaml:14:9: host gw-new, field wan_ip: required variable not set: wan_ip (set it in the host's entry, a group's vars, group_vars/ or host_vars/; if gw-new is not a gateway, leave it out with --limit '!gw-new')`,
      `${F}/partly-broken.yaml:15:20: host gw-new, field wg_port: expected a number, received a string "later"`,
    ]);
    const inv = loadInventory(`${F}/partly-broken.yaml`, { limit: 'ready' });
    expect(inv.hosts.map((h) => h.name)).toEqual(['gw1', 'gw2']);
    expect(inv.groups.staging!.hosts).toEqual([]);
    expect(inv.groups.ready!.hosts).toEqual(['gw1', 'gw2']);
  });

  it('a pattern matching nothing is an error naming it', () => {
    expect(issues(`${F}/partly-broken.yaml`, { limit: 'ready,!gw9' })).toEqual(['--limit: pattern !gw9 matches no host or group']);
  });
});

describe('a good inventory', () => {
  it('gives hosts with groups, vars and connection; groups as written', () => {
    const inv = loadInventory(`${F}/gateways.yaml`);
    expect(inv.file).toBe(`${F}/gateways.yaml`);
    expect(inv.warnings).toEqual([]);
    // Ansible's order: canary's own hosts (a child of all) before those of eu's children.
    expect(inv.hosts.map((h) => [h.name, h.groups])).toEqual([
      ['gw02', ['canary', 'eu', 'eu_west']],
      ['gw01', ['eu', 'eu_west']],
      ['gw03', ['eu', 'eu_east']],
    ]);
    const gw02 = inv.hosts[0]!;
    expect(gw02.connection).toEqual({ host: '192.0.2.2', port: 22, user: 'admin', become: true, connectTimeout: 10 });
    expect(gw02.vars).toMatchObject({ wg_port: 51823, wg_mtu: 1380, wan_ip: '10.0.1.2', vpn_mark: '0x200', dns_upstreams: ['1.1.1.2'] });
    expect(inv.groups.eu).toEqual({ hosts: [], children: ['eu_west', 'eu_east'], vars: { wg_port: 51822, dns_upstreams: ['1.1.1.2'] } });
    expect(inv.groups.all!.children).toEqual(['ungrouped', 'eu', 'canary']);
    expect(inv.groups.all!.vars).toMatchObject({ ansible_user: 'admin', ansible_become: true });
  });
});

describe('edge cases', () => {
  const text = (t: string) => {
    try {
      return loadInventoryText(t, 'a.yaml').warnings;
    } catch (err) {
      return (err as InventoryError).issues.map(formatIssue);
    }
  };

  it('an empty file, and a file without hosts', () => {
    expect(text('')).toEqual(['a.yaml:1:1: the inventory is empty: expected all: with hosts, children and vars']);
    expect(text('all:\n  children:\n    eu:\n')).toEqual(['a.yaml:1:1: the inventory has no hosts']);
  });

  it('values from anchors and merge keys are located where they were written', () => {
    expect(
      text(`x-common: &c
  wan_interface: ens5
  wg_port: nope
all:
  vars:
    <<: *c
    vpn_server_ip: 198.51.100.20
    openvpn_config_file: /x.ovpn
    dns_entries: &e [{name: a.b, ip: 1.2.3}]
  hosts:
    gw1: {wan_ip: 10.0.1.1, dns_entries: *e}
`),
    ).toEqual([
      'a.yaml:3:12: host gw1, field wg_port: expected a number, received a string "nope"',
      'a.yaml:9:38: host gw1, field dns_entries[0].ip: expected an IPv4 address like 10.4.0.1, received "1.2.3"',
    ]);
  });

  it('a top-level key that is not a group is skipped with a warning, as Ansible does', () => {
    expect(
      text(`x-common: &c {wan_interface: ens5}
all:
  vars: {<<: *c, vpn_server_ip: 198.51.100.20, openvpn_config_file: /x.ovpn}
  hosts:
    gw1: {wan_ip: 10.0.1.1}
`),
    ).toEqual(['a.yaml:1:1: skipped x-common: not a group (it has no hosts, children or vars), as Ansible skips it']);
  });

  it('a group loop', () => {
    expect(text('all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n')).toEqual([
      'a.yaml:5:9: group b cannot be a child of a: b already contains a (a group loop)',
    ]);
  });
});
