/**
 * Real public inventories (test/fixtures/inventory/real/<n>/, each with a SOURCE file naming its
 * repository, path, commit and licence), as their projects publish them: fleet's `inventory
 * --list`, `--graph`, `--host` for every host, and its host order and subscripts, against the real
 * ansible-inventory and `ansible --list-hosts --limit`. Shapes: INI and YAML, group_vars files
 * without extension, a directory as -i, several -i, ranges of empty groups, localhost with
 * ansible_connection local, Jinja-looking and quoted values, other roles' variables.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ansibleGraph, ansibleHost, ansibleList, ansibleListHosts, fleetGraph, fleetHost, fleetList, fleetListHosts, prefetchCase, skipWithoutAnsible } from './oracle.js';

const REAL = 'test/fixtures/inventory/real';
const at = (fixture: string, ...files: string[]) => files.map((f) => path.join(REAL, fixture, f));

const CASES: Record<string, string[]> = {
  'ansible-for-devops: INI with :children and :vars': at('01-ansible-for-devops-orchestration', 'orchestration/hosts.ini'),
  'ansible-examples lamp_haproxy: INI with group_vars files without extension': at('02-ansible-examples-lamp-haproxy', 'lamp_haproxy/hosts'),
  'ansible-examples lamp_haproxy: the directory as -i': at('02-ansible-examples-lamp-haproxy', 'lamp_haproxy'),
  'islandora molecule: YAML, localhost in six groups': at('03-islandora-molecule', 'molecule/default/inventory/hosts.yml'),
  'streisand: INI, localhost with ansible_connection local': at('04-streisand-inventories', 'inventories/inventory'),
  'streisand: both inventories as two -i': at('04-streisand-inventories', 'inventories/inventory', 'inventories/inventory-local-provision'),
  'streisand: the inventories directory as -i': at('04-streisand-inventories', 'inventories'),
  'kubespray sample: INI with empty groups and group_vars/': at('05-kubespray-sample-ini', 'inventory/sample/inventory.ini'),
  'kubespray sample: YAML groups without hosts': at('06-kubespray-sample-hosts-yaml', 'inventory/sample/hosts.yaml'),
  'algo: an address as host name': at('07-algo-inventory', 'inventory'),
  'k8s HA cluster: [all:vars], nested children': at('08-k8s-ha-cluster', 'inventory/hosts.ini'),
  'pibernetes: one group, one address': at('09-pibernetes', 'inventory/hosts.ini'),
  'homelab: dotted names, a host in two groups': at('10-homelab', 'inventory/hosts.ini'),
  'ansible-for-devops docker: a non-ssh connection': at('11-ansible-for-devops-docker', 'orchestration/scripts/hosts.ini'),
  'kubespray vagrant: long host lines, quoted and Python-literal values': at('12-kubespray-vagrant-generated', 'inventory/cluster1/hosts.ini'),
};

/** Subscripts of all and of every group that has hosts of its own. */
const patternsOf = ({ withHosts }: { withHosts: string[] }) => ['all[0]', 'all[-1]', 'all[1:]', ...withHosts.flatMap((g) => [`${g}[0]`, `${g}[1:]`, `${g}[-1]`])];

describe.each(Object.entries(CASES))('%s', (_name, sources) => {
  beforeAll(async () => {
    if (!skipWithoutAnsible) await prefetchCase(sources, { patternsOf });
  }, 600_000);

  it.skipIf(skipWithoutAnsible)('--list and --graph equal ansible-inventory', () => {
    expect(fleetList(sources)).toEqual(ansibleList(sources));
    expect(fleetGraph(sources)).toBe(ansibleGraph(sources));
  });

  it.skipIf(skipWithoutAnsible)('--host equals ansible-inventory --host for every host', () => {
    for (const h of ansibleListHosts(sources)) expect(fleetHost(sources, h), h).toEqual(ansibleHost(sources, h));
  });

  it.skipIf(skipWithoutAnsible)('all[0], group[1:], group[-1] select what ansible --list-hosts --limit selects', () => {
    const hosts = ansibleListHosts(sources);
    expect(fleetListHosts(sources)).toEqual(hosts);
    if (!hosts.length) return;
    const withHosts = Object.entries(ansibleList(sources))
      .filter(([g, v]) => g !== '_meta' && (v as { hosts?: unknown[]; children?: unknown[] }).hosts?.length)
      .map(([g]) => g);
    for (const p of patternsOf({ withHosts })) {
      let expected: string[];
      try {
        expected = ansibleListHosts(sources, p);
      } catch {
        continue; // Ansible has nothing there either (e.g. [1:] of a one-host group)
      }
      if (!expected.length) continue;
      expect(fleetListHosts(sources, p), p).toEqual(expected);
    }
  });
});
