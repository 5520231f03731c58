import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from './index.js';

/** The inventory a user writes: the error must point at the line of the broad network. */
function load(routing: string): () => unknown {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-netrules-'));
  const file = path.join(dir, 'inv.yaml');
  writeFileSync(
    file,
    `all:
  hosts:
    gw1:
      host: 203.0.113.10
      wan_interface: ens5
      wan_ip: 10.0.1.191
      vpn_server_ip: 198.51.100.20
      openvpn_config_file: /etc/fleet/provider.ovpn
${routing}`,
  );
  return () => {
    try {
      return loadInventory(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('local_networks and vpn_destinations keep the VPN half in the tunnel', () => {
  it('the defaults pass', () => {
    expect(load('')).not.toThrow();
  });

  it('a local network that is the default route is refused at its line', () => {
    expect(load('      local_networks:\n        - 10.0.0.0/8\n        - 0.0.0.0/0\n')).toThrow(/inv\.yaml:11.*local_networks\[1\].*0\.0\.0\.0\/0 is the default route/s);
  });

  it('broader than /8 is refused, in either list, unless allow_broad_local_networks: true', () => {
    expect(load('      local_networks: [64.0.0.0/2]\n')).toThrow(/local_networks\[0\].*64\.0\.0\.0\/2 is broader than \/8.*allow_broad_local_networks: true/s);
    expect(load('      vpn_destinations: [128.0.0.0/1]\n')).toThrow(/vpn_destinations\[0\].*into the tunnel/s);
    expect(load('      local_networks: [64.0.0.0/2]\n      allow_broad_local_networks: true\n')).not.toThrow();
    expect(load('      local_networks: [10.0.0.0/8, 100.64.0.0/10]\n')).not.toThrow();
  });

  it('the default route stays refused even with allow_broad_local_networks: true', () => {
    expect(load('      vpn_destinations: [0.0.0.0/0]\n      allow_broad_local_networks: true\n')).toThrow(/0\.0\.0\.0\/0 is the default route/);
  });

  it('IPv6: ::/0 always refused, short global prefixes unless allowed, local ULAs fine, IPv6 vpn_destinations refused', () => {
    expect(load('      local_networks: ["::/0"]\n      allow_broad_local_networks: true\n')).toThrow(/local_networks\[0\].*::\/0 is the default route/s);
    expect(load('      local_networks: ["2000::/3"]\n')).toThrow(/2000::\/3 is broader than \/16/);
    expect(load('      local_networks: ["2000::/3"]\n      allow_broad_local_networks: true\n')).not.toThrow();
    expect(load('      local_networks: [10.0.0.0/8, "fc00::/7", "2001:db8:5::/48"]\n')).not.toThrow();
    expect(load('      vpn_destinations: ["2001:db8:5::/48"]\n')).toThrow(/vpn_destinations\[0\].*is IPv6.*no way through the VPN/s);
  });

  it('the table behind the VPN table is a table of its own', () => {
    expect(load('      vpn_unreachable_table: 200\n')).toThrow(/vpn_unreachable_table must differ from vpn_table/);
  });
});

describe('fleet deploy -e local_networks=["0.0.0.0/0"]', () => {
  it('is refused naming the -e and the field, exit 4, before any host is contacted', () => {
    const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'bin', 'fleet.js');
    const inv = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'examples', 'single-gateway.yaml');
    // In a network namespace of its own (no interface but a down lo): should the check ever be
    // lost, the deploy could not reach the example's hosts, which are no lab's.
    const unshare = process.getuid?.() === 0 ? ['-n'] : ['-r', '-n'];
    const r = spawnSync('unshare', [...unshare, process.execPath, bin, 'deploy', inv, '--check', '-e', 'local_networks=["0.0.0.0/0"]'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stdout + r.stderr).toBe(4);
    expect(r.stderr).toMatch(/-e local_networks=\["0\.0\.0\.0\/0"\]: .*field local_networks\[0\]: 0\.0\.0\.0\/0 is the default route/);
    expect(r.stderr).toContain('nothing was run on any host');
  });
});
