import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Shell } from '../shell/sh.js';
import { renderResource } from './index.js';
import { runWithFakes } from './testing.js';

const systemd = existsSync('/run/systemd/system');

describe('systemd-unit-enabled', () => {
  test('rendering: id, title, persistent (not in the boot scripts)', () => {
    const r = renderResource('systemd-unit-enabled', { unit: 'wg-quick@wg0' });
    expect(r.id).toBe('systemd-unit-enabled:wg-quick@wg0');
    expect(r.title).toBe('wg-quick@wg0 enabled at boot');
    expect(r.runtime).toBeUndefined();
    expect(r.check.text).toContain('systemctl is-enabled --quiet wg-quick@wg0');
    expect(r.check.text).toContain('[ -f /etc/fleet/enabled/wg-quick@wg0 ]');
  });

  test('rejects a unit name that is not one', () => {
    expect(() => renderResource('systemd-unit-enabled', { unit: 'a b' })).toThrow(/unit name/);
  });

  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.skipIf(systemd)('without systemd: a marker file, enabled, reverted, undone', () => {
    const markerDir = path.join(dir, 'fleet', 'enabled');
    const r = renderResource('systemd-unit-enabled', { unit: 'wg-quick@wg0', markerDir });
    expect(runWithFakes(r.check, {})).toMatchObject({ code: 1, stdout: 'wg-quick@wg0 is not enabled\n' });
    // apply and revert share $FLEET_STATE only within one runWithFakes call
    const both = runWithFakes(Shell.join([r.apply, Shell.raw('echo applied'), r.check, Shell.raw('echo checked')]), {});
    expect(both.stdout).toBe('applied\nchecked\n');
    expect(existsSync(path.join(markerDir, 'wg-quick@wg0'))).toBe(true);
    expect(runWithFakes(r.check, {}).code).toBe(0);
    expect(runWithFakes(r.undo, {}).code).toBe(0);
    expect(existsSync(markerDir)).toBe(false);
    expect(existsSync(path.join(dir, 'fleet'))).toBe(false);
    expect(runWithFakes(r.undo, {}).code).toBe(0); // idempotent
    const revert = runWithFakes(Shell.join([r.apply, r.revert]), {});
    expect(revert.code).toBe(0);
    expect(existsSync(markerDir)).toBe(false);
  });

  test.skipIf(!systemd)('with systemd: systemctl is-enabled / enable / disable', () => {
    const r = renderResource('systemd-unit-enabled', { unit: 'dnsmasq' });
    const run = runWithFakes(Shell.join([r.apply]), { systemctl: [{ match: 'is-enabled --quiet dnsmasq', code: 1 }, { match: 'enable dnsmasq' }] });
    expect(run.code).toBe(0);
    expect(run.calls).toEqual(['systemctl is-enabled --quiet dnsmasq', 'systemctl enable dnsmasq']);
  });
});
