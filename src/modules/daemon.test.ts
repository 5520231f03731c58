import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  test('pidfile model: a read-only check, apply records what it found, revert defers a restart, undo stops by pidfile', () => {
    const r = renderResource('daemon', dnsmasq);
    expect(r.id).toBe('daemon:dnsmasq');
    expect(r.title).toBe('daemon dnsmasq: dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf --pid-file=/run/fleet/dnsmasq.pid');
    expect(r.watches).toEqual(['file:/etc/dnsmasq.d/internal.conf']);
    expect(r.runtime).toBe(true);
    // the check: running (name, start time) and the recorded hash of the command line and config
    const check = r.check.text;
    expect(check).toContain('[ "$(cat /proc/$fleet_p/comm 2>/dev/null)" = dnsmasq ] || return 1');
    expect(check).toContain('if [ -f /run/fleet/daemons/dnsmasq.started ] && read -r fleet_rp fleet_rs < /run/fleet/daemons/dnsmasq.started');
    expect(check).toContain('sha256sum -- /etc/dnsmasq.d/internal.conf');
    expect(check).toContain('fleet_hashfile=/run/fleet/daemons/dnsmasq.confhash');
    expect(check.trimEnd().endsWith('\nfleet_daemon_check')).toBe(true);
    // apply: what it was is recorded before anything is stopped, and it always (re)starts
    const apply = r.apply.text.slice(r.apply.text.indexOf('if fleet_daemon_running; then'));
    expect(apply).toBe(
      [
        'if fleet_daemon_running; then',
        '  echo running > "$FLEET_STATE/daemon.was" && fleet_daemon_stop && fleet_daemon_start',
        'else',
        '  echo stopped > "$FLEET_STATE/daemon.was" && fleet_daemon_stop && fleet_daemon_start',
        'fi',
      ].join('\n'),
    );
    // revert: a daemon that ran is restarted once every step is reverted (its old config is back then)
    expect(r.revert.text).toMatch(/elif \[ "\$\(cat "\$FLEET_STATE\/daemon\.was"\)" = running \]; then\n {2}printf '%s\\n' '\([\s\S]*fleet_daemon_stop && fleet_daemon_start\n\)' >> "\$FLEET_DEFER"\nelse/);
    expect(r.revert.text).toContain('  fleet_daemon_stop && rm -f "$fleet_hashfile"\nfi');
    // undo: by pidfile only
    expect(r.undo.text.trimEnd().endsWith('fleet_daemon_undo')).toBe(true);
    expect(r.undo.text).toContain('fleet_daemon_undo() {\n  fleet_daemon_stop && rm -f "$fleet_hashfile"\n}');
    // the start records the pid with its start time, after the hash is computed and before the hash is written
    expect(r.apply.text).toMatch(/rm -f \/run\/fleet\/dnsmasq\.pid \/run\/fleet\/daemons\/dnsmasq\.started\n[\s\S]*printf '%s %s\\n' "\$fleet_p" "\$\{fleet_s#\* \}" > \/run\/fleet\/daemons\/dnsmasq\.started/);
  });

  test('in a namespace, in the foreground: ip netns exec, setsid, fleet writes the pidfile', () => {
    const r = renderResource('daemon', {
      name: 'openvpn',
      command: ['openvpn', '--config', '/etc/openvpn/client/fleet-provider.conf'],
      pidfile: '/run/fleet/openvpn.pid',
      foreground: true,
      netns: 'vpn',
    });
    expect(r.apply.text).toContain(
      `ip netns exec vpn setsid openvpn --config /etc/openvpn/client/fleet-provider.conf </dev/null >>/run/fleet/daemons/openvpn.log 2>&1 &\n  echo $! > /run/fleet/openvpn.pid || return`,
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
      ['  if [ -z "${FLEET_DEFER:-}" ]; then', "    systemctl --no-block stop openvpn-client@x </dev/null 2>/dev/null; true", '  else', '    rm -f "$fleet_hashfile" || return', '    fleet_daemon_stop', '  fi', '}'].join('\n'),
    );
  });

  test('the boot down script keeps the recorded hash: the unit starts again at boot from the same files', () => {
    const r = renderResource('daemon', { ...dnsmasq, systemdUnit: 'openvpn-client@x' });
    const undo = r.undo.text.slice(0, r.undo.text.indexOf('\nelse\n'));
    const boot = undo.slice(undo.indexOf('  if [ -z "${FLEET_DEFER:-}" ]; then'), undo.indexOf('\n  else\n', undo.indexOf('fleet_daemon_undo() {')));
    expect(boot).toContain('--no-block stop');
    expect(boot).not.toContain('fleet_hashfile');
  });

  test('a packaged unit: a teardown restarts it after every other undo, the boot down script leaves it', () => {
    const r = renderResource('daemon', { ...dnsmasq, systemdUnit: 'dnsmasq', packaged: true });
    const undo = r.undo.text.slice(0, r.undo.text.indexOf('\nelse\n'));
    expect(undo).toContain(
      [
        '  if [ -z "${FLEET_DEFER:-}" ]; then',
        '    :',
        '  else',
        '    rm -f "$fleet_hashfile" || return',
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

  // /proc/PID/stat field 22 (the start time in clock ticks); comm, field 2, may hold spaces.
  const startTime = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[19]!;

  test('a recorded start time that is not the process\'s: the pid was reused, not running (status agrees)', () => {
    writeFileSync(pidfile, `${process.pid}\n`);
    const started = path.join(stateDir, 'self.started');
    // fleet started pid P at a time the process now called P did not start at: a dead daemon's pid, reused
    writeFileSync(started, `${process.pid} 1\n`);
    const run = runWithFakes(r.check, {});
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('self is not running\n');
    expect(runWithFakes(r.live!, {}).stdout).toBe('');
    // the start time fleet recorded for this very process: running, and status reads its pid
    writeFileSync(started, `${process.pid} ${startTime(process.pid)}\n`);
    expect(runWithFakes(r.check, {}).code).toBe(0);
    expect(runWithFakes(r.live!, {}).stdout).toBe(`${process.pid}\n`);
    // a record about another pid says nothing about this one: the name decides, as before
    writeFileSync(started, '1 1\n');
    expect(runWithFakes(r.check, {}).code).toBe(0);
    rmSync(started);
  });

});

// A real daemon (sleep, backgrounded by fleet) started, read and stopped through the module's own fragments.
describe('daemon start records the pid and its start time', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleet-daemon-run-'));
  const stateDir = path.join(dir, 'state');
  const pidfile = path.join(dir, 'sleeper.pid');
  const r = renderResource('daemon', { name: 'sleeper', command: ['sleep', '300'], foreground: true, pidfile, stateDir });
  afterAll(() => {
    runWithFakes(r.undo, {});
    rmSync(dir, { recursive: true, force: true });
  });

  test('apply starts it and records `PID START`; status reads that pid; undo stops it', () => {
    expect(runWithFakes(r.check, {}).code).toBe(1);
    const applied = runWithFakes(r.apply, {});
    expect(applied.code, applied.stderr).toBe(0);
    const pid = Number(readFileSync(pidfile, 'utf8'));
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8')).toBe('sleep\n');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    expect(readFileSync(path.join(stateDir, 'sleeper.started'), 'utf8')).toBe(`${pid} ${stat[19]}\n`);
    expect(runWithFakes(r.check, {}).code).toBe(0);
    expect(runWithFakes(r.live!, {}).stdout).toBe(`${pid}\n`);
    expect(runWithFakes(r.undo, {}).code).toBe(0);
    const gone = !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
    expect(gone, `pid ${pid} is stopped`).toBe(true);
    expect(existsSync(path.join(stateDir, 'sleeper.started'))).toBe(false);
    expect(runWithFakes(r.live!, {}).stdout).toBe('');
  });
});
