/**
 * Hostile input to the inventory (#14 items 8, 9, 11, 12): reserved names, special files, control
 * characters and broken --limit regexes are bad input (exit 4) with file:line, never a crash, a
 * hang or a silently supplied variable.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeForError } from '../../src/cli/exit-codes.js';
import { runInventory } from '../../src/cli/inventory.js';
import { loadInventory, loadInventoryText, readInventory } from '../../src/inventory/index.js';
import { tree } from './tree.js';

function refused(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(exitCodeForError(err), String(err)).toBe(4);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

const GATEWAY = { wan_interface: 'ens5', wan_ip: '10.0.1.1', vpn_server_ip: '198.51.100.20', openvpn_config_file: '/etc/fleet/provider.ovpn' };
const yamlHost = (extra: string) =>
  `all:\n  hosts:\n    gw1:\n${Object.entries(GATEWAY)
    .map(([k, v]) => `      ${k}: ${v}\n`)
    .join('')}${extra}`;

describe('__proto__, constructor and prototype are refused as names, at their line (item 8)', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('%s as a host variable, a group variable, a group and in -e', (name) => {
    expect(refused(() => loadInventoryText(yamlHost(`      ${name}: {wan_ip: 10.9.9.9}\n`), 'a.yaml'))).toMatch(new RegExp(`a\\.yaml:\\d+:\\d+: ${name} cannot be a variable name`));
    expect(refused(() => loadInventoryText(`all:\n  vars:\n    ${name}: 1\n  hosts:\n    gw1:\n`, 'a.yaml'))).toMatch(/a\.yaml:3:5: .* cannot be a variable name/);
    expect(refused(() => loadInventoryText(`${name}:\n  hosts:\n    gw1:\n`, 'a.yaml'))).toMatch(/a\.yaml:1:1: .* cannot be a group name/);
    expect(refused(() => loadInventoryText(yamlHost(''), 'a.yaml', { extraVars: [`${name}=1`] }))).toMatch(/cannot be a variable name/);
    expect(refused(() => loadInventoryText(yamlHost(''), 'a.yaml', { extraVars: [`{"${name}": {"wan_ip": "1.2.3.4"}}`] }))).toMatch(/cannot be a variable name/);
  });

  it('in INI host lines, :vars sections, vars files and -e @file', () => {
    const dir = tree({
      'a.ini': '[eu]\ngw1 __proto__=1\n',
      'b.ini': '[eu]\ngw1\n[eu:vars]\nconstructor=1\n',
      'c.ini': '[eu]\ngw1\n',
      'group_vars/eu.yml': 'x: 1\n__proto__: {wan_ip: 10.9.9.9}\n',
      'extra.yaml': 'prototype: 1\n',
    });
    expect(refused(() => readInventory(path.join(dir, 'a.ini')))).toMatch(/a\.ini:2:1: __proto__ cannot be a variable name/);
    expect(refused(() => readInventory(path.join(dir, 'b.ini')))).toMatch(/b\.ini:4:1: constructor cannot be a variable name/);
    expect(refused(() => readInventory(path.join(dir, 'c.ini')))).toMatch(/group_vars\/eu\.yml:2:1: __proto__ cannot be a variable name/);
    expect(refused(() => loadInventoryText(yamlHost(''), path.join(dir, 'x', 'a.yaml'), { extraVars: [`@${path.join(dir, 'extra.yaml')}`] }))).toMatch(/extra\.yaml:1:1: prototype cannot be a variable name/);
  });

  it('nested inside a value, __proto__ stays a key: it never becomes the prototype or supplies a variable', () => {
    const text = `all:\n  hosts:\n    gw1:\n      other_role: {__proto__: {wan_ip: 10.9.9.9}}\n`;
    expect(refused(() => loadInventoryText(text, 'a.yaml'))).toMatch(/required variables not set: wan_interface, wan_ip/);
    const raw = JSON.parse(runInventory({ inventory: 'h1,', extraVars: ['{"x": {"__proto__": {"polluted": 1}}}'], host: 'h1' }).output) as Record<string, Record<string, unknown>>;
    expect(Object.keys(raw.x!)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('special files are "not a regular file", exit 4 (item 9)', () => {
  it('-i /dev/zero and -e @/dev/zero', () => {
    expect(refused(() => readInventory('/dev/zero'))).toMatch(/inventory \/dev\/zero: not a regular file/);
    expect(refused(() => loadInventoryText(yamlHost(''), 'a.yaml', { extraVars: ['@/dev/zero'] }))).toMatch(/\/dev\/zero: not a regular file/);
  });

  it.each(['openvpn_config_file', 'key_file', 'known_hosts_file'])('/dev/zero and a directory as %s name the variable and the path', (name) => {
    const dir = tree({ 'd/': '' });
    const text = (value: string) => yamlHost('').replace('openvpn_config_file: /etc/fleet/provider.ovpn\n', `openvpn_config_file: ${name === 'openvpn_config_file' ? value : '/etc/fleet/provider.ovpn'}\n${name === 'openvpn_config_file' ? '' : `      ${name}: ${value}\n`}`);
    expect(refused(() => loadInventoryText(text('/dev/zero'), 'a.yaml'))).toMatch(new RegExp(`a\\.yaml:\\d+:\\d+: host gw1, field ${name}: /dev/zero: not a regular file`));
    expect(refused(() => loadInventoryText(text(path.join(dir, 'd')), 'a.yaml'))).toMatch(new RegExp(`field ${name}: .*/d: it is a directory, not a regular file`));
  });

  it('a directory as a vars file is skipped as Ansible skips it; /dev/zero as one is refused', () => {
    const dir = tree({ 'hosts.ini': '[eu]\ngw1\n' });
    mkdirSync(path.join(dir, 'group_vars'));
    writeFileSync(path.join(dir, 'group_vars', 'all.yml'), 'a: 1\n');
    expect(readInventory(path.join(dir, 'hosts.ini')).order).toEqual(['gw1']);
  });
});

describe('control characters (item 11)', () => {
  it('a host name with ESC or BEL is refused, in YAML, INI and host lists, and the message shows it escaped', () => {
    const msg = refused(() => loadInventoryText('all:\n  hosts:\n    "gw\\e]0;pwned\\a":\n', 'a.yaml'));
    expect(msg).toMatch(/a\.yaml:3:5: host name "gw\\u001b\]0;pwned\\u0007" contains a control character/);
    expect(msg).not.toMatch(/[\u0007\u001b]/);
    const dir = tree({ 'a.ini': '[eu]\n"gw\u001b[2J"\n' });
    expect(refused(() => readInventory(path.join(dir, 'a.ini')))).toMatch(/a\.ini:2:1: host name .* contains a control character/);
    expect(refused(() => readInventory('gw\u0007x,'))).toMatch(/contains a control character/);
  });

  it('a variable name with ESC is shown escaped', () => {
    const msg = refused(() => loadInventoryText(yamlHost('      "wg_por\\et": 1\n'), 'a.yaml'));
    expect(msg).toContain('wg_por\\x1bt');
    expect(msg).not.toMatch(/\u001b/);
  });
});

describe('--limit with a broken regex is an error (item 12)', () => {
  it.each(['~', '~[', '~]', '~(', 'gw1,~['])('%s', (limit) => {
    expect(refused(() => loadInventoryText(yamlHost(''), 'a.yaml', { limit }))).toMatch(/--limit: (empty regular expression|invalid pattern|pattern .* matches no host)/);
  });

  it('a regex with brackets stays one pattern', () => {
    const inv = loadInventoryText(`all:\n  vars: {${Object.entries(GATEWAY).map(([k, v]) => `${k}: ${v}`).join(', ')}}\n  hosts:\n    gw1: {wan_ip: 10.0.1.1}\n    gw2: {wan_ip: 10.0.1.2}\n    gw3: {wan_ip: 10.0.1.3}\n`, 'a.yaml', { limit: '~gw[12]$' });
    expect(inv.hosts.map((h) => h.name)).toEqual(['gw1', 'gw2']);
  });
});

it('an unused path is not checked: loadInventory of a shared inventory with a database host and --limit', () => {
  const dir = tree({ 'hosts.ini': `[db]\ndb1 ansible_connection=local\n[gw]\ngw1 ${Object.entries(GATEWAY).map(([k, v]) => `${k}=${v}`).join(' ')}\n` });
  expect(loadInventory(path.join(dir, 'hosts.ini'), { limit: 'gw' }).hosts.map((h) => h.name)).toEqual(['gw1']);
  expect(refused(() => loadInventory(path.join(dir, 'hosts.ini')))).toMatch(/host db1.*required variables not set: wan_interface, wan_ip, vpn_server_ip, openvpn_config_file .*leave it out with --limit '!db1'/);
});
