/** The example inventories in examples/ load, validate, and mean what their comments say. */
import { homedir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory, type Inventory } from '../src/inventory/index.js';

const byName = (inv: Inventory) => Object.fromEntries(inv.hosts.map((h) => [h.name, h]));

describe('examples/', () => {
  it('single-gateway.yaml: the required variables only; the rest is role defaults', () => {
    const inv = loadInventory('examples/single-gateway.yaml');
    expect(inv.warnings).toEqual([]);
    const gw1 = byName(inv).gw1!;
    expect(gw1.connection).toEqual({ host: '203.0.113.10', port: 22, user: 'root', become: false, connectTimeout: 10 });
    expect(gw1.vars).toMatchObject({
      wan_interface: 'ens5',
      wan_ip: '10.0.1.191',
      wg_address: '10.4.0.1/24',
      wg_direct_range: '10.4.0.0/25',
      wg_vpn_range: '10.4.0.128/25',
      wg_port: 51821,
      vpn_mark: '0x200',
      dns_mark: '0x100',
      vpn_table: 200,
    });
  });

  it('fleet-groups.yaml: regions with group vars and per-host overrides', () => {
    const inv = loadInventory('examples/fleet-groups.yaml');
    expect(inv.warnings).toEqual([]);
    const h = byName(inv);
    // Ansible's order (`ansible all --list-hosts`): us's own hosts come before those of eu's children.
    expect(Object.keys(h)).toEqual(['us-east-1', 'eu-fra-1', 'eu-fra-2', 'eu-ams-1']);
    expect(h['eu-fra-1']!.groups).toEqual(['eu', 'eu_fra']);
    expect(h['eu-fra-1']!.connection).toEqual({
      host: '203.0.113.11',
      port: 22,
      user: 'fleet',
      become: true,
      keyFile: '/etc/fleet/keys/deploy_ed25519',
      knownHostsFile: '/etc/fleet/known_hosts',
      connectTimeout: 10,
    });
    expect(h['eu-fra-1']!.vars.wg_peers.map((p) => p.name)).toEqual(['laptop-anna', 'phone-anna']);
    expect(h['eu-fra-2']!.vars).toMatchObject({ wan_interface: 'ens5', vpn_server_ip: '198.51.100.20', wg_port: 51821, wg_peers: [] });
    expect(h['eu-ams-1']!.vars).toMatchObject({ wan_interface: 'eth0', wg_port: 51822 });
    expect(h['us-east-1']!.vars).toMatchObject({ vpn_server_ip: '198.51.100.40', wg_subnet: '10.5.0.0/24', dns_upstreams: ['9.9.9.9'] });
    expect(h['eu-fra-2']!.vars.dns_upstreams).toEqual(['1.1.1.2', '1.0.0.2']);
    expect(h['eu-fra-2']!.vars.dns_entries).toEqual([{ name: 'vault.eu.example.internal', ip: '10.4.0.7' }]);
  });

  it('ansible-inventory.yaml: Ansible names and host ranges, other ansible_* ignored with a warning', () => {
    const inv = loadInventory('examples/ansible-inventory.yaml');
    expect(inv.warnings).toEqual([
      'examples/ansible-inventory.yaml:13:5: host gw01, gw02, gw03, field ansible_python_interpreter: ignored: fleet does not use it',
    ]);
    const conn = (name: string) => byName(inv)[name]!.connection;
    const common = { user: 'admin', become: true, keyFile: '/etc/fleet/keys/gateways.pem', connectTimeout: 10 };
    expect(conn('gw01')).toEqual({ host: '192.0.2.11', port: 2222, ...common });
    expect(conn('gw02')).toEqual({ host: '192.0.2.12', port: 2222, ...common });
    expect(conn('gw03')).toEqual({ host: '192.0.2.13', port: 22, ...common });
    expect(byName(inv).gw03!.groups).toEqual(['edge', 'gateways', 'wan']);
  });

  it('sudo-user.yaml: a non-root user with become', () => {
    const inv = loadInventory('examples/sudo-user.yaml');
    expect(inv.warnings).toEqual([]);
    expect(inv.hosts[0]!.connection).toEqual({
      host: 'gw-sudo.example.net',
      port: 2222,
      user: 'deploy',
      become: true,
      keyFile: path.join(homedir(), '.ssh/fleet_ed25519'),
      connectTimeout: 20,
    });
  });

  it('without become, the same user is refused', () => {
    expect(() => loadInventory('examples/sudo-user.yaml', { extraVars: ['become=false'] })).toThrow(
      'examples/sudo-user.yaml:9:13: host gw-sudo, field user: deploy is not root: set become: true as well (fleet runs every step as root, through sudo -n)',
    );
  });
});
