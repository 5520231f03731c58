/**
 * daemon: a long-running process (dnsmasq, openvpn) runs with its current configuration.
 *
 * Two models, chosen on the host at run time:
 * - pidfile (hosts without systemd, such as the lab, where PID 1 is sshd): the process is known only
 *   by its pidfile. Every pid fleet acts on has passed `fleet_daemon_pid`: the pidfile holds a
 *   number, that process exists, is not a zombie, its /proc/PID/comm is the expected name, its
 *   start time (/proc/PID/stat field 22) is the one fleet recorded when it started that pid (in
 *   STATE_DIR/NAME.started), and, with `netns`, it lives in that namespace. So a stale pidfile
 *   whose pid was reused by something else, even by a process of the same name, is "not running"
 *   and is never killed. Nothing is ever found or killed by name.
 * - systemd (when /run/systemd/system exists and `systemdUnit` is set): `systemctl is-active`,
 *   `restart` (after a `daemon-reload` when the unit's files changed, e.g. a drop-in in
 *   `configFiles`), `stop`. The recorded hash lives on disk (SYSTEMD_DAEMON_STATE_DIR): the unit
 *   starts by itself at boot from the files on disk, so what it was started with stays true across
 *   a reboot and the boot script's check holds without calling systemctl. A `packaged` unit is the
 *   distribution's (its package enabled and started it): teardown does not stop it but restarts it
 *   once fleet's files are gone, so it runs as the package left it.
 *
 * "Restart only when the config changed": at start fleet records, in STATE_DIR/NAME.confhash, a
 * hash of the command line and of every file in `configFiles`. The check recomputes it; a changed
 * config (or command line) reads as "does not hold", so the plan restarts the daemon. The daemon
 * also `watches` those files' resources.
 *
 * check: running (per the model) and the recorded hash equals the current one. On 1 it says which.
 * apply: records in "$FLEET_STATE/daemon.was" whether it was running; stops it if so (TERM, up to
 *   5 s, then KILL; the pidfile is removed); starts it with stdin, stdout and stderr away from the
 *   SSH channel (stdin /dev/null, output appended to STATE_DIR/NAME.log: an inherited descriptor
 *   would keep the channel open forever); waits up to 5 s for a live pid with the right name; then
 *   records the hash. The command must daemonize itself (dnsmasq, `openvpn --daemon`) and write
 *   `pidfile`; with `foreground: true` fleet runs it under setsid in the background and writes the
 *   pidfile itself.
 * revert: if it was not running before, stops it and forgets the hash. If it was running, the old
 *   configuration is not back yet (the file resources are reverted after this step), so the
 *   restart is appended to "$FLEET_DEFER" and runs once every step has been reverted.
 * undo: stops it (by pidfile only) and removes the recorded hash. systemd: in a teardown
 *   ("$FLEET_DEFER" set) it stops the unit, or for a `packaged` one appends its restart to
 *   "$FLEET_DEFER", run after every other undo. In the boot down script ("$FLEET_DEFER" unset, run
 *   by wg-quick@wg0's stop) it never waits for systemd: a unit is only asked to stop (--no-block)
 *   and a packaged one is left alone; the recorded hash stays (the unit starts by itself at boot). At shutdown systemd stops them itself, and a blocking
 *   `systemctl stop` there waits for a job ordered after wg-quick@wg0's own stop: a deadlock.
 */
import { defineModule, type ResourceBody } from './define.js';
import path from 'node:path';
import { z } from 'zod';
import { Shell, quote, raw, sh } from '../shell/sh.js';
import { absPath } from '../types/net.js';
import { argToken, inNetns, netnsArg, netnsPath, nsExec, sha256hex, shellFunction } from './common.js';

export const DAEMON_STATE_DIR = '/run/fleet/daemons';
/** Where the systemd model records the hash its unit was (re)started with: it survives a reboot. */
export const SYSTEMD_DAEMON_STATE_DIR = '/var/lib/fleet/daemons';

export const daemonSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a daemon name (letters, digits, _ . -)')
    .describe('name of this daemon (its identity; names the hash and log files)'),
  command: z
    .array(argToken)
    .min(1, 'expected the program and its arguments')
    .describe("argv that starts it, e.g. ['dnsmasq', '--conf-file=/etc/dnsmasq.d/internal.conf', '--pid-file=/run/fleet/dnsmasq.pid']"),
  pidfile: absPath.describe('pidfile the daemon writes (or fleet writes, with foreground: true)'),
  comm: z
    .string()
    .regex(/^[^\0\n/]{1,15}$/, 'expected a process name (up to 15 characters, as in /proc/PID/comm)')
    .optional()
    .describe('process name in /proc/PID/comm; absent: the basename of command[0], cut to 15 characters'),
  foreground: z
    .boolean()
    .default(false)
    .describe('the command stays in the foreground: fleet backgrounds it under setsid and writes the pidfile'),
  netns: netnsArg.describe('start it inside this network namespace (ip netns exec); it must stay there'),
  configFiles: z.array(absPath).default([]).describe('files whose change means a restart'),
  systemdUnit: z
    .string()
    .regex(/^[A-Za-z0-9:_.@-]+$/, 'expected a systemd unit name like dnsmasq.service')
    .optional()
    .describe('on hosts running systemd, manage this unit instead of a pidfile'),
  packaged: z
    .boolean()
    .default(false)
    .describe("the systemd unit is the distribution's (its package enables and starts it): teardown restarts it without fleet's files instead of stopping it"),
  stateDir: absPath.default(DAEMON_STATE_DIR).describe('where fleet keeps the config hash and the log'),
});

export type DaemonArgs = z.output<typeof daemonSchema>;

function comm(a: DaemonArgs): string {
  return a.comm ?? path.posix.basename(a.command[0]!).slice(0, 15);
}

/** The hash of what the running process should have been started with: `fleet_daemon_hash`. */
function configHash(a: DaemonArgs): Shell {
  // Everything that, when changed, means the running process is not the wanted one.
  const cmdHash = sha256hex(JSON.stringify({ command: a.command, netns: a.netns ?? null, foreground: a.foreground, pidfile: a.pidfile }));
  return shellFunction(
    'fleet_daemon_hash',
    Shell.join([
      raw('  # the command line and the config files, as the running process should have them'),
      a.configFiles.length
        ? sh`  { echo ${cmdHash}; sha256sum -- ${a.configFiles} 2>&1; } | sha256sum | cut -d' ' -f1`
        : sh`  echo ${cmdHash} | sha256sum | cut -d' ' -f1`,
    ]),
  );
}

/**
 * `fleet_daemon_pid`: the pid when the pidfile names a live process of ours. Ours: /proc/PID/comm
 * is the expected name, not a zombie, in `netns` when given, and, when fleet recorded starting
 * that pid (`started`: `PID START`), the kernel's start time (/proc/PID/stat field 22) is still
 * the recorded one, so a pid reused after the daemon died never reads as the daemon.
 */
function pidOf(a: DaemonArgs, started: string): Shell {
  const stat = shellFunction(
    'fleet_daemon_stat',
    Shell.join([
      raw('  # prints the state (field 3) and the start time (field 22) of /proc/$1/stat; comm may hold spaces'),
      raw('  fleet_st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1'),
      raw('  fleet_st=${fleet_st##*) }'),
      raw('  set -f; set -- $fleet_st; set +f'),
      raw('  echo "$1 ${20}"'),
    ]),
  );
  const pid = shellFunction(
    'fleet_daemon_pid',
    Shell.join([
      raw('  # prints the pid when the pidfile names a live process of ours; status 1 otherwise'),
      sh`  [ -s ${a.pidfile} ] || return 1`,
      sh`  fleet_p=$(cat ${a.pidfile} 2>/dev/null) || return 1`,
      raw('  fleet_p=${fleet_p%%[!0-9]*}'),
      raw(`  case $fleet_p in ''|0*) return 1 ;; esac`),
      sh`  [ "$(cat /proc/$fleet_p/comm 2>/dev/null)" = ${comm(a)} ] || return 1`,
      raw('  fleet_s=$(fleet_daemon_stat "$fleet_p") || return 1'),
      raw(`  case $fleet_s in Z\\ *|'') return 1 ;; esac`),
      sh`  if [ -f ${started} ] && read -r fleet_rp fleet_rs < ${started} && [ "$fleet_rp" = "$fleet_p" ]; then`,
      raw('    [ "$fleet_rs" = "${fleet_s#* }" ] || return 1'),
      raw('  fi'),
      ...(a.netns
        ? [sh`  [ "$(stat -L -c %i /proc/$fleet_p/ns/net 2>/dev/null)" = "$(stat -L -c %i ${netnsPath(a.netns)} 2>/dev/null)" ] || return 1`]
        : []),
      raw('  echo "$fleet_p"'),
    ]),
  );
  return Shell.join([stat, pid]);
}

/** The pidfile model's helpers (stop and start act only on a pid that passed fleet_daemon_pid). */
function pidfileHelpers(a: DaemonArgs, hash: Shell): Shell {
  const hashFile = `${a.stateDir}/${a.name}.confhash`;
  const logFile = `${a.stateDir}/${a.name}.log`;
  const started = `${a.stateDir}/${a.name}.started`;
  const stop = shellFunction(
    'fleet_daemon_stop',
    Shell.join([
      raw('  fleet_p=$(fleet_daemon_pid) || return 0'),
      raw('  kill -TERM "$fleet_p" 2>/dev/null'),
      raw('  fleet_i=0'),
      raw('  while [ $fleet_i -lt 50 ] && fleet_daemon_pid >/dev/null; do sleep 0.1; fleet_i=$((fleet_i + 1)); done'),
      raw('  if fleet_daemon_pid >/dev/null; then kill -KILL "$fleet_p" 2>/dev/null; sleep 0.2; fi'),
      sh`  if fleet_daemon_pid >/dev/null; then echo ${`fleet: ${a.name} (pid`} "$fleet_p) did not stop" >&2; return 1; fi`,
      sh`  rm -f ${a.pidfile} ${started}`,
    ]),
  );
  const exec = sh`${nsExec(a.netns)}${a.foreground ? raw('setsid ') : raw('')}${a.command}`;
  const start = shellFunction(
    'fleet_daemon_start',
    Shell.join([
      sh`  mkdir -p ${a.stateDir} ${path.posix.dirname(a.pidfile)} || return`,
      raw('  fleet_want=$(fleet_daemon_hash) || return'),
      sh`  rm -f ${a.pidfile} ${started}`,
      a.foreground
        ? sh`  ${exec} </dev/null >>${logFile} 2>&1 &\n  echo $! > ${a.pidfile} || return`
        : sh`  ${exec} </dev/null >>${logFile} 2>&1 || { tail -n 5 ${logFile} >&2; return 1; }`,
      raw('  fleet_i=0'),
      raw('  until fleet_p=$(fleet_daemon_pid); do'),
      raw('    fleet_i=$((fleet_i + 1))'),
      sh`    if [ $fleet_i -gt 50 ]; then echo ${`fleet: ${a.name} did not start (log: ${logFile})`} >&2; tail -n 5 ${logFile} >&2; return 1; fi`,
      raw('    sleep 0.1'),
      raw('  done'),
      raw('  fleet_s=$(fleet_daemon_stat "$fleet_p") || return'),
      sh`  printf '%s %s\\n' "$fleet_p" "\${fleet_s#* }" > ${started} || return`,
      sh`  printf '%s\\n' "$fleet_want" > ${hashFile}`,
    ]),
  );
  return Shell.join([
    raw(`fleet_hashfile=${quote(hashFile)}`),
    pidOf(a, started),
    hash,
    shellFunction('fleet_daemon_running', raw('  fleet_daemon_pid >/dev/null')),
    stop,
    start,
    shellFunction('fleet_daemon_undo', raw('  fleet_daemon_stop && rm -f "$fleet_hashfile"')),
    shellFunction('fleet_daemon_mainpid', raw('  fleet_daemon_pid')),
  ]);
}

function spec(a: DaemonArgs) {
  const systemd = a.systemdUnit !== undefined;
  const hash = configHash(a);
  /** The helpers for this host's model: systemd when the unit is set and systemd runs. */
  const pidModel = pidfileHelpers(a, hash);
  const helpers = (): Shell =>
    systemd ? Shell.join([raw('if [ -d /run/systemd/system ]; then'), systemdHelpers(a, hash), raw('else'), pidModel, raw('fi')]) : pidModel;

  const check = Shell.join([
    helpers(),
    shellFunction(
      'fleet_daemon_check',
      Shell.join([
        sh`  fleet_daemon_running || { echo ${`${a.name} is not running`}; return 1; }`,
        raw('  fleet_want=$(fleet_daemon_hash) || return 2'),
        raw('  [ "$(cat "$fleet_hashfile" 2>/dev/null)" = "$fleet_want" ] && return 0'),
        sh`  echo ${`${a.name} runs with an older configuration or command line`}; return 1`,
      ]),
    ),
    raw('fleet_daemon_check'),
  ]);

  const apply = Shell.join([
    helpers(),
    raw('if fleet_daemon_running; then'),
    raw('  echo running > "$FLEET_STATE/daemon.was" && fleet_daemon_stop && fleet_daemon_start'),
    raw('else'),
    raw('  echo stopped > "$FLEET_STATE/daemon.was" && fleet_daemon_stop && fleet_daemon_start'),
    raw('fi'),
  ]);

  // The deferred restart: self-contained (no $FLEET_STATE), one subshell.
  const restart = Shell.join([raw('('), helpers(), raw('fleet_daemon_stop && fleet_daemon_start'), raw(')')]);

  const revert = Shell.join([
    raw('if [ ! -f "$FLEET_STATE/daemon.was" ]; then'),
    raw('  true'),
    raw('elif [ "$(cat "$FLEET_STATE/daemon.was")" = running ]; then'),
    sh`  printf '%s\\n' ${restart.text} >> "$FLEET_DEFER"`,
    raw('else'),
    helpers(),
    raw('  fleet_daemon_stop && rm -f "$fleet_hashfile"'),
    raw('fi'),
  ]);

  const undo = Shell.join([helpers(), raw('fleet_daemon_undo')]);
  // The pid of the running process, found exactly as the check finds it.
  const live = Shell.join([helpers(), raw('fleet_daemon_running && fleet_daemon_mainpid')]);
  return { check, apply, revert, undo, live };
}

/**
 * The systemd model's helpers, the same names as the pidfile model's. `fleet_daemon_undo` is the
 * teardown (see the module's comment for why the boot down script must never wait for systemd).
 */
function systemdHelpers(a: DaemonArgs, hash: Shell): Shell {
  const unit = a.systemdUnit!;
  const hashFile = `${SYSTEMD_DAEMON_STATE_DIR}/${a.name}.confhash`;
  const journalTail = sh`journalctl -u ${unit} -n 5 --no-pager -o cat >&2`;
  return Shell.join([
    sh`fleet_hashfile=${hashFile}`,
    hash,
    shellFunction('fleet_daemon_running', sh`  systemctl is-active --quiet ${unit}`),
    shellFunction('fleet_daemon_mainpid', sh`  systemctl show -p MainPID --value ${unit} </dev/null`),
    shellFunction('fleet_daemon_stop', sh`  if systemctl is-active --quiet ${unit}; then systemctl stop ${unit} </dev/null; fi`),
    // A changed unit file or drop-in is read only after a daemon-reload.
    shellFunction('fleet_daemon_reload', sh`  if [ "$(systemctl show -p NeedDaemonReload --value ${unit})" = yes ]; then systemctl daemon-reload </dev/null; fi`),
    shellFunction(
      'fleet_daemon_start',
      Shell.join([
        sh`  mkdir -p ${SYSTEMD_DAEMON_STATE_DIR} || return`,
        raw('  fleet_want=$(fleet_daemon_hash) || return'),
        raw('  fleet_daemon_reload || return'),
        sh`  systemctl restart ${unit} </dev/null || { ${journalTail}; return 1; }`,
        raw(`  printf '%s\\n' "$fleet_want" > "$fleet_hashfile"`),
      ]),
    ),
    shellFunction(
      'fleet_daemon_undo',
      Shell.join([
        // The boot down script keeps the recorded hash: the unit starts again at boot from the same
        // files, so what it runs with stays true across the reboot.
        raw('  if [ -z "${FLEET_DEFER:-}" ]; then'),
        a.packaged ? raw('    :') : sh`    systemctl --no-block stop ${unit} </dev/null 2>/dev/null; true`,
        raw('  else'),
        raw('    rm -f "$fleet_hashfile" || return'),
        a.packaged
          ? // The package's own state: started without fleet's files. On a host where the package's
            // defaults cannot start (dnsmasq beside systemd-resolved) that is a failed unit, as on a
            // fresh install: not a failed teardown.
            sh`    printf '%s\\n' ${`systemctl daemon-reload </dev/null; if systemctl is-enabled --quiet ${unit}; then systemctl restart ${unit} </dev/null || true; fi`} >> "$FLEET_DEFER"`
          : raw('    fleet_daemon_stop'),
        raw('  fi'),
      ]),
    ),
  ]);
}

const identity = (a: DaemonArgs): string => a.name;

export const daemon = defineModule({
  name: 'daemon',
  runtime: true,
  schema: daemonSchema,
  identity,
  render(a) {
    const s = spec(a);
    const r: ResourceBody = {
      title: `daemon ${a.name}: ${a.command.map(quote).join(' ')}${inNetns(a.netns)}`,
      check: s.check,
      apply: s.apply,
      revert: s.revert,
      undo: s.undo,
      live: s.live,
    };
    if (a.configFiles.length) r.watches = a.configFiles.map((f) => `file:${f}`);
    if (a.systemdUnit) r.unit = a.systemdUnit;
    return r;
  },
});
