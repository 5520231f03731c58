import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { renderResource } from './index.js';
import { fixturePath, runWithFakes, expectValidSh } from './testing.js';

const p2p = { priority: 100, from: '10.4.0.0/24', to: '10.4.0.0/24', table: 'main' };

describe('ip-rule rendering', () => {
  test('from/to in main', () => {
    const r = renderResource('ip-rule', p2p);
    expect(r.id).toBe('ip-rule:100 from 10.4.0.0/24 to 10.4.0.0/24 lookup main');
    expect(r.title).toBe('ip rule 100: from 10.4.0.0/24 to 10.4.0.0/24 lookup 254');
    expectValidSh(r.check);
    expect(r.apply.text).toBe('ip rule add priority 100 from 10.4.0.0/24 to 10.4.0.0/24 lookup main');
    expectValidSh(r.undo);
    expect(r.revert.text).toBe(r.undo.text);
  });

  test('fwmark into a numbered table, inside a namespace', () => {
    const r = renderResource('ip-rule', { priority: 110, fwmark: 512, table: 200, netns: 'vpn' });
    expect(r.id).toBe('ip-rule:vpn:110 from all fwmark 0x200 lookup 200');
    expect(r.apply.text).toBe('ip -n vpn rule add priority 110 fwmark 0x200 lookup 200');
    expectValidSh(r.check);
  });

  test('selectors print as ip prints them: /32 bare, 0.0.0.0/0 as all; the id follows', () => {
    expect(renderResource('ip-rule', { priority: 5, from: '10.4.0.7/32', to: '0.0.0.0/0', table: 201 }).id).toBe(
      renderResource('ip-rule', { priority: 5, from: '10.4.0.7', table: 201 }).id,
    );
    expect(renderResource('ip-rule', { priority: 5, from: '10.4.0.7/32', table: 201 }).title).toBe('ip rule 5: from 10.4.0.7 lookup 201');
    expect(renderResource('ip-rule', { priority: 5, from: '10.4.0.7', to: '0.0.0.0/0', table: 201 }).apply.text).toBe(
      'ip rule add priority 5 from 10.4.0.7 lookup 201',
    );
  });
});

describe('ip-rule arguments', () => {
  test.each([
    [{ ...p2p, priority: 0 }, /field priority: /],
    [{ ...p2p, priority: 32766 }, /field priority: /],
    [{ ...p2p, priority: '100' }, /field priority: /],
    [{ ...p2p, from: '10.4.0.1/24' }, /field from: expected an address or a network/],
    [{ ...p2p, table: 254 }, /field table: tables 253-255 are the kernel's/],
    [{ ...p2p, table: 'vpn' }, /field table: expected a routing table number/],
    [{ ...p2p, fwmark: '512' }, /field fwmark: /],
    [{ from: '10.4.0.0/24', table: 'main' }, /field priority: required/],
  ])('%j is rejected', (args, message) => {
    expect(() => renderResource('ip-rule', args)).toThrow(ModuleArgsError);
    expect(() => renderResource('ip-rule', args)).toThrow(message);
  });
});

describe('ip-rule check on `ip -N rule show pref N` (iproute2 6.1.0)', () => {
  const pref111 = fixturePath('iproute2', 'ip-N-rule-show-pref-111-6.1.0.txt');
  test('our rule among two at the same priority: holds', () => {
    const r = renderResource('ip-rule', { priority: 111, fwmark: '0x100', table: 200 });
    const run = runWithFakes(r.check, { ip: [{ match: '-N rule show pref 111', file: pref111 }] });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    const r2 = renderResource('ip-rule', { priority: 111, from: '10.4.0.7/32', table: 201 });
    expect(runWithFakes(r2.check, { ip: [{ match: '-N rule show pref 111', file: pref111 }] }).code).toBe(0);
  });
  test('only foreign rules at that priority: absent, and says what holds it', () => {
    const r = renderResource('ip-rule', { priority: 111, fwmark: '0x200', table: 200 });
    const run = runWithFakes(r.check, { ip: [{ match: '-N rule show pref 111', file: pref111 }] });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'priority 111 holds a rule fleet does not own: 111: from all fwmark 0x100 lookup 200 | 111: from 10.4.0.7 lookup 201\n',
    );
  });
  test('a different table is a different rule', () => {
    const r = renderResource('ip-rule', { priority: 111, fwmark: '0x100', table: 'main' });
    expect(runWithFakes(r.check, { ip: [{ match: '-N rule show pref 111', file: pref111 }] }).code).toBe(1);
  });
  test('nothing at that priority: absent, silently', () => {
    const r = renderResource('ip-rule', p2p);
    const run = runWithFakes(r.check, { ip: [{ match: '-N rule show pref 100', out: '' }] });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
  });
  test('ip fails: probe failure', () => {
    const r = renderResource('ip-rule', p2p);
    expect(runWithFakes(r.check, { ip: [{ match: '*', err: 'Error: ...\n', code: 255 }] }).code).toBe(2);
  });
  test('undo deletes ours only, leaving the foreign rule', () => {
    const r = renderResource('ip-rule', { priority: 111, fwmark: '0x100', table: 200 });
    const run = runWithFakes(r.undo, { ip: [{ match: '-N rule show pref 111', file: pref111 }, { match: 'rule del *' }] });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(['ip -N rule show pref 111', 'ip rule del priority 111 fwmark 0x100 lookup 200']);
    const absent = renderResource('ip-rule', { priority: 111, fwmark: '0x300', table: 200 });
    const run2 = runWithFakes(absent.undo, { ip: [{ match: '-N rule show pref 111', file: pref111 }] });
    expect(run2.code).toBe(0);
    expect(run2.calls).toEqual(['ip -N rule show pref 111']);
  });
});
