import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { renderResource } from './index.js';
import { fixturePath, runWithFakes } from './testing.js';

describe('netns', () => {
  const r = renderResource('netns', { name: 'gw' });

  test('apply adds it, revert is undo, and a failing probe fails undo instead of reading as gone', () => {
    expect(r.id).toBe('netns:gw');
    expect(r.runtime).toBe(true);
    expect(r.reachability).toBe(true);
    expect(runWithFakes(r.apply, { ip: [{ match: 'netns add gw' }] }).calls).toEqual(['ip netns add gw']);
    expect(r.revert.text).toBe(r.undo.text);
    const failing = runWithFakes(r.undo, { ip: [{ match: 'netns list', code: 1 }] });
    expect(failing.code).not.toBe(0);
    expect(failing.calls).toEqual(['ip netns list']);
  });

  test('check on `ip netns list` (iproute2 6.1.0): exact first word, with or without "(id: N)"', () => {
    const list = fixturePath('iproute2', 'ip-netns-list-6.1.0.txt');
    expect(runWithFakes(r.check, { ip: [{ match: 'netns list', file: list }] }).code).toBe(0);
    const vpn = renderResource('netns', { name: 'gw-vpn' });
    expect(runWithFakes(vpn.check, { ip: [{ match: 'netns list', file: list }] }).code).toBe(0);
    // a prefix of an existing name is not that name
    expect(runWithFakes(renderResource('netns', { name: 'g' }).check, { ip: [{ match: 'netns list', file: list }] }).code).toBe(1);
    // a regex character in the name is literal
    expect(runWithFakes(renderResource('netns', { name: 'g.' }).check, { ip: [{ match: 'netns list', file: list }] }).code).toBe(1);
    expect(runWithFakes(r.check, { ip: [{ match: 'netns list', out: '' }] }).code).toBe(1);
    expect(runWithFakes(r.check, { ip: [{ match: 'netns list', code: 1 }] }).code).toBe(2);
  });

  test('undo deletes only an existing namespace', () => {
    const list = fixturePath('iproute2', 'ip-netns-list-6.1.0.txt');
    expect(runWithFakes(r.undo, { ip: [{ match: 'netns list', file: list }, { match: 'netns del gw' }] }).calls).toEqual([
      'ip netns list',
      'ip netns del gw',
    ]);
    expect(runWithFakes(r.undo, { ip: [{ match: 'netns list', out: '' }] }).code).toBe(0);
  });

  test.each([[{ name: 'a/b' }], [{ name: '' }], [{ name: 'x'.repeat(40) }], [{}], [{ name: 'gw', netns: 'x' }]])('%j is rejected', (args) => {
    expect(() => renderResource('netns', args)).toThrow(ModuleArgsError);
  });
});
