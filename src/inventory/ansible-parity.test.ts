/**
 * Where Ansible's semantics decide (group depth then priority then name, host ranges, children,
 * a host in several groups, YAML 1.1 scalars, anchors and merge keys), fleet must resolve an
 * inventory as the real ansible-inventory does. These tests run it (Debian's `ansible`,
 * ansible-core 2.14) and compare, for every host, the inventory-level merged variables, the group
 * entries of --list and the --graph text.
 *
 * Without ansible-inventory the tests skip, except with CI=true, where they fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupEntries, groupsOf, inventoryGraph, inventoryHostVars, parseInventoryFile } from './index.js';

const home = mkdtempSync(path.join(tmpdir(), 'fleet-ansible-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function ansibleInventory(file: string, ...args: string[]): string {
  const r = spawnSync('ansible-inventory', ['-i', path.resolve(file), ...args], {
    cwd: home, // no ansible.cfg from the working directory
    encoding: 'utf8',
    env: {
      ...process.env,
      HOME: home,
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_LOCALHOST_WARNING: 'False',
      ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
      ANSIBLE_INVENTORY_ENABLED: 'yaml',
    },
  });
  if (r.status !== 0) throw new Error(`ansible-inventory ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout; // warnings go to stderr
}

const probe = spawnSync('ansible-inventory', ['--version'], { encoding: 'utf8', env: { ...process.env, HOME: home } });
const available = probe.status === 0;
const ci = process.env.CI === 'true';
const SKIP = 'ansible-inventory is not installed (apt-get install ansible); set CI=true to make this a failure';

it('ansible-inventory is available (required when CI=true)', (ctx) => {
  if (!ci) ctx.skip(!available, SKIP);
  expect(available, `ansible-inventory not runnable: ${probe.error?.message ?? probe.stderr}`).toBe(true);
});

const FIXTURES = [
  'test/fixtures/inventory/plain-precedence.yaml',
  'test/fixtures/inventory/gateways.yaml',
  'examples/single-gateway.yaml',
  'examples/fleet-groups.yaml',
  'examples/ansible-inventory.yaml',
  'examples/sudo-user.yaml',
];

describe.each(FIXTURES)('%s resolves as ansible-inventory does', (file) => {
  it('merged hostvars of every host', (ctx) => {
    ctx.skip(!available && !ci, SKIP);
    const ansible = JSON.parse(ansibleInventory(file, '--list')) as { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    const { parsed } = parseInventoryFile(file);
    const fleet = Object.fromEntries(inventoryHostVars(parsed));
    const names = Object.keys(fleet).sort();
    expect(names.length).toBeGreaterThan(0);
    // ansible-inventory leaves hosts without variables out of _meta.
    const expected = Object.fromEntries(names.map((h) => [h, ansible._meta.hostvars[h] ?? {}]));
    expect(fleet).toEqual(expected);
    expect(Object.keys(ansible._meta.hostvars).every((h) => names.includes(h))).toBe(true);
  });

  it('groups with their hosts and children (--list)', (ctx) => {
    ctx.skip(!available && !ci, SKIP);
    const { _meta, ...ansibleGroups } = JSON.parse(ansibleInventory(file, '--list')) as Record<string, unknown>;
    void _meta;
    const { parsed } = parseInventoryFile(file);
    expect(groupEntries(groupsOf(parsed))).toEqual(ansibleGroups);
  });

  it('--graph', (ctx) => {
    ctx.skip(!available && !ci, SKIP);
    const { parsed } = parseInventoryFile(file);
    expect(inventoryGraph({ file, groups: groupsOf(parsed) })).toBe(ansibleInventory(file, '--graph').trimEnd());
  });
});
