import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { renderResource } from './index.js';
import { chainRules, iptablesRule, parseIptablesSave, tokenizeIptablesLine } from './iptables-rule.js';
import { fixture, runWithFakes, expectValidSh } from './testing.js';

const snat = {
  table: 'nat',
  chain: 'POSTROUTING',
  rule: ['-s', '10.4.0.0/25', '-o', 'ens5', '-j', 'SNAT', '--to-source', '10.0.1.191'],
};

describe('iptables-rule rendering', () => {
  test('one spec renders -C, -A and -D', () => {
    const r = renderResource('iptables-rule', snat);
    expect(r.id).toBe('iptables-rule:nat/POSTROUTING -s 10.4.0.0/25 -o ens5 -j SNAT --to-source 10.0.1.191');
    expect(r.title).toBe('iptables -t nat -A POSTROUTING -s 10.4.0.0/25 -o ens5 -j SNAT --to-source 10.0.1.191');
    expectValidSh(r.check);
    expect(r.apply.text).toBe('iptables -w -t nat -A POSTROUTING -s 10.4.0.0/25 -o ens5 -j SNAT --to-source 10.0.1.191');
    expectValidSh(r.undo);
    expect(r.revert.text).toBe(r.undo.text);
  });

  test('inside a namespace, inserted; tokens with spaces and quotes stay one argument', () => {
    const r = renderResource('iptables-rule', {
      table: 'filter',
      chain: 'FORWARD',
      rule: ['-i', 'veth-vpn', '!', '-o', 'tun0', '-m', 'comment', '--comment', "fleet's kill switch", '-j', 'DROP'],
      position: 'insert',
      netns: 'vpn',
    });
    expect(r.id).toBe(`iptables-rule:vpn:filter/FORWARD -i veth-vpn '!' -o tun0 -m comment --comment 'fleet'\\''s kill switch' -j DROP`);
    expectValidSh(r.check);
    expectValidSh(r.apply);
    expectValidSh(r.undo);
  });

  test('a number token (a templated port keeps its type) is its decimal text', () => {
    const r = renderResource('iptables-rule', { table: 'filter', chain: 'INPUT', rule: ['-p', 'udp', '--dport', 51821, '-j', 'ACCEPT'] });
    expect(r.apply.text).toBe('iptables -w -t filter -A INPUT -p udp --dport 51821 -j ACCEPT');
    expect(() => renderResource('iptables-rule', { table: 'filter', chain: 'INPUT', rule: ['-j', true] })).toThrow(
      /field rule\[1\]: expected a string \(or a number\)/,
    );
  });

  test('the identity does not depend on position', () => {
    expect(iptablesRule.identity(iptablesRule.schema.parse({ ...snat, position: 'insert' }))).toBe(
      iptablesRule.identity(iptablesRule.schema.parse(snat)),
    );
  });
});

describe('iptables-rule arguments', () => {
  test.each([
    [{ ...snat, table: 'security' }, /field table: /],
    [{ ...snat, chain: '-A' }, /field chain: expected a chain name/],
    [{ ...snat, rule: [] }, /field rule: a rule needs at least one token/],
    [{ ...snat, rule: ['-s', '10.4.0.0/25\n-j ACCEPT'] }, /field rule\[1\]: must not contain NUL or a line break/],
    [{ ...snat, rule: ['-A', 'INPUT', '-j', 'ACCEPT'] }, /field rule\[0\]: '-A' is an iptables command/],
    [{ ...snat, rule: ['-t', 'filter', '-j', 'ACCEPT'] }, /field rule\[0\]: '-t' is an iptables command or table switch/],
    [{ ...snat, netns: 'a b' }, /field netns: expected a namespace name/],
    [{ ...snat, position: 'top' }, /field position: /],
    [{ ...snat, rules: [] }, /unknown field 'rules'/],
    [{ table: 'nat', chain: 'POSTROUTING' }, /field rule: required/],
  ])('%j is rejected', (args, message) => {
    expect(() => renderResource('iptables-rule', args, 'roles/firewall/tasks.yaml task 3')).toThrow(ModuleArgsError);
    expect(() => renderResource('iptables-rule', args, 'roles/firewall/tasks.yaml task 3')).toThrow(
      /^roles\/firewall\/tasks\.yaml task 3: module iptables-rule: /,
    );
    expect(() => renderResource('iptables-rule', args)).toThrow(message);
  });
});

describe('iptables-rule check on iptables v1.8.9 (nf_tables) replies', () => {
  const r = renderResource('iptables-rule', snat);
  const C = '-w -t nat -C POSTROUTING*';
  test('exit 0: holds', () => {
    const run = runWithFakes(r.check, { iptables: [{ match: C }] });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(['iptables -w -t nat -C POSTROUTING -s 10.4.0.0/25 -o ens5 -j SNAT --to-source 10.0.1.191']);
  });
  test('"Bad rule (does a matching rule exist in that chain?)": absent', () => {
    const err = 'iptables: Bad rule (does a matching rule exist in that chain?).\n';
    expect(runWithFakes(r.check, { iptables: [{ match: C, err, code: 1 }] }).code).toBe(1);
  });
  test.each([
    ['a missing target or chain (legacy)', 'iptables: No chain/target/match by that name.\n', 1],
    ['a missing extension', "iptables v1.8.9 (nf_tables): Couldn't load match `nosuch':No such file or directory\n", 2],
    ['a bad option', 'iptables v1.8.9 (nf_tables): unknown option "--bogus"\n', 2],
    ['the xtables lock', 'Another app is currently holding the xtables lock.\n', 4],
  ])('%s: the probe failed (2), stderr passed on', (_, err, code) => {
    const run = runWithFakes(r.check, { iptables: [{ match: C, err, code }] });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(err);
  });
  test('undo deletes only when -C finds it, and fails when the probe fails', () => {
    const present = runWithFakes(r.undo, { iptables: [{ match: C }, { match: '-w -t nat -D POSTROUTING*' }] });
    expect(present.code).toBe(0);
    expect(present.calls[1]).toBe('iptables -w -t nat -D POSTROUTING -s 10.4.0.0/25 -o ens5 -j SNAT --to-source 10.0.1.191');
    const absent = runWithFakes(r.undo, { iptables: [{ match: C, err: 'iptables: Bad rule (does a matching rule exist in that chain?).\n', code: 1 }] });
    expect(absent.code).toBe(0);
    expect(absent.calls).toHaveLength(1);
    const broken = runWithFakes(r.undo, { iptables: [{ match: C, err: 'iptables: No chain/target/match by that name.\n', code: 1 }] });
    expect(broken.code).not.toBe(0);
  });
});

describe('parseIptablesSave (iptables-save v1.8.9 nf_tables, Debian 12)', () => {
  const text = fixture('iptables', 'iptables-save-1.8.9-nft.txt');

  test('tables, chains with policies, rules in order', () => {
    const tables = parseIptablesSave(text);
    expect(tables.map((t) => t.name)).toEqual(['mangle', 'filter', 'nat']);
    const filter = tables[1]!;
    expect(filter.chains).toEqual([
      { name: 'INPUT', policy: 'ACCEPT', packets: 0, bytes: 0 },
      { name: 'FORWARD', policy: 'ACCEPT', packets: 0, bytes: 0 },
      { name: 'OUTPUT', policy: 'ACCEPT', packets: 0, bytes: 0 },
      { name: 'FLEET-LOG', policy: null, packets: 0, bytes: 0 },
    ]);
    expect(chainRules(tables, 'nat', 'POSTROUTING')).toEqual([
      ['-s', '10.0.1.191/32', '-o', 'veth-wg', '-j', 'SNAT', '--to-source', '10.200.1.1'],
      ['-s', '10.200.1.0/24', '-o', 'ens5', '-j', 'SNAT', '--to-source', '10.0.1.191'],
      ['-s', '10.4.0.0/25', '-o', 'ens5', '-j', 'SNAT', '--to-source', '10.0.1.191'],
    ]);
    // the canonical form differs from what was added (-m tcp, --set-xmark, uid as a number):
    // the reason checks use -C and never compare text
    expect(chainRules(tables, 'mangle', 'OUTPUT')).toEqual([
      ['-p', 'udp', '-m', 'udp', '--dport', '53', '-m', 'owner', '--uid-owner', '999', '-j', 'MARK', '--set-xmark', '0x100/0xffffffff'],
    ]);
    expect(chainRules(tables, 'mangle', 'PREROUTING')[0]).toContain('!');
    expect(chainRules(tables, 'raw', 'OUTPUT')).toEqual([]);
  });

  test('quoted tokens: backslash escapes inside double quotes', () => {
    const tables = parseIptablesSave(text);
    expect(chainRules(tables, 'filter', 'FLEET-LOG')).toEqual([['-m', 'comment', '--comment', `fleet's "audit" chain`, '-j', 'RETURN']]);
    expect(tokenizeIptablesLine('-A X -m comment --comment "a \\\\ b" -j ACCEPT')).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'a \\ b', '-j', 'ACCEPT']);
  });

  test('counters from iptables-save -c', () => {
    const tables = parseIptablesSave(fixture('iptables', 'iptables-save-c-1.8.9-nft.txt'));
    const r = tables.find((t) => t.name === 'nat')!.rules[0]!;
    expect(r.counters).toEqual({ packets: 0, bytes: 0 });
    expect(r.args[0]).toBe('-s');
  });

  test('malformed input names the line', () => {
    expect(() => parseIptablesSave('-A FORWARD -j ACCEPT\n')).toThrow(/line 1: .* before any \*table/);
    expect(() => parseIptablesSave('*filter\n:INPUT ACCEPT\nCOMMIT\n')).toThrow(/line 2: bad chain line/);
    expect(() => parseIptablesSave('*filter\n-A INPUT -j ACCEPT\n')).toThrow(/no COMMIT/);
    expect(() => parseIptablesSave('*filter\n-A INPUT -m comment --comment "open\nCOMMIT\n')).toThrow(/unterminated quote/);
  });
});
