import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { renderResource } from './index.js';
import { fixture, runWithFakes } from './testing.js';

const STATUS = "-W -f=${db:Status-Abbrev} ";

describe('package', () => {
  const r = renderResource('package', { name: 'wireguard-tools' });

  test('never removed: undo and revert run nothing, and teardown skips it', () => {
    expect(r.id).toBe('package:wireguard-tools');
    expect(r.teardown).toBe(false);
    expect(r.runtime).toBeUndefined();
    const fakes = { 'apt-get': [], dpkg: [], 'dpkg-query': [] };
    for (const fragment of [r.undo, r.revert]) expect(runWithFakes(fragment, fakes)).toMatchObject({ code: 0, calls: [], stdout: '', stderr: '' });
  });

  test('check on dpkg-query (Debian 12)', () => {
    // the captured replies: 'ii ' for an installed package, exit 1 for an unknown one
    const captured = fixture('dpkg', 'dpkg-query-status-abbrev.txt');
    expect(captured).toContain('wireguard-tools: ii \n');
    expect(captured).toContain('dpkg-query: no packages found matching fleet-no-such-package\n (exit 1)');
    expect(runWithFakes(r.check, { 'dpkg-query': [{ match: `${STATUS}wireguard-tools`, out: 'ii ' }] }).code).toBe(0);
    const removed = runWithFakes(r.check, { 'dpkg-query': [{ match: `${STATUS}wireguard-tools`, out: 'rc ' }] });
    expect(removed.code).toBe(1);
    expect(removed.stdout).toBe('wireguard-tools status: rc \n');
    const unknown = runWithFakes(r.check, {
      'dpkg-query': [{ match: '*', err: 'dpkg-query: no packages found matching wireguard-tools\n', code: 1 }],
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('wireguard-tools is not installed\n');
    expect(runWithFakes(r.check, { 'dpkg-query': [{ match: '*', code: 2 }] }).code).toBe(2);
  });

  test('apply: apt-get update only when apt cannot find the package; output kept off stdout', () => {
    const install = 'install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold wireguard-tools';
    const direct = runWithFakes(r.apply, { 'apt-get': [{ match: install, out: 'Setting up wireguard-tools ...\n' }] });
    expect(direct.code).toBe(0);
    expect(direct.stdout).toBe('');
    expect(direct.calls).toEqual([`apt-get ${install}`]);

    const stale = runWithFakes(r.apply, {
      'apt-get': [
        { match: `${install}`, err: 'E: Unable to locate package wireguard-tools\n', code: 100 },
        { match: 'update -q', out: 'Reading package lists...\n' },
      ],
    });
    expect(stale.calls).toEqual([`apt-get ${install}`, 'apt-get update -q', `apt-get ${install}`]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('Unable to locate package');

    const broken = runWithFakes(r.apply, { 'apt-get': [{ match: '*', err: 'E: dpkg was interrupted\n', code: 100 }] });
    expect(broken.code).toBe(1);
    expect(broken.calls).toHaveLength(1);
    expect(broken.stderr).toBe('E: dpkg was interrupted\n');
  });

  test.each([[{ name: 'WireGuard' }], [{ name: 'wg tools' }], [{ name: '-y' }], [{ name: 'x', version: '1' }]])('%j is rejected', (args) => {
    expect(() => renderResource('package', args)).toThrow(ModuleArgsError);
  });
});
