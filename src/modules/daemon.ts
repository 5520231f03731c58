/**
 * daemon: a long-running process (dnsmasq, openvpn) runs with its current configuration.
 *
 * Two models, chosen on the host at run time:
 * - pidfile (hosts without systemd, such as the lab, where PID 1 is sshd): the process is known only
 *   by its pidfile. Every pid fleet acts on has passed `fleet_daemon_pid`: the pidfile holds a
 *   number, that process exists, is not a zombie, its /proc/PID/comm is the expected name (so a
 *   stale pidfile whose pid was reused by something else is "not running", and is never killed),
 *   and, with `netns`, it lives in that namespace. Nothing is ever found or killed by name.
 * - systemd (when /run/systemd/system exists and `systemdUnit` is set): `systemctl is-active`,
 *   `restart`, `stop`.
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
 * undo: stops it (by pidfile only) and removes the recorded hash.
 */
import path from 'node:path';
import { z } from 'zod';
import { Shell, quote, raw, sh } from '../shell/sh.js';
import { absPath } from '../types/net.js';
import { argToken, inNetns, netnsArg, netnsPath, nsExec, sha256hex, shellFunction } from './common.js';
import type { Module, Resource } from './types.js';

export const DAEMON_STATE_DIR = '/run/fleet/daemons';

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
  stateDir: absPath.default(DAEMON_STATE_DIR).describe('where fleet keeps the config hash and the log'),
});

export type DaemonArgs = z.output<typeof daemonSchema>;

function comm(a: DaemonArgs): string {
  return a.comm ?? path.posix.basename(a.command[0]!).slice(0, 15);
}

function spec(a: DaemonArgs) {
  const hashFile = `${a.stateDir}/${a.name}.confhash`;
  const logFile = `${a.stateDir}/${a.name}.log`;
  // Everything that, when changed, means the running process is not the wanted one.
  const cmdHash = sha256hex(JSON.stringify({ command: a.command, netns: a.netns ?? null, foreground: a.foreground, pidfile: a.pidfile }));
  const systemd = a.systemdUnit !== undefined;

  const pid = shellFunction(
    'fleet_daemon_pid',
    Shell.join([
      raw('  # prints the pid when the pidfile names a live process of ours; status 1 otherwise'),
      sh`  [ -s ${a.pidfile} ] || return 1`,
      sh`  fleet_p=$(cat ${a.pidfile} 2>/dev/null) || return 1`,
      raw('  fleet_p=${fleet_p%%[!0-9]*}'),
      raw(`  case $fleet_p in ''|0*) return 1 ;; esac`),
      sh`  [ "$(cat /proc/$fleet_p/comm 2>/dev/null)" = ${comm(a)} ] || return 1`,
      raw(`  [ "$(awk '/^State:/ { print $2 }' /proc/$fleet_p/status 2>/dev/null)" != Z ] || return 1`),
      ...(a.netns
        ? [sh`  [ "$(stat -L -c %i /proc/$fleet_p/ns/net 2>/dev/null)" = "$(stat -L -c %i ${netnsPath(a.netns)} 2>/dev/null)" ] || return 1`]
        : []),
      raw('  echo "$fleet_p"'),
    ]),
  );

  const hash = shellFunction(
    'fleet_daemon_hash',
    Shell.join([
      raw('  # the command line and the config files, as the running process should have them'),
      a.configFiles.length
        ? sh`  { echo ${cmdHash}; sha256sum -- ${a.configFiles} 2>&1; } | sha256sum | cut -d' ' -f1`
        : sh`  echo ${cmdHash} | sha256sum | cut -d' ' -f1`,
    ]),
  );

  const stop = shellFunction(
    'fleet_daemon_stop',
    Shell.join([
      raw('  fleet_p=$(fleet_daemon_pid) || return 0'),
      raw('  kill -TERM "$fleet_p" 2>/dev/null'),
      raw('  fleet_i=0'),
      raw('  while [ $fleet_i -lt 50 ] && fleet_daemon_pid >/dev/null; do sleep 0.1; fleet_i=$((fleet_i + 1)); done'),
      raw('  if fleet_daemon_pid >/dev/null; then kill -KILL "$fleet_p" 2>/dev/null; sleep 0.2; fi'),
      sh`  if fleet_daemon_pid >/dev/null; then echo ${`fleet: ${a.name} (pid`} "$fleet_p) did not stop" >&2; return 1; fi`,
      sh`  rm -f ${a.pidfile}`,
    ]),
  );

  const exec = sh`${nsExec(a.netns)}${a.foreground ? raw('setsid ') : raw('')}${a.command}`;
  const start = shellFunction(
    'fleet_daemon_start',
    Shell.join([
      sh`  mkdir -p ${a.stateDir} ${path.posix.dirname(a.pidfile)} || return`,
      raw('  fleet_want=$(fleet_daemon_hash) || return'),
      sh`  rm -f ${a.pidfile}`,
      a.foreground
        ? sh`  ${exec} </dev/null >>${logFile} 2>&1 &\n  echo $! > ${a.pidfile} || return`
        : sh`  ${exec} </dev/null >>${logFile} 2>&1 || { tail -n 5 ${logFile} >&2; return 1; }`,
      raw('  fleet_i=0'),
      raw('  until fleet_daemon_pid >/dev/null; do'),
      raw('    fleet_i=$((fleet_i + 1))'),
      sh`    if [ $fleet_i -gt 50 ]; then echo ${`fleet: ${a.name} did not start (log: ${logFile})`} >&2; tail -n 5 ${logFile} >&2; return 1; fi`,
      raw('    sleep 0.1'),
      raw('  done'),
      sh`  printf '%s\\n' "$fleet_want" > ${hashFile}`,
    ]),
  );

  const unit = a.systemdUnit ?? '';
  const sdStart = shellFunction(
    'fleet_daemon_start',
    Shell.join([
      sh`  mkdir -p ${a.stateDir} || return`,
      raw('  fleet_want=$(fleet_daemon_hash) || return'),
      sh`  systemctl restart ${unit} </dev/null || return`,
      sh`  printf '%s\\n' "$fleet_want" > ${hashFile}`,
    ]),
  );
  const sdStop = shellFunction(
    'fleet_daemon_stop',
    sh`  if systemctl is-active --quiet ${unit}; then systemctl stop ${unit} </dev/null; fi`,
  );
  const sdRunning = shellFunction('fleet_daemon_running', sh`  systemctl is-active --quiet ${unit}`);
  const pidRunning = shellFunction('fleet_daemon_running', raw('  fleet_daemon_pid >/dev/null'));

  /** The helpers for this host's model: systemd when the unit is set and systemd runs. */
  const helpers = (): Shell => {
    const pidModel = Shell.join([pid, hash, pidRunning, stop, start]);
    if (!systemd) return pidModel;
    return Shell.join([
      raw('if [ -d /run/systemd/system ]; then'),
      Shell.join([hash, sdRunning, sdStop, sdStart]),
      raw('else'),
      pidModel,
      raw('fi'),
    ]);
  };

  const check = Shell.join([
    helpers(),
    shellFunction(
      'fleet_daemon_check',
      Shell.join([
        sh`  fleet_daemon_running || { echo ${`${a.name} is not running`}; return 1; }`,
        raw('  fleet_want=$(fleet_daemon_hash) || return 2'),
        sh`  [ "$(cat ${hashFile} 2>/dev/null)" = "$fleet_want" ] && return 0`,
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
    sh`  fleet_daemon_stop && rm -f ${hashFile}`,
    raw('fi'),
  ]);

  const undo = Shell.join([helpers(), sh`fleet_daemon_stop && rm -f ${hashFile}`]);
  // The pid of the running process, found exactly as the check finds it.
  const live = systemd
    ? Shell.join([
        raw('if [ -d /run/systemd/system ]; then'),
        sdRunning,
        sh`  fleet_daemon_running && systemctl show -p MainPID --value ${unit} </dev/null`,
        raw('else'),
        pid,
        raw('  fleet_daemon_pid'),
        raw('fi'),
      ])
    : Shell.join([pid, raw('fleet_daemon_pid')]);
  return { check, apply, revert, undo, live };
}

const identity = (a: DaemonArgs): string => a.name;

export const daemon = {
  name: 'daemon',
  schema: daemonSchema,
  identity,
  render(a): Resource {
    const s = spec(a);
    const r: Resource = {
      id: `daemon:${identity(a)}`,
      runtime: true,
      module: 'daemon',
      title: `daemon ${a.name}: ${a.command.map(quote).join(' ')}${inNetns(a.netns)}`,
      check: s.check,
      apply: s.apply,
      revert: s.revert,
      undo: s.undo,
      live: s.live,
    };
    if (a.configFiles.length) r.watches = a.configFiles.map((f) => `file:${f}`);
    return r;
  },
} satisfies Module<DaemonArgs>;
