import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ModuleArgsError } from '../errors.js';
import { raw } from '../shell/sh.js';
import { renderResource } from './index.js';
import { runWithFakes } from './testing.js';

const dnsmasq = {
  name: 'dnsmasq',
  command: ['dnsmasq', '--conf-file=/etc/dnsmasq.d/internal.conf', '--pid-file=/run/fleet/dnsmasq.pid'],
  pidfile: '/run/fleet/dnsmasq.pid',
  configFiles: ['/etc/dnsmasq.d/internal.conf'],
};

describe('daemon rendering', () => {
  test('pidfile model', () => {
    const r = renderResource('daemon', dnsmasq);
    expect(r.id).toBe('daemon:dnsmasq');
    expect(r.title).toBe('daemon dnsmasq: dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf --pid-file=/run/fleet/dnsmasq.pid');
    expect(r.watches).toEqual(['file:/etc/dnsmasq.d/internal.conf']);
    expect(r.check.text).toMatchInlineSnapshot(`
      "fleet_hashfile=/run/fleet/daemons/dnsmasq.confhash
      fleet_daemon_pid() {
        # prints the pid when the pidfile names a live process of ours; status 1 otherwise
        [ -s /run/fleet/dnsmasq.pid ] || return 1
        fleet_p=$(cat /run/fleet/dnsmasq.pid 2>/dev/null) || return 1
        fleet_p=\${fleet_p%%[!0-9]*}
        case $fleet_p in ''|0*) return 1 ;; esac
        [ "$(cat /proc/$fleet_p/comm 2>/dev/null)" = dnsmasq ] || return 1
        [ "$(awk '/^State:/ { print $2 }' /proc/$fleet_p/status 2>/dev/null)" != Z ] || return 1
        echo "$fleet_p"
      }
      fleet_daemon_hash() {
        # the command line and the config files, as the running process should have them
        { echo f1ad71c13b3aa6b66d5580f7cc4f95059c3cc58300359c20663b687eced51fbe; sha256sum -- /etc/dnsmasq.d/internal.conf 2>&1; } | sha256sum | cut -d' ' -f1
      }
      fleet_daemon_running() {
        fleet_daemon_pid >/dev/null
      }
      fleet_daemon_stop() {
        fleet_p=$(fleet_daemon_pid) || return 0
        kill -TERM "$fleet_p" 2>/dev/null
        fleet_i=0
        while [ $fleet_i -lt 50 ] && fleet_daemon_pid >/dev/null; do sleep 0.1; fleet_i=$((fleet_i + 1)); done
        if fleet_daemon_pid >/dev/null; then kill -KILL "$fleet_p" 2>/dev/null; sleep 0.2; fi
        if fleet_daemon_pid >/dev/null; then echo 'fleet: dnsmasq (pid' "$fleet_p) did not stop" >&2; return 1; fi
        rm -f /run/fleet/dnsmasq.pid
      }
      fleet_daemon_start() {
        mkdir -p /run/fleet/daemons /run/fleet || return
        fleet_want=$(fleet_daemon_hash) || return
        rm -f /run/fleet/dnsmasq.pid
        dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf --pid-file=/run/fleet/dnsmasq.pid </dev/null >>/run/fleet/daemons/dnsmasq.log 2>&1 || { tail -n 5 /run/fleet/daemons/dnsmasq.log >&2; return 1; }
        fleet_i=0
        until fleet_daemon_pid >/dev/null; do
          fleet_i=$((fleet_i + 1))
          if [ $fleet_i -gt 50 ]; then echo 'fleet: dnsmasq did not start (log: /run/fleet/daemons/dnsmasq.log)' >&2; tail -n 5 /run/fleet/daemons/dnsmasq.log >&2; return 1; fi
          sleep 0.1
        done
        printf '%s\\n' "$fleet_want" > /run/fleet/daemons/dnsmasq.confhash
      }
      fleet_daemon_undo() {
        fleet_daemon_stop && rm -f "$fleet_hashfile"
      }
      fleet_daemon_mainpid() {
        fleet_daemon_pid
      }
      fleet_daemon_check() {
        fleet_daemon_running || { echo 'dnsmasq is not running'; return 1; }
        fleet_want=$(fleet_daemon_hash) || return 2
        [ "$(cat "$fleet_hashfile" 2>/dev/null)" = "$fleet_want" ] && return 0
        echo 'dnsmasq runs with an older configuration or command line'; return 1
      }
      fleet_daemon_check"
    `);
    expect(r.apply.text).toMatchInlineSnapshot(`
      "fleet_hashfile=/run/fleet/daemons/dnsmasq.confhash
      fleet_daemon_pid() {
        # prints the pid when the pidfile names a live process of ours; status 1 otherwise
        [ -s /run/fleet/dnsmasq.pid ] || return 1
        fleet_p=$(cat /run/fleet/dnsmasq.pid 2>/dev/null) || return 1
        fleet_p=\${fleet_p%%[!0-9]*}
        case $fleet_p in ''|0*) return 1 ;; esac
        [ "$(cat /proc/$fleet_p/comm 2>/dev/null)" = dnsmasq ] || return 1
        [ "$(awk '/^State:/ { print $2 }' /proc/$fleet_p/status 2>/dev/null)" != Z ] || return 1
        echo "$fleet_p"
      }
      fleet_daemon_hash() {
        # the command line and the config files, as the running process should have them
        { echo f1ad71c13b3aa6b66d5580f7cc4f95059c3cc58300359c20663b687eced51fbe; sha256sum -- /etc/dnsmasq.d/internal.conf 2>&1; } | sha256sum | cut -d' ' -f1
      }
      fleet_daemon_running() {
        fleet_daemon_pid >/dev/null
      }
      fleet_daemon_stop() {
        fleet_p=$(fleet_daemon_pid) || return 0
        kill -TERM "$fleet_p" 2>/dev/null
        fleet_i=0
        while [ $fleet_i -lt 50 ] && fleet_daemon_pid >/dev/null; do sleep 0.1; fleet_i=$((fleet_i + 1)); done
        if fleet_daemon_pid >/dev/null; then kill -KILL "$fleet_p" 2>/dev/null; sleep 0.2; fi
        if fleet_daemon_pid >/dev/null; then echo 'fleet: dnsmasq (pid' "$fleet_p) did not stop" >&2; return 1; fi
        rm -f /run/fleet/dnsmasq.pid
      }
      fleet_daemon_start() {
        mkdir -p /run/fleet/daemons /run/fleet || return
        fleet_want=$(fleet_daemon_hash) || return
        rm -f /run/fleet/dnsmasq.pid
        dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf --pid-file=/run/fleet/dnsmasq.pid </dev/null >>/run/fleet/daemons/dnsmasq.log 2>&1 || { tail -n 5 /run/fleet/daemons/dnsmasq.log >&2; return 1; }
        fleet_i=0
        until fleet_daemon_pid >/dev/null; do
          fleet_i=$((fleet_i + 1))
          if [ $fleet_i -gt 50 ]; then echo 'fleet: dnsmasq did not start (log: /run/fleet/daemons/dnsmasq.log)' >&2; tail -n 5 /run/fleet/daemons/dnsmasq.log >&2; return 1; fi
          sleep 0.1
        done
        printf '%s\\n' "$fleet_want" > /run/fleet/daemons/dnsmasq.confhash
      }
      fleet_daemon_undo() {
        fleet_daemon_stop && rm -f "$fleet_hashfile"
      }
      fleet_daemon_mainpid() {
        fleet_daemon_pid
      }
      if fleet_daemon_running; then
        echo running > "$FLEET_STATE/daemon.was" && fleet_daemon_stop && fleet_daemon_start
      else
        echo stopped > "$FLEET_STATE/daemon.was" && fleet_daemon_stop && fleet_daemon_start
      fi"
    `);
    expect(r.revert.text).toMatchInlineSnapshot(`
      "if [ ! -f "$FLEET_STATE/daemon.was" ]; then
        true
      elif [ "$(cat "$FLEET_STATE/daemon.was")" = running ]; then
        printf '%s\\n' '(
      fleet_hashfile=/run/fleet/daemons/dnsmasq.confhash
      fleet_daemon_pid() {
        # prints the pid when the pidfile names a live process of ours; status 1 otherwise
        [ -s /run/fleet/dnsmasq.pid ] || return 1
        fleet_p=$(cat /run/fleet/dnsmasq.pid 2>/dev/null) || return 1
        fleet_p=\${fleet_p%%[!0-9]*}
        case $fleet_p in '\\'''\\''|0*) return 1 ;; esac
        [ "$(cat /proc/$fleet_p/comm 2>/dev/null)" = dnsmasq ] || return 1
        [ "$(awk '\\''/^State:/ { print $2 }'\\'' /proc/$fleet_p/status 2>/dev/null)" != Z ] || return 1
        echo "$fleet_p"
      }
      fleet_daemon_hash() {
        # the command line and the config files, as the running process should have them
        { echo f1ad71c13b3aa6b66d5580f7cc4f95059c3cc58300359c20663b687eced51fbe; sha256sum -- /etc/dnsmasq.d/internal.conf 2>&1; } | sha256sum | cut -d'\\'' '\\'' -f1
      }
      fleet_daemon_running() {
        fleet_daemon_pid >/dev/null
      }
      fleet_daemon_stop() {
        fleet_p=$(fleet_daemon_pid) || return 0
        kill -TERM "$fleet_p" 2>/dev/null
        fleet_i=0
        while [ $fleet_i -lt 50 ] && fleet_daemon_pid >/dev/null; do sleep 0.1; fleet_i=$((fleet_i + 1)); done
        if fleet_daemon_pid >/dev/null; then kill -KILL "$fleet_p" 2>/dev/null; sleep 0.2; fi
        if fleet_daemon_pid >/dev/null; then echo '\\''fleet: dnsmasq (pid'\\'' "$fleet_p) did not stop" >&2; return 1; fi
        rm -f /run/fleet/dnsmasq.pid
      }
      fleet_daemon_start() {
        mkdir -p /run/fleet/daemons /run/fleet || return
        fleet_want=$(fleet_daemon_hash) || return
        rm -f /run/fleet/dnsmasq.pid
        dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf --pid-file=/run/fleet/dnsmasq.pid </dev/null >>/run/fleet/daemons/dnsmasq.log 2>&1 || { tail -n 5 /run/fleet/daemons/dnsmasq.log >&2; return 1; }
        fleet_i=0
        until fleet_daemon_pid >/dev/null; do
          fleet_i=$((fleet_i + 1))
          if [ $fleet_i -gt 50 ]; then echo '\\''fleet: dnsmasq did not start (log: /run/fleet/daemons/dnsmasq.log)'\\'' >&2; tail -n 5 /run/fleet/daemons/dnsmasq.log >&2; return 1; fi
          sleep 0.1
        done
        printf '\\''%s\\n'\\'' "$fleet_want" > /run/fleet/daemons/dnsmasq.confhash
      }
      fleet_daemon_undo() {
        fleet_daemon_stop && rm -f "$fleet_hashfile"
      }
      fleet_daemon_mainpid() {
        fleet_daemon_pid
      }
      fleet_daemon_stop && fleet_daemon_start
      )' >> "$FLEET_DEFER"
      else
      fleet_hashfile=/run/fleet/daemons/dnsmasq.confhash
      fleet_daemon_pid() {
        # prints the pid when the pidfile names a live process of ours; status 1 otherwise
        [ -s /run/fleet/dnsmasq.pid ] || return 1
        fleet_p=$(cat /run/fleet/dnsmasq.pid 2>/dev/null) || return 1
        fleet_p=\${fleet_p%%[!0-9]*}
        case $fleet_p in ''|0*) return 1 ;; esac
        [ "$(cat /proc/$fleet_p/comm 2>/dev/null)" = dnsmasq ] || return 1
        [ "$(awk '/^State:/ { print $2 }' /proc/$fleet_p/status 2>/dev/null)" != Z ] || return 1
        echo "$fleet_p"
      }
      fleet_daemon_hash() {
        # the command line and the config files, as the running process should have them
        { echo f1ad71c13b3aa6b66d5580f7cc4f95059c3cc58300359c20663b687eced51fbe; sha256sum -- /etc/dnsmasq.d/internal.conf 2>&1; } | sha256sum | cut -d' ' -f1
      }
      fleet_daemon_running() {
        fleet_daemon_pid >/dev/null
      }
      fleet_daemon_stop() {
        fleet_p=$(fleet_daemon_pid) || return 0
        kill -TERM "$fleet_p" 2>/dev/null
        fleet_i=0
        while [ $fleet_i -lt 50 ] && fleet_daemon_pid >/dev/null; do sleep 0.1; fleet_i=$((fleet_i + 1)); done
        if fleet_daemon_pid >/dev/null; then kill -KILL "$fleet_p" 2>/dev/null; sleep 0.2; fi
        if fleet_daemon_pid >/dev/null; then echo 'fleet: dnsmasq (pid' "$fleet_p) did not stop" >&2; return 1; fi
        rm -f /run/fleet/dnsmasq.pid
      }
      fleet_daemon_start() {
        mkdir -p /run/fleet/daemons /run/fleet || return
        fleet_want=$(fleet_daemon_hash) || return
        rm -f /run/fleet/dnsmasq.pid
        dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf --pid-file=/run/fleet/dnsmasq.pid </dev/null >>/run/fleet/daemons/dnsmasq.log 2>&1 || { tail -n 5 /run/fleet/daemons/dnsmasq.log >&2; return 1; }
        fleet_i=0
        until fleet_daemon_pid >/dev/null; do
          fleet_i=$((fleet_i + 1))
          if [ $fleet_i -gt 50 ]; then echo 'fleet: dnsmasq did not start (log: /run/fleet/daemons/dnsmasq.log)' >&2; tail -n 5 /run/fleet/daemons/dnsmasq.log >&2; return 1; fi
          sleep 0.1
        done
        printf '%s\\n' "$fleet_want" > /run/fleet/daemons/dnsmasq.confhash
      }
      fleet_daemon_undo() {
        fleet_daemon_stop && rm -f "$fleet_hashfile"
      }
      fleet_daemon_mainpid() {
        fleet_daemon_pid
      }
        fleet_daemon_stop && rm -f "$fleet_hashfile"
      fi"
    `);
    expect(r.undo.text).toMatchInlineSnapshot(`
      "fleet_hashfile=/run/fleet/daemons/dnsmasq.confhash
      fleet_daemon_pid() {
        # prints the pid when the pidfile names a live process of ours; status 1 otherwise
        [ -s /run/fleet/dnsmasq.pid ] || return 1
        fleet_p=$(cat /run/fleet/dnsmasq.pid 2>/dev/null) || return 1
        fleet_p=\${fleet_p%%[!0-9]*}
        case $fleet_p in ''|0*) return 1 ;; esac
        [ "$(cat /proc/$fleet_p/comm 2>/dev/null)" = dnsmasq ] || return 1
        [ "$(awk '/^State:/ { print $2 }' /proc/$fleet_p/status 2>/dev/null)" != Z ] || return 1
        echo "$fleet_p"
      }
      fleet_daemon_hash() {
        # the command line and the config files, as the running process should have them
        { echo f1ad71c13b3aa6b66d5580f7cc4f95059c3cc58300359c20663b687eced51fbe; sha256sum -- /etc/dnsmasq.d/internal.conf 2>&1; } | sha256sum | cut -d' ' -f1
      }
      fleet_daemon_running() {
        fleet_daemon_pid >/dev/null
      }
      fleet_daemon_stop() {
        fleet_p=$(fleet_daemon_pid) || return 0
        kill -TERM "$fleet_p" 2>/dev/null
        fleet_i=0
        while [ $fleet_i -lt 50 ] && fleet_daemon_pid >/dev/null; do sleep 0.1; fleet_i=$((fleet_i + 1)); done
        if fleet_daemon_pid >/dev/null; then kill -KILL "$fleet_p" 2>/dev/null; sleep 0.2; fi
        if fleet_daemon_pid >/dev/null; then echo 'fleet: dnsmasq (pid' "$fleet_p) did not stop" >&2; return 1; fi
        rm -f /run/fleet/dnsmasq.pid
      }
      fleet_daemon_start() {
        mkdir -p /run/fleet/daemons /run/fleet || return
        fleet_want=$(fleet_daemon_hash) || return
        rm -f /run/fleet/dnsmasq.pid
        dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf --pid-file=/run/fleet/dnsmasq.pid </dev/null >>/run/fleet/daemons/dnsmasq.log 2>&1 || { tail -n 5 /run/fleet/daemons/dnsmasq.log >&2; return 1; }
        fleet_i=0
        until fleet_daemon_pid >/dev/null; do
          fleet_i=$((fleet_i + 1))
          if [ $fleet_i -gt 50 ]; then echo 'fleet: dnsmasq did not start (log: /run/fleet/daemons/dnsmasq.log)' >&2; tail -n 5 /run/fleet/daemons/dnsmasq.log >&2; return 1; fi
          sleep 0.1
        done
        printf '%s\\n' "$fleet_want" > /run/fleet/daemons/dnsmasq.confhash
      }
      fleet_daemon_undo() {
        fleet_daemon_stop && rm -f "$fleet_hashfile"
      }
      fleet_daemon_mainpid() {
        fleet_daemon_pid
      }
      fleet_daemon_undo"
    `);
  });

  test('in a namespace, in the foreground: ip netns exec, setsid, fleet writes the pidfile', () => {
    const r = renderResource('daemon', {
      name: 'openvpn',
      command: ['openvpn', '--config', '/etc/openvpn/fleet-provider.conf'],
      pidfile: '/run/fleet/openvpn.pid',
      foreground: true,
      netns: 'vpn',
    });
    expect(r.apply.text).toContain(
      `ip netns exec vpn setsid openvpn --config /etc/openvpn/fleet-provider.conf </dev/null >>/run/fleet/daemons/openvpn.log 2>&1 &\n  echo $! > /run/fleet/openvpn.pid || return`,
    );
    expect(r.check.text).toContain(
      `[ "$(stat -L -c %i /proc/$fleet_p/ns/net 2>/dev/null)" = "$(stat -L -c %i /var/run/netns/vpn 2>/dev/null)" ] || return 1`,
    );
    expect(r.watches).toBeUndefined();
  });

  test('systemd model where systemd runs, pidfile model elsewhere', () => {
    const r = renderResource('daemon', { ...dnsmasq, systemdUnit: 'dnsmasq' });
    for (const f of [r.check, r.apply, r.undo]) {
      expect(f.text).toMatch(/^if \[ -d \/run\/systemd\/system \]; then\n/);
      expect(f.text).toContain('fleet_daemon_pid()');
    }
    expect(r.check.text).toContain('  systemctl is-active --quiet dnsmasq');
    expect(r.apply.text).toContain('  systemctl restart dnsmasq </dev/null || { journalctl -u dnsmasq -n 5 --no-pager -o cat >&2; return 1; }');
    expect(r.undo.text).toContain('  if systemctl is-active --quiet dnsmasq; then systemctl stop dnsmasq </dev/null; fi');
    // The unit starts by itself at boot from the files on disk: its hash is kept on disk too.
    expect(r.check.text).toContain('fleet_hashfile=/var/lib/fleet/daemons/dnsmasq.confhash\n');
    expect(r.check.text).toContain('fleet_hashfile=/run/fleet/daemons/dnsmasq.confhash\n');
  });

  test('systemd undo: a teardown stops the unit; the boot down script only asks, never waits', () => {
    const r = renderResource('daemon', { ...dnsmasq, systemdUnit: 'openvpn-client@x' });
    const undo = r.undo.text.slice(0, r.undo.text.indexOf('\nelse\n'));
    expect(undo).toContain(
      ['fleet_daemon_undo() {', '  rm -f "$fleet_hashfile" || return', '  if [ -z "${FLEET_DEFER:-}" ]; then', "    systemctl --no-block stop openvpn-client@x </dev/null 2>/dev/null; true", '  else', '    fleet_daemon_stop', '  fi', '}'].join('\n'),
    );
  });

  test('a packaged unit: a teardown restarts it after every other undo, the boot down script leaves it', () => {
    const r = renderResource('daemon', { ...dnsmasq, systemdUnit: 'dnsmasq', packaged: true });
    const undo = r.undo.text.slice(0, r.undo.text.indexOf('\nelse\n'));
    expect(undo).toContain(
      [
        '  if [ -z "${FLEET_DEFER:-}" ]; then',
        '    :',
        '  else',
        `    printf '%s\\n' 'systemctl daemon-reload </dev/null; if systemctl is-enabled --quiet dnsmasq; then systemctl restart dnsmasq </dev/null || true; fi' >> "$FLEET_DEFER"`,
        '  fi',
      ].join('\n'),
    );
    expect(undo.slice(undo.indexOf('fleet_daemon_undo() {'))).not.toContain('stop');
  });

  test('comm defaults to the basename of the program, cut to 15 characters', () => {
    const r = renderResource('daemon', { name: 'x', command: ['/usr/local/sbin/a-very-long-daemon-name', '-d'], pidfile: '/run/x.pid' });
    expect(r.check.text).toContain(`[ "$(cat /proc/$fleet_p/comm 2>/dev/null)" = a-very-long-dae ] || return 1`);
  });

  test('nothing is ever stopped by name', () => {
    const r = renderResource('daemon', { ...dnsmasq, systemdUnit: 'dnsmasq' });
    for (const f of [r.check, r.apply, r.revert, r.undo]) expect(f.text).not.toMatch(/pkill|killall|pidof|pgrep/);
  });
});

describe('daemon arguments', () => {
  test.each([
    [{ ...dnsmasq, name: 'a/b' }, /field name: /],
    [{ ...dnsmasq, command: [] }, /field command: expected the program and its arguments/],
    [{ ...dnsmasq, command: 'dnsmasq --conf-file=x' }, /field command: /],
    [{ ...dnsmasq, pidfile: 'dnsmasq.pid' }, /field pidfile: expected an absolute path/],
    [{ ...dnsmasq, configFiles: ['internal.conf'] }, /field configFiles\[0\]: expected an absolute path/],
    [{ ...dnsmasq, comm: 'a-name-longer-than-fifteen' }, /field comm: /],
    [{ ...dnsmasq, systemdUnit: 'dns masq' }, /field systemdUnit: /],
  ])('%j is rejected', (args, message) => {
    expect(() => renderResource('daemon', args)).toThrow(ModuleArgsError);
    expect(() => renderResource('daemon', args)).toThrow(message);
  });
});

// Check only (nothing is started or stopped here): a pidfile naming this test's own process.
describe('daemon check against /proc', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-daemon-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pidfile = path.join(dir, 'self.pid');
  const conf = path.join(dir, 'self.conf');
  const stateDir = path.join(dir, 'state');
  const args = { name: 'self', command: [process.execPath, 'x'], comm: 'node', pidfile, configFiles: [conf], stateDir };
  const r = renderResource('daemon', args);
  const hashNow = () => runWithFakes(raw(`${r.check.text.split('\nfleet_daemon_check() {')[0]}\nfleet_daemon_hash`), {}).stdout.trim();

  test('a live pid with the right name and the recorded hash: holds', () => {
    writeFileSync(conf, 'one\n');
    writeFileSync(pidfile, `${process.pid}\n`);
    runWithFakes(raw(`mkdir -p ${stateDir}`), {});
    writeFileSync(path.join(stateDir, 'self.confhash'), `${hashNow()}\n`);
    expect(hashNow()).toMatch(/^[0-9a-f]{64}$/);
    expect(runWithFakes(r.check, {}).code).toBe(0);
  });

  test('the config changed: does not hold', () => {
    writeFileSync(conf, 'two\n');
    const run = runWithFakes(r.check, {});
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('self runs with an older configuration or command line\n');
    writeFileSync(conf, 'one\n');
    expect(runWithFakes(r.check, {}).code).toBe(0);
  });

  test('the command line is part of the hash', () => {
    const other = renderResource('daemon', { ...args, command: [process.execPath, 'y'] });
    expect(runWithFakes(other.check, {}).code).toBe(1);
  });

  test('stale, foreign or garbage pidfiles: not running', () => {
    const other = renderResource('daemon', { ...args, comm: 'dnsmasq' });
    expect(runWithFakes(other.check, {}).stdout).toBe('self is not running\n');
    for (const content of ['', 'abc\n', '0\n', '-1\n', '4194304999\n']) {
      writeFileSync(pidfile, content);
      expect(runWithFakes(r.check, {}).code, JSON.stringify(content)).toBe(1);
    }
    rmSync(pidfile);
    expect(runWithFakes(r.check, {}).code).toBe(1);
  });

});
