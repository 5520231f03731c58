import { describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { renderResource } from './index.js';
import { fixture, runWithFakes } from './testing.js';

const STATUS = "-W -f=${db:Status-Abbrev} ";

describe('package', () => {
  const r = renderResource('package', { name: 'wireguard-tools' });

  test('rendering; never removed', () => {
    expect(r.id).toBe('package:wireguard-tools');
    expect(r.teardown).toBe(false);
    expect(r.check.text).toMatchInlineSnapshot(`
      "fleet_pkg_check() {
        if fleet_st=$(dpkg-query -W -f='\${db:Status-Abbrev}' wireguard-tools 2>/dev/null); then :; else
          [ $? -eq 1 ] || return 2
          echo 'wireguard-tools is not installed'; return 1
        fi
        [ "$fleet_st" = 'ii ' ] && return 0
        echo 'wireguard-tools status:' "$fleet_st"; return 1
      }
      fleet_pkg_check"
    `);
    expect(r.apply.text).toMatchInlineSnapshot(`
      "fleet_pkg_install() {
        DEBIAN_FRONTEND=noninteractive; export DEBIAN_FRONTEND
        fleet_out=$(apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold wireguard-tools </dev/null 2>&1) && return 0
        case $fleet_out in *'Unable to locate package'*|*'has no installation candidate'*) ;; *)
          printf '%s\\n' "$fleet_out" | tail -n 20 >&2; return 1 ;;
        esac
        fleet_out=$(apt-get update -q </dev/null 2>&1) || { printf '%s\\n' "$fleet_out" | tail -n 20 >&2; return 1; }
        fleet_out=$(apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold wireguard-tools </dev/null 2>&1) && return 0
        printf '%s\\n' "$fleet_out" | tail -n 20 >&2; return 1
      }
      fleet_pkg_install"
    `);
    expect(r.undo.text).toBe(': packages are never removed by fleet');
    expect(r.revert.text).toBe(r.undo.text);
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
