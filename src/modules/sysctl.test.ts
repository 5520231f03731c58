import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { raw } from '../shell/sh.js';
import { renderResource } from './index.js';
import { fixture, fixturePath, runWithFakes, expectValidSh } from './testing.js';

describe('sysctl', () => {
  const r = renderResource('sysctl', { key: 'net.ipv4.ip_forward', value: 1, undoValue: '0', netns: 'vpn' });

  test('rendering', () => {
    expect(r.id).toBe('sysctl:vpn:net.ipv4.ip_forward');
    expect(r.title).toBe('sysctl net.ipv4.ip_forward = 1 (netns vpn)');
    expectValidSh(r.check);
    expectValidSh(r.apply);
    expectValidSh(r.revert);
    expectValidSh(r.undo);
  });

  test('without undoValue, undo leaves the value', () => {
    const keep = renderResource('sysctl', { key: 'net.ipv4.ip_forward', value: '1' });
    expect(keep.undo.text).toBe(': no undoValue, teardown leaves the value');
    expect(keep.apply.text).toContain(`sysctl -q -w net.ipv4.ip_forward=1`);
  });

  test('a value with spaces is one argument', () => {
    const range = renderResource('sysctl', { key: 'net.ipv4.ip_local_port_range', value: '32768 60999' });
    expect(range.apply.text).toContain(`sysctl -q -w net.ipv4.ip_local_port_range='32768 60999'`);
  });

  test('check on `sysctl -n` (procps, Debian 12): whitespace-insensitive', () => {
    const range = renderResource('sysctl', { key: 'net.ipv4.ip_local_port_range', value: ' 32768   60999 ' });
    const file = fixturePath('procps', 'sysctl-n-ip_local_port_range.txt');
    expect(fixture('procps', 'sysctl-n-ip_local_port_range.txt')).toBe('32768\t60999\n');
    expect(runWithFakes(range.check, { sysctl: [{ match: '-n net.ipv4.ip_local_port_range', file }] }).code).toBe(0);
    const other = renderResource('sysctl', { key: 'net.ipv4.ip_local_port_range', value: '1024 65000' });
    const run = runWithFakes(other.check, { sysctl: [{ match: '-n net.ipv4.ip_local_port_range', file }] });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('net.ipv4.ip_local_port_range = 32768 60999\n');
  });

  test('a key that does not exist (yet) is absent; other failures are probe failures', () => {
    const later = renderResource('sysctl', { key: 'net.ipv4.conf.nosuch.forwarding', value: '1' });
    const missing = runWithFakes(later.check, { sysctl: [{ match: '*', err: fixture('procps', 'sysctl-n-missing-key.txt'), code: 255 }] });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('net.ipv4.conf.nosuch.forwarding does not exist\n');
    const denied = runWithFakes(later.check, { sysctl: [{ match: '*', err: 'sysctl: permission denied on key "x"\n', code: 255 }] });
    expect(denied.code).toBe(2);
  });

  test('apply saves the previous value; exit 0 with an error on stderr is a failure', () => {
    const host = renderResource('sysctl', { key: 'net.ipv4.ip_forward', value: '1' });
    const ok = runWithFakes(raw(`${host.apply.text}\ncat "$FLEET_STATE/sysctl.prev"`), {
      sysctl: [{ match: '-n net.ipv4.ip_forward', out: '0\n' }, { match: '-q -w net.ipv4.ip_forward=1' }],
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('0\n');
    const quietFail = runWithFakes(host.apply, {
      sysctl: [{ match: '-n net.ipv4.ip_forward', out: '0\n' }, { match: '-q -w *', err: 'sysctl: setting key "net.ipv4.ip_forward": Invalid argument\n' }],
    });
    expect(quietFail.code).toBe(1);
    expect(quietFail.stderr).toContain('Invalid argument');
  });

  test('revert writes the saved value back, or nothing when apply never ran', () => {
    const host = renderResource('sysctl', { key: 'net.ipv4.ip_local_port_range', value: '1024 65000' });
    const run = runWithFakes(raw(`printf '32768\\t60999\\n' > "$FLEET_STATE/sysctl.prev"\n${host.revert.text}`), {
      sysctl: [{ match: '-q -w *' }],
    });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(['sysctl -q -w net.ipv4.ip_local_port_range=32768\t60999']);
    expect(runWithFakes(host.revert, {}).calls).toEqual([]);
  });

  test.each([
    [{ key: 'net/ipv4/ip_forward', value: '1' }, /field key: expected a dotted sysctl key/],
    [{ key: 'ip_forward', value: '1' }, /field key: /],
    [{ key: 'net.ipv4.ip_forward', value: '1\n' }, /field value: must not contain NUL or a line break/],
    [{ key: 'net.ipv4.ip_forward', value: true }, /field value: expected a value/],
    [{ key: 'net.ipv4.ip_forward' }, /field value: /],
  ])('%j is rejected', (args, message) => {
    expect(() => renderResource('sysctl', args)).toThrow(ModuleArgsError);
    expect(() => renderResource('sysctl', args)).toThrow(message);
  });
});
