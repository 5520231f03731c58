/**
 * A real inventory shape deploys (issue 20): the lab's inventory rewritten as an operator keeps
 * one for Ansible: an INI file of groups with ansible_* host variables, group_vars/ (a file for
 * `all`, a directory for the gateways' group) and host_vars/ beside it, variables of other roles,
 * and a database host that is no gateway. (The INI file is `hosts`: Ansible skips `.ini` files in an
 * inventory directory, and so does fleet.) `-i DIR --limit gateways` deploys, the traffic proofs
 * pass, and `fleet inventory` shows the other roles' variables as they are.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provePaths } from '../../src/lab/proof.js';
import { fleetCli } from './cli.js';
import { ansibleGraph, ansibleHost } from '../inventory/oracle.js';
import { connectClients, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let dir: string;

interface LabHost {
  host: string;
  wan_ip: string;
  wan_interface: string;
  wg_peers: unknown[];
}

/** The lab inventory's variables, split the way operators split theirs. */
function writeAnsibleShaped(labInventory: string, to: string): void {
  const doc = parse(readFileSync(labInventory, 'utf8')) as { all: { vars: Record<string, unknown>; hosts: Record<string, LabHost> } };
  const { user, key_file, known_hosts_file, ...gatewayVars } = doc.all.vars;
  const names = Object.keys(doc.all.hosts);
  const ini = [
    '# gateways and the rest of the estate, as Ansible reads them',
    '[gateways]',
    ...names.map((n) => `${n} ansible_host=${doc.all.hosts[n]!.host} wan_ip=${doc.all.hosts[n]!.wan_ip}  # ${n === names[0] ? 'the canary' : 'a gateway'}`),
    '',
    '[databases]',
    'db1 ansible_host=10.99.0.5 postgres_version=15',
    '',
    '[gateways:vars]',
    `wan_interface=${doc.all.hosts[names[0]!]!.wan_interface}`,
    'node_exporter_port=9100',
    '',
    '[estate:children]',
    'gateways',
    'databases',
    '',
  ].join('\n');
  writeFileSync(path.join(to, 'hosts'), ini);
  mkdirSync(path.join(to, 'group_vars', 'gateways'), { recursive: true });
  mkdirSync(path.join(to, 'host_vars'), { recursive: true });
  writeFileSync(path.join(to, 'group_vars', 'all.yml'), stringify({ ansible_user: user, ansible_ssh_private_key_file: key_file, known_hosts_file, ntp_servers: ['0.debian.pool.ntp.org'] }));
  const { dns_upstreams, netns_nameservers, ...rest } = gatewayVars;
  writeFileSync(path.join(to, 'group_vars', 'gateways', '10-gateway.yml'), stringify(rest));
  writeFileSync(path.join(to, 'group_vars', 'gateways', '20-dns.yaml'), stringify({ dns_upstreams, netns_nameservers }));
  for (const n of names) writeFileSync(path.join(to, 'host_vars', `${n}.yml`), stringify({ wg_peers: doc.all.hosts[n]!.wg_peers, monitoring_team: 'netops' }));
}

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 2, fresh: true }, suite);
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-ini-inventory-'));
  writeAnsibleShaped(lab.inventory, dir);
}, 180_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await teardownLab();
}, 60_000);

describe('an INI inventory with group_vars/ and host_vars/', () => {
  it('fleet inventory --graph and --host equal ansible-inventory\'s, other roles\' variables included', async () => {
    const graph = await fleetCli(['inventory', '-i', dir, '--graph']);
    expect(graph.code, graph.stderr).toBe(0);
    expect(graph.stdout.trimEnd()).toBe(ansibleGraph([dir]));
    expect(graph.stdout).toMatch(/\|--@databases:\n.*\|--db1\n/);
    for (const g of lab.gateways) {
      const host = await fleetCli(['inventory', '-i', dir, '--host', g.name]);
      expect(host.code, host.stderr).toBe(0);
      const vars = JSON.parse(host.stdout);
      expect(vars).toEqual(ansibleHost([dir], g.name));
      expect(vars).toMatchObject({ monitoring_team: 'netops', node_exporter_port: 9100, ntp_servers: ['0.debian.pool.ntp.org'], wan_ip: g.wanIp });
    }
  });

  it('deploys the gateways group and the traffic proofs pass', async () => {
    const r = await fleetCli(['deploy', '-i', dir, '--limit', 'gateways', '--json'], { timeoutMs: 300_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.hosts.map((h: { host: string; status: string }) => [h.host, h.status])).toEqual(lab.gateways.map((g) => [g.name, 'changed']));
    const connected = await connectClients(lab);
    expect(connected.filter((c) => c.error)).toEqual([]);
    for (const p of await provePaths(lab)) expect(p.problems, p.client).toEqual([]);
  });

  it('a second deploy from it changes nothing, and status reads it in sync', async () => {
    const again = await fleetCli(['deploy', '-i', dir, '--limit', 'gateways', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.hosts.every((h: { status: string }) => h.status === 'ok')).toBe(true);
    const status = await fleetCli(['status', '-i', dir, '--limit', 'gateways', '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
  });

  it('selecting the database host is refused by name, and nothing runs', async () => {
    const r = await fleetCli(['deploy', '-i', dir, '--limit', 'db1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('db1');
    expect(r.stderr).toMatch(/--limit/);
  });
});
