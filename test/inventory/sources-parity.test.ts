/**
 * INI inventories, group_vars/ and host_vars/ in every form, directories and several -i sources:
 * fleet's `inventory --list`, `--graph` and `--host`, and its host order and subscripts, against
 * the real ansible-inventory and `ansible --list-hosts` on the same files.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ansibleAvailable, ansibleGraph, ansibleHost, ansibleList, ansibleListHosts, ci, fleetGraph, fleetHost, fleetList, fleetListHosts, prefetchCase, skipWithoutAnsible, SKIP_REASON } from './oracle.js';
import { tree } from './tree.js';

const iniSemantics = tree({
  hosts: `# a comment
; another comment
top1 ansible_host=10.0.0.1 x=1
[web]
web[1:3] http_port=80 name="a b" flag=True ratio=1.5 perm=0644 lst=[1,2] tup=1,2 q='single' cut=a#b empty='' neg=-3 hex=0x1F
web9:2222   # a port, and a comment
[db]
db1 ansible_connection=local
[prod:children]
web
db
late
[late]
late1
[web:vars]
wv=1
ws=hello world
wl=[1, 'two']
wn=None
wb=False
shared=web
quoted="kept quotes?"
[all:vars]
av=all
ansible_user=deploy
[prio]
web1
[prio:vars]
ansible_group_priority=5
shared=prio
`,
});

const varsForms = tree({
  'hosts.ini': `[eu]
gw1
gw2 lvl=inventory_host
[us]
gw3
[gateways:children]
eu
us
[eu:vars]
lvl=inventory_group
`,
  'group_vars/all.yml': 'lvl: all_file\na: 1\n',
  'group_vars/gateways': 'g: file_without_extension\nlvl: gateways_file\n',
  'group_vars/eu/01-base.yml': 'lvl: eu_dir\ne: 1\n',
  'group_vars/eu/02-more.yaml': 'e: 2\n',
  'group_vars/eu/sub/03.json': '{"j": true, "e": 3}\n',
  'group_vars/eu/notes.txt': 'e: ignored\n',
  'group_vars/eu/.hidden.yml': 'e: hidden\n',
  'group_vars/eu/backup.yml~': 'e: backup\n',
  'group_vars/eu/empty.yml': '',
  'group_vars/us.yaml': 'lvl: us_yaml\n',
  'group_vars/us.json': '{"lvl": "us_json"}\n',
  'host_vars/gw1.yml': 'lvl: host_file\nsecret_token: hunter2\n',
  'host_vars/gw2/a.yml': 'h: a\n',
  'host_vars/gw2/b.yml': 'h: b\nlvl: gw2_dir\n',
});

const directory = tree({
  'inv/01-hosts.yaml': 'all:\n  children:\n    eu:\n      hosts:\n        gw1:\n          from_dir: yaml\n        gw4:\n',
  'inv/02-more': '[asia]\ngw5 from_dir=ini\n[eu]\ngw6\n',
  'inv/ignored.ini': '[ignored]\nnot_read\n',
  'inv/README.md': '# not an inventory\n',
  'inv/notes.txt': 'not an inventory\n',
  'inv/.hidden': '[hidden]\nnope\n',
  'inv/backup~': '[backup]\nnope\n',
  'inv/sub/03.yml': 'all:\n  hosts:\n    gw7:\n      deep: true\n',
  'inv/group_vars/all.yml': 'lvl: dir_all\nfrom_dir_vars: 1\n',
  'inv/group_vars/eu.yml': 'lvl: dir_eu\n',
  'inv/host_vars/gw1.yml': 'lvl: dir_host\n',
});

const CASES: Record<string, string[]> = {
  'INI semantics (typing, ranges, host:port, children before definition, priority)': [path.join(iniSemantics, 'hosts')],
  'group_vars/ and host_vars/ in every form': [path.join(varsForms, 'hosts.ini')],
  'a directory as -i (ignored names and extensions, recursion)': [path.join(directory, 'inv')],
  'several -i sources, merged in order': [path.join(varsForms, 'hosts.ini'), path.join(directory, 'inv')],
  'the same, the other way round': [path.join(directory, 'inv'), path.join(varsForms, 'hosts.ini')],
  'a host list beside a file': ['h1,h2:2200,gw1,', path.join(varsForms, 'hosts.ini')],
};

it('ansible is available (required when CI=true)', (ctx) => {
  if (!ci) ctx.skip(!ansibleAvailable, SKIP_REASON);
  expect(ansibleAvailable).toBe(true);
});

/** --graph from every group but all. */
const graphsOf = ({ all }: { all: string[] }) => all.filter((g) => g !== 'all');
/** Subscripts of all and of every group. */
const patternsOf = ({ all }: { all: string[] }) => ['all[0]', 'all[-1]', 'all[1:]', 'all[0:1]', ...all.flatMap((g) => [`${g}[0]`, `${g}[-1]`, `${g}[1:]`])];

describe.each(Object.entries(CASES))('%s', (_name, sources) => {
  beforeAll(async () => {
    if (!skipWithoutAnsible) await prefetchCase(sources, { graphsOf, patternsOf });
  }, 600_000);

  it.skipIf(skipWithoutAnsible)('--list equals ansible-inventory --list', () => {
    expect(fleetList(sources)).toEqual(ansibleList(sources));
  });

  it.skipIf(skipWithoutAnsible)('--graph equals ansible-inventory --graph, from all and from each group', () => {
    expect(fleetGraph(sources)).toBe(ansibleGraph(sources));
    const all = Object.keys(ansibleList(sources)).filter((g) => g !== '_meta');
    for (const g of graphsOf({ all })) expect(fleetGraph(sources, g), g).toBe(ansibleGraph(sources, g));
  });

  it.skipIf(skipWithoutAnsible)('--host equals ansible-inventory --host for every host', () => {
    const hosts = ansibleListHosts(sources);
    expect(hosts.length).toBeGreaterThan(1);
    for (const h of hosts) expect(fleetHost(sources, h), h).toEqual(ansibleHost(sources, h));
  });

  it.skipIf(skipWithoutAnsible)('host order and subscripts equal ansible --list-hosts --limit', () => {
    expect(fleetListHosts(sources)).toEqual(ansibleListHosts(sources));
    const all = Object.keys(ansibleList(sources)).filter((g) => g !== '_meta');
    for (const p of patternsOf({ all })) {
      const expected = (() => {
        try {
          return ansibleListHosts(sources, p);
        } catch {
          return 'error';
        }
      })();
      if (expected === 'error' || !expected.length) continue; // an empty group or an index past its end
      expect(fleetListHosts(sources, p), p).toEqual(expected);
    }
  });
});
