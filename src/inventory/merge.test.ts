import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InventoryError } from '../errors.js';
import { loadInventoryText, type LoadOptions } from './load.js';

const REQUIRED = `
    wan_interface: ens5
    vpn_server_ip: 198.51.100.20
    openvpn_config_file: /etc/fleet/provider.ovpn`;

function load(text: string, opts: LoadOptions = {}) {
  return loadInventoryText(text, 'inv.yaml', opts);
}
const host = (inv: ReturnType<typeof load>, name: string) => inv.hosts.find((h) => h.name === name)!;

describe('precedence: role defaults < all vars < group vars (parent, then child) < host vars < -e', () => {
  const text = (levels: { all?: boolean; parent?: boolean; child?: boolean; host?: boolean }) => `
all:
  vars:${REQUIRED}
    wan_ip: 10.0.1.1${levels.all ? '\n    wg_port: 1001' : ''}
  children:
    region:
      vars: {${levels.parent ? 'wg_port: 1002' : ''}}
      children:
        site:
          vars: {${levels.child ? 'wg_port: 1003' : ''}}
          hosts:
            gw1: {${levels.host ? 'wg_port: 1004' : ''}}
`;
  it.each([
    [{}, [], 51821],
    [{ all: true }, [], 1001],
    [{ all: true, parent: true }, [], 1002],
    [{ all: true, parent: true, child: true }, [], 1003],
    [{ all: true, parent: true, child: true, host: true }, [], 1004],
    [{ all: true, parent: true, child: true, host: true }, ['wg_port=1005'], 1005],
    [{ host: true }, ['wg_port=1005', 'wg_port=1006'], 1006],
  ])('%j with -e %j gives wg_port %i', (levels, extraVars, port) => {
    expect(host(load(text(levels), { extraVars }), 'gw1').vars.wg_port).toBe(port);
  });

  it('groups of one depth apply by name (the later name wins), unless ansible_group_priority says otherwise', () => {
    const inv = (priority: string) =>
      load(`
all:
  vars:${REQUIRED}
    wan_ip: 10.0.1.1
  children:
    zulu:
      vars: {wg_port: 2000${priority}}
      hosts: {gw1: }
    alpha:
      vars: {wg_port: 1000}
      hosts: {gw1: }
`);
    expect(host(inv(''), 'gw1').vars.wg_port).toBe(2000);
    expect(host(inv(', ansible_group_priority: 0'), 'gw1').vars.wg_port).toBe(1000);
  });

  it('a deeper group beats a shallower one whatever the names', () => {
    const inv = load(`
all:
  vars:${REQUIRED}
    wan_ip: 10.0.1.1
  children:
    aaa:
      vars: {wg_port: 1}
      children:
        zzz-parent:
          children:
            deep:
              vars: {wg_port: 3}
    zzz:
      vars: {wg_port: 2}
      hosts: {gw1: }
    zzz-parent:
      hosts: {gw1: }
    deep:
      hosts: {gw1: }
`);
    expect(host(inv, 'gw1').vars.wg_port).toBe(3);
    expect(host(inv, 'gw1').groups).toEqual(['aaa', 'deep', 'zzz', 'zzz-parent']);
  });

  it('lists and maps replace, they do not merge', () => {
    const inv = load(`
all:
  vars:${REQUIRED}
    wan_ip: 10.0.1.1
    dns_upstreams: [1.1.1.1, 8.8.8.8]
    wg_peers:
      - {name: a, public_key: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=, allowed_ips: [10.4.0.2/32]}
  hosts:
    gw1:
      dns_upstreams: [9.9.9.9]
      wg_peers:
        - {name: b, public_key: TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=, allowed_ips: [10.4.0.3/32]}
`);
    expect(host(inv, 'gw1').vars.dns_upstreams).toEqual(['9.9.9.9']);
    expect(host(inv, 'gw1').vars.wg_peers.map((p) => p.name)).toEqual(['b']);
  });

  it('a host listed twice combines its entries, the later listing winning per key', () => {
    const inv = load(`
all:
  vars:${REQUIRED}
  children:
    a:
      hosts:
        gw1: {wan_ip: 10.0.1.1, wg_port: 1}
    b:
      hosts:
        gw1: {wg_port: 2}
`);
    expect(host(inv, 'gw1').vars).toMatchObject({ wan_ip: '10.0.1.1', wg_port: 2 });
  });
});

describe("Ansible's connection names", () => {
  it('map to fleet names, per level, so precedence works across the two spellings', () => {
    const inv = load(`
all:
  vars:${REQUIRED}
    ansible_user: admin
    ansible_become: yes
    ansible_ssh_private_key_file: /keys/gw.pem
  hosts:
    gw1:
      wan_ip: 10.0.1.1
      ansible_host: 192.0.2.1
      ansible_port: "2222"
    gw2:
      wan_ip: 10.0.1.2
      user: root
      become: false
      ansible_ssh_host: 192.0.2.2
      ansible_ssh_port: 2200
    gw3:2201:
      wan_ip: 10.0.1.3
      ansible_ssh_user: ops
      ansible_become: "True"
`);
    expect(inv.hosts.map((h) => [h.name, h.connection])).toEqual([
      ['gw1', { host: '192.0.2.1', port: 2222, user: 'admin', become: true, keyFile: '/keys/gw.pem', connectTimeout: 10 }],
      ['gw2', { host: '192.0.2.2', port: 2200, user: 'root', become: false, keyFile: '/keys/gw.pem', connectTimeout: 10 }],
      ['gw3', { host: 'gw3', port: 2201, user: 'ops', become: true, keyFile: '/keys/gw.pem', connectTimeout: 10 }],
    ]);
    expect(inv.warnings).toEqual([]);
  });

  it("at one level fleet's name wins over ansible_X, which wins over ansible_ssh_X; a differing loser is a warning", () => {
    const inv = load(`
all:
  vars:${REQUIRED}
    wan_ip: 10.0.1.1
  hosts:
    gw1:
      host: 192.0.2.1
      ansible_host: 192.0.2.9
      ansible_ssh_host: 192.0.2.1
      ansible_user: admin
      ansible_ssh_user: other
      become: true
`);
    expect(inv.hosts[0]!.connection).toMatchObject({ host: '192.0.2.1', user: 'admin' });
    expect(inv.warnings).toEqual([
      'inv.yaml:11:7: field ansible_host: ignored: host sets host at the same level (host gw1)',
      'inv.yaml:14:7: field ansible_ssh_user: ignored: ansible_user sets user at the same level (host gw1)',
    ]);
  });

  it('other ansible_* variables are ignored with one warning each, passwords never shown', () => {
    const inv = load(`
all:
  vars:${REQUIRED}
    ansible_python_interpreter: /usr/bin/python3
    ansible_connection: ssh
  hosts:
    gw1: {wan_ip: 10.0.1.1, ansible_ssh_pass: hunter2}
    gw2: {wan_ip: 10.0.1.1, host: 192.0.2.2}
`);
    expect(inv.warnings).toEqual([
      'inv.yaml:7:5: host gw1, gw2, field ansible_python_interpreter: ignored: fleet does not use it',
      'inv.yaml:10:29: host gw1, field ansible_ssh_pass: ignored: fleet authenticates with a key or ssh-agent and becomes root with passwordless sudo -n',
      'inv.yaml:11:19: host gw2, field wan_ip: same wan_ip as gw1 (10.0.1.1): fine for gateways in separate private networks, a mistake otherwise',
    ]);
    // The password is dropped, not carried in the host's variables.
    expect(JSON.stringify(inv.hosts)).not.toContain('hunter2');
  });
});

describe('-e extra vars', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const text = `
all:
  vars:${REQUIRED}
    wan_ip: 10.0.1.1
  hosts: {gw1: }
`;

  it('reads values as YAML: numbers, booleans, flow lists; text otherwise', () => {
    const v = load(text, {
      extraVars: ['wg_port=51822', 'become=yes', 'dns_upstreams=[9.9.9.9, 1.1.1.1]', 'vpn_mark=0x300', 'openvpn_config_file=/etc/x: y.ovpn', 'user=admin'],
    }).hosts[0]!.vars;
    expect(v).toMatchObject({ wg_port: 51822, become: true, dns_upstreams: ['9.9.9.9', '1.1.1.1'], vpn_mark: '0x300', openvpn_config_file: '/etc/x: y.ovpn' });
  });

  it('accepts @file.yaml and an inline {mapping}, later ones winning', () => {
    const file = path.join(dir, 'vars.yaml');
    writeFileSync(file, 'wg_port: 1\nansible_user: admin\nbecome: true\n');
    const v = load(text, { extraVars: [`@${file}`, '{"wg_port": 2}'] }).hosts[0]!.vars;
    expect(v).toMatchObject({ wg_port: 2, user: 'admin' });
  });

  it('locates errors in an @file and names a bad key=value', () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, '# extra\nwg_port: nope\n');
    const err = (() => {
      try {
        load(text, { extraVars: [`@${file}`, 'wg_mtu=big', 'not a var'] });
      } catch (e) {
        return e as InventoryError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(InventoryError);
    expect(err.message.split('\n')).toEqual([
      "-e not a var: expected key=value (a variable name, =, a YAML value), @file.yaml or an inline {mapping}",
    ]);
    const err2 = (() => {
      try {
        load(text, { extraVars: [`@${file}`, 'wg_mtu=big'] });
      } catch (e) {
        return e as InventoryError;
      }
      throw new Error('no error');
    })();
    expect(err2.message.split('\n')).toEqual([
      `-e wg_mtu=big: host gw1, field wg_mtu: expected a number, received a string "big"`,
      `${file}:2:10: host gw1, field wg_port: expected a number, received a string "nope"`,
    ]);
  });
});

describe('controller paths', () => {
  it('expand ~ and resolve relative paths against the working directory, as ssh -i does', () => {
    const v = load(`
all:
  vars:${REQUIRED}
    wan_ip: 10.0.1.1
  hosts:
    gw1:
      ansible_ssh_private_key_file: ~/.ssh/gw.pem
      known_hosts_file: keys/known_hosts
`).hosts[0]!.connection;
    expect(v.keyFile).toBe(path.join(homedir(), '.ssh/gw.pem'));
    expect(v.knownHostsFile).toBe(path.resolve('keys/known_hosts'));
  });
});
