import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { renderResource } from './index.js';
import { fixturePath, runWithFakes, expectValidSh } from './testing.js';

const ADDR = fixturePath('iproute2', 'ip-o-4-addr-show-veth-wg-6.1.0.txt');

describe('address', () => {
  const r = renderResource('address', { address: '10.200.1.1/24', dev: 'veth-wg' });

  test('rendering', () => {
    expect(r.id).toBe('address:veth-wg 10.200.1.1/24');
    expect(r.title).toBe('address 10.200.1.1/24 on veth-wg');
    expectValidSh(r.check);
    expect(r.apply.text).toBe('ip addr add 10.200.1.1/24 dev veth-wg');
    expectValidSh(r.undo);
    expect(r.revert.text).toBe(r.undo.text);
    expect(renderResource('address', { address: '10.200.1.2/24', dev: 'veth-vpn', netns: 'vpn' }).apply.text).toBe(
      'ip -n vpn addr add 10.200.1.2/24 dev veth-vpn',
    );
  });

  test('nodad: an IPv6 address usable at once (no duplicate address detection); refused for IPv4', () => {
    const six = renderResource('address', { address: 'fd00:200:1::2/64', dev: 'veth-vpn', netns: 'vpn', nodad: true });
    expect(six.apply.text).toBe('ip -n vpn addr add fd00:200:1::2/64 dev veth-vpn nodad');
    expect(six.id).toBe(renderResource('address', { address: 'fd00:200:1::2/64', dev: 'veth-vpn', netns: 'vpn' }).id);
    expect(() => renderResource('address', { address: '10.200.1.1/24', dev: 'veth-wg', nodad: true })).toThrow(ModuleArgsError);
  });

  test('check on `ip -o -4 addr show` (iproute2 6.1.0): the exact address and prefix', () => {
    const fakes = (file: string) => ({ ip: [{ match: 'link show dev veth-wg' }, { match: '-o -4 addr show dev veth-wg', file }] });
    expect(runWithFakes(r.check, fakes(ADDR)).code).toBe(0);
    const other = renderResource('address', { address: '10.200.1.1/16', dev: 'veth-wg' });
    expect(runWithFakes(other.check, fakes(ADDR)).code).toBe(1);
    const prefixOf = renderResource('address', { address: '10.200.1.1/2', dev: 'veth-wg' });
    expect(runWithFakes(prefixOf.check, fakes(ADDR)).code).toBe(1);
  });

  test('a missing interface is absent; undo then does nothing', () => {
    const fakes = { ip: [{ match: 'link show dev veth-wg', err: 'Device "veth-wg" does not exist.\n', code: 1 }] };
    const run = runWithFakes(r.check, fakes);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('veth-wg is absent\n');
    expect(runWithFakes(r.undo, fakes).calls).toEqual(['ip link show dev veth-wg']);
  });

  test('ip failing for another reason than absence: probe failure', () => {
    expect(runWithFakes(r.check, { ip: [{ match: '*', err: 'Cannot send dump request\n', code: 1 }] }).code).toBe(2);
  });

  test('undo deletes a present address', () => {
    const run = runWithFakes(r.undo, {
      ip: [{ match: 'link show dev veth-wg' }, { match: '-o -4 addr show dev veth-wg', file: ADDR }, { match: 'addr del *' }],
    });
    expect(run.code).toBe(0);
    expect(run.calls.at(-1)).toBe('ip addr del 10.200.1.1/24 dev veth-wg');
  });

  test.each([
    [{ address: '10.200.1.1', dev: 'veth-wg' }, /field address: expected an address with prefix/],
    [{ address: '10.200.1.1/24', dev: 'veth wg' }, /field dev: expected an interface name/],
    [{ address: '10.200.1.1/24' }, /field dev: required/],
  ])('%j is rejected', (args, message) => {
    expect(() => renderResource('address', args)).toThrow(ModuleArgsError);
    expect(() => renderResource('address', args)).toThrow(message);
  });
});
