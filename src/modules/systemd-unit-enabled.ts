/**
 * systemd-unit-enabled: a unit starts at boot (`systemctl enable`), where systemd runs.
 *
 * Two models, chosen on the host at run time, as the daemon module does:
 * - systemd (/run/systemd/system exists: systemd is PID 1): `systemctl is-enabled --quiet UNIT`,
 *   `systemctl enable UNIT`, `systemctl disable UNIT`. Enabling never starts anything: the deploy's
 *   own resources do that.
 * - no systemd (the lab, where PID 1 is sshd): a marker file MARKER_DIR/UNIT (default
 *   /etc/fleet/enabled/wg-quick@wg0) stands for `systemctl is-enabled`. It lives on disk, so it
 *   survives a reboot; `fleet lab reboot` reads it to know what a boot would start (see
 *   src/lab/reboot.ts). Nothing else reads it.
 *
 * check: enabled (per the model); on 1 it says `UNIT is not enabled`.
 * apply: records in "$FLEET_STATE/enabled.was" that it was not; enables it.
 * revert: disables it again when apply enabled it.
 * undo: disables it (removes the marker, then the marker directory and /etc/fleet while empty).
 *   A `packaged` unit (one the distribution's package enables on install, like dnsmasq.service)
 *   stays enabled under systemd: a teardown leaves it as a fresh install has it.
 * With `onlyWithSystemd`, a host without systemd has nothing to enable: the check holds there.
 */
import { defineModule } from './define.js';
import path from 'node:path';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { absPath } from '../types/net.js';
import { shellFunction } from './common.js';

export const ENABLED_MARKER_DIR = '/etc/fleet/enabled';

export const systemdUnitEnabledSchema = z.strictObject({
  unit: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9:_.@-]{0,127}$/, 'expected a systemd unit name like wg-quick@wg0 or dnsmasq.service')
    .describe('the unit to enable at boot, e.g. wg-quick@wg0'),
  packaged: z
    .boolean()
    .default(false)
    .describe("the distribution's package enables this unit on install: teardown leaves it enabled where systemd runs"),
  onlyWithSystemd: z
    .boolean()
    .default(false)
    .describe('nothing to do on hosts without systemd (no marker): there the boot script starts what the unit would'),
  markerDir: absPath.default(ENABLED_MARKER_DIR).describe('on hosts without systemd: where the marker file for the unit lives'),
});

export type SystemdUnitEnabledArgs = z.output<typeof systemdUnitEnabledSchema>;

function spec(a: SystemdUnitEnabledArgs) {
  const marker = `${a.markerDir}/${a.unit}`;
  const helpers = Shell.join([
    shellFunction('fleet_sd', raw('  [ -d /run/systemd/system ]')),
    shellFunction(
      'fleet_unit_enabled',
      Shell.join([
        raw('  if fleet_sd; then'),
        sh`    systemctl is-enabled --quiet ${a.unit} 2>/dev/null`,
        raw('  else'),
        a.onlyWithSystemd ? raw('    true') : sh`    [ -f ${marker} ]`,
        raw('  fi'),
      ]),
    ),
    shellFunction(
      'fleet_unit_enable',
      Shell.join([
        raw('  if fleet_sd; then'),
        sh`    systemctl enable ${a.unit} </dev/null`,
        raw('  else'),
        sh`    mkdir -p -m 0755 ${a.markerDir} && : > ${marker}`,
        raw('  fi'),
      ]),
    ),
    shellFunction(
      'fleet_unit_disable',
      Shell.join([
        raw('  if fleet_sd; then'),
        sh`    if systemctl is-enabled --quiet ${a.unit} 2>/dev/null; then systemctl disable ${a.unit} </dev/null; fi`,
        raw('  else'),
        sh`    rm -f ${marker} || return`,
        sh`    rmdir ${a.markerDir} 2>/dev/null && rmdir ${path.posix.dirname(a.markerDir)} 2>/dev/null; true`,
        raw('  fi'),
      ]),
    ),
  ]);
  // Whether the unit is enabled on this host, in either model (for a removal): with onlyWithSystemd
  // a host without systemd never has it, although the check holds there.
  const present = Shell.join([
    helpers,
    a.onlyWithSystemd ? sh`fleet_sd && systemctl is-enabled --quiet ${a.unit} 2>/dev/null` : raw('fleet_unit_enabled'),
  ]);
  const check = Shell.join([helpers, sh`if fleet_unit_enabled; then true; else echo ${`${a.unit} is not enabled`}; false; fi`]);
  const apply = Shell.join([helpers, raw('if fleet_unit_enabled; then true; else echo disabled > "$FLEET_STATE/enabled.was" && fleet_unit_enable; fi')]);
  const revert = Shell.join([helpers, raw('if [ -f "$FLEET_STATE/enabled.was" ]; then fleet_unit_disable; fi')]);
  const undo = Shell.join([helpers, raw(a.packaged ? 'fleet_sd || fleet_unit_disable' : a.onlyWithSystemd ? '! fleet_sd || fleet_unit_disable' : 'fleet_unit_disable')]);
  return { check, apply, revert, undo, present };
}

const identity = (a: SystemdUnitEnabledArgs): string => a.unit;

export const systemdUnitEnabled = defineModule({
  name: 'systemd-unit-enabled',
  schema: systemdUnitEnabledSchema,
  identity,
  render(a) {
    const s = spec(a);
    return {
      title: `${a.unit} enabled at boot`,
      check: s.check,
      apply: s.apply,
      revert: s.revert,
      undo: s.undo,
      present: s.present,
    };
  },
});
