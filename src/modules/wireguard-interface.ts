/**
 * wireguard-interface: the running WireGuard interface matches its config (listen port, peers).
 *
 * The config file (/etc/wireguard/NAME.conf) is a `file` resource written before this one; it has
 * no private key (`PostUp = wg set %i private-key KEYPATH`), so the key never leaves the host and is
 * never part of any rendered text. This resource makes the live interface match.
 *
 * check: the link exists, `wg show NAME listen-port` is ours and `wg show NAME allowed-ips`
 *   (one `KEY IP` pair per line, sorted; wg masks host bits, so 10.4.0.5/24 reads 10.4.0.0/24) is
 *   exactly ours: a missing, extra or changed peer is "does not hold". Never `wg show NAME dump` or
 *   `wg showconf`: they print the private key. A link that `wg` cannot read is a probe failure.
 * apply: records in "$FLEET_STATE/wg.was" whether the link existed. Absent: `wg-quick up CONFIG`
 *   (wg-quick itself falls back to wireguard-go when the kernel has no WireGuard; wireguard-go's
 *   daemon inherits stdout/stderr, so all output goes to /run/fleet/wg-quick-NAME.log, or the SSH
 *   channel would never close). Present: `wg syncconf` without dropping the interface, from a temp
 *   file (umask 077, under /run/fleet, removed after) holding `[Interface] PrivateKey = ` + the key
 *   file + `wg-quick strip CONFIG`. The key is read by `cat` into that file: never an argument,
 *   never printed. (syncconf with no PrivateKey would clear the interface's key.)
 * revert: the link did not exist: `wg-quick down CONFIG` (falling back to `ip link del`). It did:
 *   the old config is not back yet (the file resource reverts after this step), so a re-sync from
 *   the restored file is appended to "$FLEET_DEFER".
 * undo: `wg-quick down CONFIG` when the link exists (falling back to `ip link del NAME`).
 *
 * Every wg-quick call here sets FLEET_NO_BOOT_HOOKS=1: the config's PostUp/PostDown run the boot
 * scripts (src/boot), which must run at boot and never inside a deploy, where each resource is its
 * own journaled step.
 *
 * Where systemd runs and `systemdUnit` is set (wg-quick@wg0), the interface is the unit's: apply
 * brings it up with `systemctl start UNIT`, never as a child of the SSH session (wireguard-go,
 * where the kernel has no WireGuard, then lives in the unit's cgroup, and systemd stops it at
 * shutdown), and revert/undo stop the unit. systemd passes no environment from systemctl, so
 * around those calls the flag file NO_BOOT_HOOKS_FLAG stands for FLEET_NO_BOOT_HOOKS (the
 * config's hooks test both). The check also wants the unit active (or activating: its own PostUp
 * runs the boot script, which checks this resource): a wg0 a session brought up is moved under
 * the unit. In the boot down script ("$FLEET_DEFER" unset: the unit's own stop runs it) undo never
 * calls systemctl, which would wait for the very stop job that runs it.
 */
import { defineModule } from './define.js';
import path from 'node:path';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { absPath, ifname, networkText, port, wgKey } from '../types/net.js';
import { devExists, shellFunction } from './common.js';
import { type Proof } from './facts.js';

const allowedIp = z
  .string()
  .refine((s) => networkText(s) !== undefined, { message: 'expected an address with prefix like 10.4.0.2/32 or fd00:10:4::a/128' })
  .describe('allowed IP range');

export const wireguardInterfaceSchema = z
  .strictObject({
    name: ifname.describe('interface name, e.g. wg0'),
    configPath: absPath.optional().describe('wg-quick config; absent: /etc/wireguard/NAME.conf'),
    keyPath: absPath.describe('private key file on the host (read there, never sent)'),
    systemdUnit: z
      .string()
      .regex(/^wg-quick@[A-Za-z0-9_.-]+$/, 'expected wg-quick@NAME')
      .optional()
      .describe('on hosts running systemd, the unit that brings the interface up (wg-quick@NAME); its config must be /etc/wireguard/NAME.conf'),
    listenPort: port.describe('UDP listen port'),
    peers: z
      .array(
        z.strictObject({
          publicKey: wgKey,
          allowedIps: z.array(allowedIp).describe('the peer\'s allowed IPs'),
        }),
      )
      .describe('every peer the interface must have (no more, no fewer)'),
  })
  .superRefine((a, ctx) => {
    if (a.configPath && path.posix.basename(a.configPath) !== `${a.name}.conf`)
      ctx.addIssue({ code: 'custom', path: ['configPath'], message: `wg-quick names the interface after the file: expected .../${a.name}.conf` });
    if (a.systemdUnit && a.systemdUnit !== `wg-quick@${a.name}`)
      ctx.addIssue({ code: 'custom', path: ['systemdUnit'], message: `expected wg-quick@${a.name}` });
    if (a.systemdUnit && a.configPath && a.configPath !== `/etc/wireguard/${a.name}.conf`)
      ctx.addIssue({ code: 'custom', path: ['configPath'], message: `wg-quick@ reads /etc/wireguard/${a.name}.conf` });
    const seen = new Set<string>();
    a.peers.forEach((p, i) => {
      if (seen.has(p.publicKey)) ctx.addIssue({ code: 'custom', path: ['peers', i, 'publicKey'], message: 'duplicate peer public key' });
      seen.add(p.publicKey);
    });
  });

export type WireguardInterfaceArgs = z.output<typeof wireguardInterfaceSchema>;

/** What `wg show NAME allowed-ips`, split into `KEY IP` lines and sorted (LC_ALL=C), prints. */
export function allowedIpsLines(peers: WireguardInterfaceArgs['peers']): string {
  const lines: string[] = [];
  for (const p of peers) {
    if (p.allowedIps.length === 0) lines.push(`${p.publicKey} (none)`);
    for (const ip of p.allowedIps) {
      lines.push(`${p.publicKey} ${networkText(ip)!}`);
    }
  }
  // Byte order, as `sort` under LC_ALL=C; the lines are ASCII.
  return [...new Set(lines)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).join('\n');
}

/** Parses `wg show IF allowed-ips` output into the same normalised, sorted form. */
export function normaliseAllowedIps(output: string): string {
  const lines: string[] = [];
  for (const line of output.split('\n')) {
    const f = line.trim().split(/\s+/).filter(Boolean);
    for (const ip of f.slice(1)) lines.push(`${f[0]} ${ip}`);
  }
  return lines.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).join('\n');
}

export const WG_RUN_DIR = '/run/fleet';
/** While it exists, wg0.conf's PostUp/PostDown skip the boot scripts (a deploy's systemctl call). */
export const NO_BOOT_HOOKS_FLAG = `${WG_RUN_DIR}/no-boot-hooks`;

/**
 * The systemd model's helpers: `fleet_wg_sd` (systemd runs and the interface has a unit),
 * `fleet_wg_unit_active` and `fleet_wg_unit ACTION` (start or stop, with the boot hooks off; a
 * failed stop is reset, so the unit reads as a fresh one).
 */
function unitHelpers(a: WireguardInterfaceArgs, log: string): Shell {
  const unit = a.systemdUnit;
  if (!unit) return Shell.join([shellFunction('fleet_wg_sd', raw('  false')), shellFunction('fleet_wg_unit_active', raw('  false'))]);
  return Shell.join([
    shellFunction('fleet_wg_sd', raw('  [ -d /run/systemd/system ]')),
    shellFunction('fleet_wg_unit_active', sh`  case $(systemctl is-active ${unit} 2>/dev/null) in active|activating|reloading) return 0 ;; esac; return 1`),
    shellFunction(
      'fleet_wg_unit',
      Shell.join([
        sh`  mkdir -p -m 0700 ${WG_RUN_DIR} && : > ${NO_BOOT_HOOKS_FLAG} || return`,
        sh`  systemctl "$1" ${unit} </dev/null >>${log} 2>&1; fleet_rc=$?`,
        sh`  rm -f ${NO_BOOT_HOOKS_FLAG}`,
        sh`  if [ "$fleet_rc" -ne 0 ]; then journalctl -u ${unit} -n 10 --no-pager -o cat >&2; [ "$1" = stop ] && systemctl reset-failed ${unit} 2>/dev/null; fi`,
        raw('  return "$fleet_rc"'),
      ]),
    ),
  ]);
}

function spec(a: WireguardInterfaceArgs) {
  const config = a.configPath ?? `/etc/wireguard/${a.name}.conf`;
  const log = `${WG_RUN_DIR}/wg-quick-${a.name}.log`;
  const want = allowedIpsLines(a.peers);
  const exists = sh`fleet_dev_exists ${a.name}`;

  const sync = shellFunction(
    'fleet_wg_sync',
    Shell.join([
      sh`  mkdir -p -m 0700 ${WG_RUN_DIR} || return`,
      sh`  fleet_tmp=$(umask 077; mktemp ${`${WG_RUN_DIR}/wg-${a.name}.XXXXXX`}) || return`,
      sh`  if { printf '[Interface]\\nPrivateKey = ' && cat ${a.keyPath} && printf '\\n' && wg-quick strip ${config}; } > "$fleet_tmp" &&`,
      sh`    wg syncconf ${a.name} "$fleet_tmp"; then rm -f "$fleet_tmp"; return 0; fi`,
      raw('  rm -f "$fleet_tmp"; return 1'),
    ]),
  );
  const down = shellFunction(
    'fleet_wg_down',
    Shell.join([
      sh`  ${exists} || { [ $? -eq 1 ] && return 0; return 2; }`,
      sh`  mkdir -p -m 0700 ${WG_RUN_DIR}`,
      sh`  FLEET_NO_BOOT_HOOKS=1 wg-quick down ${config} </dev/null >>${log} 2>&1 && return 0`,
      // wg-quick may fail after the link went (wireguard-go exits as its tun goes): gone is done.
      sh`  ${exists} || { [ $? -eq 1 ] && return 0; return 2; }`,
      sh`  ip link del dev ${a.name}`,
    ]),
  );

  const units = unitHelpers(a, log);
  const check = Shell.join([
    devExists(),
    units,
    shellFunction(
      'fleet_wg_check',
      Shell.join([
        sh`  ${exists} || { [ $? -eq 1 ] || return 2; echo ${`${a.name} is absent`}; return 1; }`,
        sh`  fleet_port=$(wg show ${a.name} listen-port) || return 2`,
        sh`  fleet_raw=$(wg show ${a.name} allowed-ips) || return 2`,
        raw(`  fleet_ips=$(printf '%s\\n' "$fleet_raw" | awk '{ for (i = 2; i <= NF; i++) print $1, $i }' | sort)`),
        sh`  [ "$fleet_port" = ${a.listenPort} ] || { echo ${`${a.name} listens on`} "$fleet_port"; return 1; }`,
        sh`  [ "$fleet_ips" = ${want} ] || { echo ${`${a.name} peers differ: ${a.peers.length} wanted, now`} "$(printf '%s\\n' "$fleet_raw" | grep -c .)"; return 1; }`,
        sh`  if fleet_wg_sd && ! fleet_wg_unit_active; then echo ${`${a.name} is up outside ${a.systemdUnit ?? ''}`}; return 1; fi`,
      ]),
    ),
    raw('fleet_wg_check'),
  ]);

  const apply = Shell.join([
    devExists(),
    sync,
    down,
    units,
    sh`${exists}; case $? in`,
    // Up outside its unit (a session started it): moved under the unit.
    raw('  0) echo present > "$FLEET_STATE/wg.was" && if fleet_wg_sd && ! fleet_wg_unit_active; then fleet_wg_down && fleet_wg_unit start; else fleet_wg_sync; fi ;;'),
    raw('  1)'),
    sh`    echo absent > "$FLEET_STATE/wg.was" && mkdir -p -m 0700 ${WG_RUN_DIR} &&`,
    // A unit still active without its link (deleted by hand) is stopped first, or start does nothing.
    raw('    if fleet_wg_sd; then { ! fleet_wg_unit_active || fleet_wg_unit stop || true; } && fleet_wg_unit start; else'),
    sh`    { FLEET_NO_BOOT_HOOKS=1 wg-quick up ${config} </dev/null >>${log} 2>&1 || { tail -n 20 ${log} >&2; false; }; }; fi ;;`,
    raw('  *) false ;;'),
    raw('esac'),
  ]);

  // The deferred re-sync: self-contained, one subshell, only while the link and config exist.
  const resync = Shell.join([raw('('), devExists(), sync, sh`if ${exists} && [ -f ${config} ]; then fleet_wg_sync; fi`, raw(')')]);

  // The unit stopped (and a failed one reset) before the link goes; never from the boot down script.
  const stopUnit = a.systemdUnit
    ? sh`if [ -n "\${FLEET_DEFER:-}" ] && fleet_wg_sd; then if fleet_wg_unit_active; then fleet_wg_unit stop; fi; systemctl reset-failed ${a.systemdUnit} 2>/dev/null; fi`
    : raw('');
  const revert = Shell.join([
    raw('if [ ! -f "$FLEET_STATE/wg.was" ]; then'),
    raw('  true'),
    raw('elif [ "$(cat "$FLEET_STATE/wg.was")" = present ]; then'),
    sh`  printf '%s\\n' ${resync.text} >> "$FLEET_DEFER"`,
    raw('else'),
    devExists(),
    down,
    units,
    stopUnit,
    raw('  fleet_wg_down'),
    raw('fi'),
  ]);

  const undo = Shell.join([devExists(), down, units, stopUnit, raw('fleet_wg_down')]);
  return { check, apply, revert, undo, config };
}

/**
 * The plan's proof (facts.ts) that the check would say 0: the interface listens on PORT and `wg show NAME allowed-ips` is exactly
 * these `KEY IP` pairs (each one present, and no other: the counts agree).
 */
function wireguardProof(name: string, port: number, pairs: string[], unit: boolean): Proof {
  const lines = [`wgport ${name} ${port}`, `wgpairs ${name} ${pairs.length}`, ...pairs.map((p) => `wgip ${name} ${p}`)];
  // Where systemd runs, wg-quick@NAME is active (facts.awk also prints it where systemd does not).
  if (unit) lines.push(`wgunit ${name}`);
  return { needs: [{ kind: 'wireguard' }], lines };
}

const identity = (a: WireguardInterfaceArgs): string => a.name;

export const wireguardInterface = defineModule({
  name: 'wireguard-interface',
  runtime: true,
  reachability: true,
  schema: wireguardInterfaceSchema,
  identity,
  render(a) {
    const s = spec(a);
    return {
      title: `wireguard ${a.name} up (port ${a.listenPort}, ${a.peers.length} peer${a.peers.length === 1 ? '' : 's'})`,
      check: s.check,
      proof: wireguardProof(a.name, a.listenPort, allowedIpsLines(a.peers).split('\n').filter(Boolean), a.systemdUnit !== undefined),
      apply: s.apply,
      revert: s.revert,
      undo: s.undo,
      watches: [`file:${s.config}`],
      ...(a.systemdUnit ? { unit: a.systemdUnit } : {}),
    };
  },
});
