import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { raw } from '../shell/sh.js';
import { renderResource } from './index.js';
import { fixturePath, runWithFakes, expectValidSh } from './testing.js';

const args = { name: 'veth-wg', peer: 'veth-vpn', peerNetns: 'gw-vpn' };
const HOST = fixturePath('iproute2', 'ip-j-d-link-show-veth-wg-6.1.0.txt');
const PEER = fixturePath('iproute2', 'ip-j-link-show-veth-vpn-6.1.0.txt');
const LO = fixturePath('iproute2', 'ip-j-d-link-show-lo-6.1.0.txt');

describe('veth rendering', () => {
  test('peer in another namespace', () => {
    const r = renderResource('veth', args);
    expect(r.id).toBe('veth:veth-wg');
    expect(r.title).toBe('veth veth-wg <-> veth-vpn (netns gw-vpn)');
    expectValidSh(r.check);
    expectValidSh(r.apply);
    expectValidSh(r.undo);
    expect(r.revert.text).toBe(r.undo.text);
  });
});

describe('veth check on `ip -j link show` (iproute2 6.1.0)', () => {
  // The fixture pair: veth-wg is ifindex 4 with link_index 2; veth-vpn is ifindex 2 with link_index 4.
  const r = renderResource('veth', args);
  const netnsPresent = (body: string) => body.replace(/\[ ! -e \/var\/run\/netns\/gw-vpn \]/, 'false');
  const EXISTS = { match: 'link show dev veth-wg' };
  const checkWith = (fakes: Parameters<typeof runWithFakes>[1]) =>
    runWithFakes(raw(netnsPresent(r.check.text)), fakes);

  test('each is the other\'s peer: holds', () => {
    const run = checkWith({ ip: [EXISTS, { match: '-j -d link show dev veth-wg', file: HOST }, { match: '-n gw-vpn -j link show dev veth-vpn', file: PEER }] });
    expect(run.code).toBe(0);
  });
  test('NAME missing: absent', () => {
    const run = checkWith({ ip: [{ match: 'link show dev veth-wg', err: 'Device "veth-wg" does not exist.\n', code: 1 }] });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('veth veth-wg: absent\n');
  });
  test('NAME is not a veth: absent, named as such', () => {
    const run = checkWith({ ip: [EXISTS, { match: '-j -d link show dev veth-wg', file: LO }] });
    expect(run.stdout).toBe('veth veth-wg: other\n');
  });
  test('an interface named like the peer that is not the peer: absent', () => {
    const run = checkWith({
      ip: [
        EXISTS,
        { match: '-j -d link show dev veth-wg', file: HOST },
        { match: '-n gw-vpn -j link show dev veth-vpn', out: '[{"ifindex":9,"link_index":3,"ifname":"veth-vpn"}]\n' },
        { match: 'link show dev veth-vpn', code: 1 },
      ],
    });
    expect(run.stdout).toBe('veth veth-wg: peer-missing\n');
  });
  test('the peer still beside NAME: absent, and apply moves it', () => {
    const fakes = {
      ip: [
        EXISTS,
        { match: '-j -d link show dev veth-wg', file: HOST },
        { match: '-n gw-vpn -j link show dev veth-vpn', code: 1 },
        { match: 'link show dev veth-vpn', out: '2: veth-vpn@veth-wg: ...\n' },
        { match: 'link set dev veth-vpn netns gw-vpn' },
      ],
    };
    expect(checkWith(fakes).stdout).toBe('veth veth-wg: peer-here\n');
    const apply = runWithFakes(raw(netnsPresent(r.apply.text)), fakes);
    expect(apply.code).toBe(0);
    expect(apply.calls.at(-1)).toBe('ip link set dev veth-vpn netns gw-vpn');
  });
  test('undo leaves an interface of that name that is not a veth', () => {
    const run = runWithFakes(r.undo, { ip: [{ match: 'link show dev veth-wg' }, { match: '-j -d link show dev veth-wg', file: LO }] });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(['ip link show dev veth-wg', 'ip -j -d link show dev veth-wg']);
  });
  test('ip failing for another reason than absence: probe failure, and undo fails', () => {
    const fakes = { ip: [{ match: 'link show dev veth-wg', err: 'Cannot send dump request: Connection refused\n', code: 1 }] };
    expect(checkWith(fakes).code).toBe(2);
    expect(runWithFakes(r.undo, fakes).code).not.toBe(0);
  });
});

describe('veth arguments', () => {
  test.each([
    [{ ...args, name: 'a-name-longer-than-15' }, /field name: expected an interface name/],
    [{ name: 'v0', peer: 'v0' }, /field peer: name and peer are the same interface/],
    [{ ...args, peerNetns: 'bad/ns' }, /field peerNetns: /],
  ])('%j is rejected', (a, message) => {
    expect(() => renderResource('veth', a)).toThrow(ModuleArgsError);
    expect(() => renderResource('veth', a)).toThrow(message);
  });
  test('same names in different namespaces are fine', () => {
    expect(renderResource('veth', { name: 'v0', peer: 'v0', peerNetns: 'x' }).id).toBe('veth:v0');
  });
});
