import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { raw } from '../shell/sh.js';
import { renderResource } from './index.js';
import { fixturePath, runWithFakes, expectValidSh } from './testing.js';

const UP = fixturePath('iproute2', 'ip-o-link-show-veth-wg-6.1.0.txt');
const DOWN = fixturePath('iproute2', 'ip-o-link-show-down-6.1.0.txt');
const EXISTS = { match: 'link show dev veth-wg' };

describe('link', () => {
  const r = renderResource('link', { dev: 'veth-wg', state: 'up', mtu: 1420 });

  test('rendering', () => {
    expect(r.id).toBe('link:veth-wg');
    expect(r.title).toBe('link veth-wg up mtu 1420');
    expectValidSh(r.check);
    expectValidSh(r.apply);
    expectValidSh(r.revert);
    expectValidSh(r.undo);
  });

  test('check on `ip -o link show` (iproute2 6.1.0): the admin UP flag and the MTU', () => {
    const plain = renderResource('link', { dev: 'veth-wg' });
    expect(runWithFakes(plain.check, { ip: [EXISTS, { match: '-o link show dev veth-wg', file: UP }] }).code).toBe(0);
    const mtu = runWithFakes(r.check, { ip: [EXISTS, { match: '-o link show dev veth-wg', file: UP }] });
    expect(mtu.code).toBe(1);
    expect(mtu.stdout).toBe('veth-wg is up, mtu 1500\n');
    expect(runWithFakes(renderResource('link', { dev: 'veth-wg', mtu: 1500 }).check, { ip: [EXISTS, { match: '-o link show dev veth-wg', file: UP }] }).code).toBe(0);
    const down = runWithFakes(plain.check, { ip: [EXISTS, { match: '-o link show dev veth-wg', file: DOWN }] });
    expect(down.code).toBe(1);
    expect(down.stdout).toBe('veth-wg is down, mtu 1500\n');
    const gone = runWithFakes(plain.check, { ip: [{ match: '*', err: 'Device "veth-wg" does not exist.\n', code: 1 }] });
    expect(gone.code).toBe(1);
    expect(gone.stdout).toBe('veth-wg is absent\n');
    const broken = runWithFakes(plain.check, { ip: [{ match: '*', err: 'Cannot send dump request\n', code: 1 }] });
    expect(broken.code).toBe(2);
    expect(runWithFakes(plain.undo, { ip: [{ match: '*', err: 'Cannot send dump request\n', code: 1 }] }).code).not.toBe(0);
    expect(runWithFakes(plain.undo, { ip: [{ match: '*', err: 'Device "veth-wg" does not exist.\n', code: 1 }] }).code).toBe(0);
  });

  test('apply records the previous state; revert restores MTU, then down', () => {
    const apply = runWithFakes(raw(`${r.apply.text}\ncat "$FLEET_STATE/link"`), {
      ip: [EXISTS, { match: '-o link show dev veth-wg', file: DOWN }, { match: 'link set dev veth-wg mtu 1420 up' }],
    });
    expect(apply.code).toBe(0);
    expect(apply.stdout).toBe('down 1500\n');
    const revert = runWithFakes(raw(`echo 'down 1500' > "$FLEET_STATE/link"\n${r.revert.text}`), {
      ip: [EXISTS, { match: '-o link show dev veth-wg', file: UP }, { match: 'link set dev veth-wg *' }],
    });
    expect(revert.code).toBe(0);
    expect(revert.calls.slice(2)).toEqual(['ip link set dev veth-wg mtu 1500', 'ip link set dev veth-wg down']);
    // was up: only the MTU goes back
    const wasUp = runWithFakes(raw(`echo 'up 1500' > "$FLEET_STATE/link"\n${r.revert.text}`), {
      ip: [EXISTS, { match: '-o link show dev veth-wg', file: UP }, { match: 'link set dev veth-wg *' }],
    });
    expect(wasUp.calls.slice(2)).toEqual(['ip link set dev veth-wg mtu 1500']);
    // no record: apply never ran
    expect(runWithFakes(r.revert, {}).calls).toEqual([]);
  });

  test.each([
    [{ dev: 'veth-wg', state: 'down' }, /field state: /],
    [{ dev: 'veth-wg', mtu: 10 }, /field mtu: /],
    [{ dev: 'veth-wg', mtu: '1420' }, /field mtu: /],
  ])('%j is rejected', (args, message) => {
    expect(() => renderResource('link', args)).toThrow(ModuleArgsError);
    expect(() => renderResource('link', args)).toThrow(message);
  });
});
