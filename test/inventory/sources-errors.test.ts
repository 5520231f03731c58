/**
 * What fleet refuses in a source, and how it says so: file:line, what is wrong, exit 4 (an
 * InventoryError or InputFileError), before any host is contacted.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetError, InventoryError } from '../../src/errors.js';
import { exitCodeForError } from '../../src/cli/exit-codes.js';
import { loadInventory, readInventory } from '../../src/inventory/index.js';
import { runInventory } from '../../src/cli/inventory.js';
import { tree } from './tree.js';

function failure(sources: string | string[]): string {
  try {
    readInventory(sources);
  } catch (err) {
    expect(err).toBeInstanceOf(FleetError);
    expect(exitCodeForError(err)).toBe(4);
    return (err as Error).message;
  }
  throw new Error('loaded');
}

const ini = (text: string) => path.join(tree({ hosts: text }), 'hosts');

describe('INI errors name the file and line', () => {
  it.each([
    ['[web:vars]\nx=1\n', /hosts:1:1: \[web:vars\] is for a group that is never defined/],
    ['[p:children]\nnever\n', /hosts:2:1: \[p:children\] names group never, which is never defined/],
    ['[web]\nh1\n[web:hosts2]\n', /hosts:3:1: section \[web:hosts2\] has unknown type hosts2/],
    ['[web]\nh1 novalue\n', /hosts:2:1: expected key=value after the host name, got "novalue"/],
    ['[web]\nh1 x="open\n', /hosts:2:1: cannot read the host line: no closing quotation/],
    ['[web]\nh[3:1]\n', /hosts:2:1: host range \[3:1\] is empty/],
    ['[web]\nh1:\n', /hosts:2:1: host h1: ends in ':'/],
    ['[ web ]\nh1\n', /hosts:1:1: invalid section \[ web \]/],
    ['[web:vars]\nnovalue\n[web]\n', /hosts:2:1: expected key=value in \[web:vars\]/],
    ['[a:children]\nb\n[b:children]\na\n', /hosts:4:1: group a cannot be a child of b/],
  ])('%j', (text, message) => {
    expect(failure(ini(text))).toMatch(message);
  });

  it('a bad value of a host line points at its line and key', () => {
    const file = ini('[gw]\ngw1 wan_interface=ens5 wan_ip=10.0.0.1 vpn_server_ip=198.51.100.2 openvpn_config_file=/x.ovpn wg_port=70000\n');
    expect(() => loadInventory(file)).toThrow(/hosts:2:95: host gw1, field wg_port: expected a number <= 65535, received 70000/);
  });
});

describe('sources fleet does not read are refused, saying so', () => {
  it('an inventory plugin configuration', () => {
    const dir = tree({ 'aws_ec2.yml': 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n' });
    expect(failure(path.join(dir, 'aws_ec2.yml'))).toMatch(/aws_ec2\.yml: not supported: inventory plugin configurations \(plugin: amazon\.aws\.aws_ec2\)/);
  });

  it('an inventory script', () => {
    const dir = tree({ 'ec2.py|0755': '#!/usr/bin/env python3\nprint("{}")\n' });
    expect(failure(path.join(dir, 'ec2.py'))).toMatch(/ec2\.py: not supported: inventory scripts/);
  });

  it('a TOML inventory', () => {
    const dir = tree({ 'hosts.toml': '[all.hosts]\nh1 = {}\n' });
    expect(failure(path.join(dir, 'hosts.toml'))).toMatch(/not supported: TOML inventories/);
  });

  it('a missing source, and a host list is no file', () => {
    expect(failure('/nonexistent/hosts')).toMatch(/\/nonexistent\/hosts: no such file or directory/);
    expect(readInventory('h1,h2').order).toEqual(['h1', 'h2']);
  });

  it('a .yaml file with broken YAML reports the YAML problem, not an INI one', () => {
    const dir = tree({ 'hosts.yaml': 'all:\n  hosts:\n    gw1: {\n' });
    expect(failure(path.join(dir, 'hosts.yaml'))).toMatch(/hosts\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('a vars file that is not a mapping, at its line', () => {
    const dir = tree({ hosts: '[eu]\ngw1\n', 'group_vars/eu.yml': '- a\n- b\n' });
    expect(failure(path.join(dir, 'hosts'))).toMatch(/group_vars\/eu\.yml:1:1: a vars file must hold a mapping of variables/);
  });
});

describe('several sources', () => {
  it('repeat -i: hosts and groups of both, later source vars files win', () => {
    const a = tree({ hosts: '[eu]\ngw1\n', 'group_vars/eu.yml': 'x: a\ny: a\n' });
    const b = tree({ 'hosts.yml': 'eu:\n  hosts:\n    gw2:\n', 'group_vars/eu.yml': 'x: b\n' });
    const out = JSON.parse(runInventory({ inventory: [path.join(a, 'hosts'), path.join(b, 'hosts.yml')], list: true }).output) as {
      _meta: { hostvars: Record<string, unknown> };
      eu: { hosts: string[] };
    };
    expect(out.eu.hosts).toEqual(['gw1', 'gw2']);
    expect(out._meta.hostvars.gw1).toEqual({ x: 'b', y: 'a' });
  });
});

it('InventoryError for structure problems lists every one', () => {
  const dir = tree({ 'hosts.yaml': 'all:\n  hosts:\n    gw1:\n  childs:\n    x:\n' });
  expect(() => readInventory(path.join(dir, 'hosts.yaml'))).toThrow(InventoryError);
});
