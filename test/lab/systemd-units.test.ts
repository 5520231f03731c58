/**
 * fleet's units on three systemd gateways (issue 22, "What must show"): after a deploy the
 * traffic proofs pass and dnsmasq, wg-quick@wg0 and the OpenVPN client are active units, one
 * dnsmasq each, no fleet process in ssh.service's or a login's cgroup; status reads unit state
 * (a unit stopped by hand: unhealthy, named, its journal shown; a deploy repairs it); a fault at
 * every step leaves the full snapshot as before; a rollback leaves the packaged services as a
 * fresh install has them; a boot after a partial --roles deploy waits for nothing it did not
 * deploy; a shutdown kills nothing on a stop timeout.
 *
 * Everything on a gateway is asked over SSH, as an operator would (nsenter -a would hide a
 * missing capability). Durations are printed, never asserted.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provePaths, type PathProof } from '../../src/lab/proof.js';
import { isAlive, sleep } from '../../src/lab/run.js';
import { labPaths } from '../../src/lab/state.js';
import { fleetCli } from './cli.js';
import { faultAtEveryStep } from './fault-sweep.js';
import { connectClients, labStatus, snapshotGateway, sshRun, teardownLab, useLab, type LabState } from './harness.js';

const GWS = ['gw1', 'gw2', 'gw3'];
const OPENVPN_UNIT = 'openvpn-client@fleet-provider';
let lab: LabState;
let inv: string;
const fresh: Record<string, string> = {};
let freshPackaged: string;

async function on(gw: string, script: string, timeoutMs = 30_000): Promise<string> {
  const r = await sshRun(lab, gw, script, { timeoutMs });
  expect(r.code, `${gw}: ${script}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/**
 * What an install of the packages leaves and fleet must give back: the packaged units' enablement
 * and state, and every file in /etc/systemd/system, /etc/dnsmasq.d and /etc/default/dnsmasq.
 */
const PACKAGED_STATE = [
  'for u in dnsmasq wg-quick@wg0 openvpn openvpn-client@fleet-provider openvpn@fleet-provider; do',
  '  echo "$u $(systemctl is-enabled "$u" 2>&1) $(systemctl is-active "$u" 2>&1)"',
  'done',
  'find /etc/systemd/system /etc/dnsmasq.d /etc/default/dnsmasq | sort | while IFS= read -r f; do',
  '  if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"',
  '  elif [ -f "$f" ]; then echo "$f $(stat -c "%a %U" "$f") $(sha256sum <"$f" | cut -c1-16)"',
  '  else echo "$f dir $(stat -c "%a %U" "$f")"; fi',
  'done',
].join('\n');

/** Every process as `pid comm cgroup` (systemd's own hierarchy), and this shell's pid. */
const PROCESS_CGROUPS = [
  'echo "self $$"',
  'for p in /proc/[0-9]*; do',
  '  cg=$(sed -n "s/^[0-9]*:name=systemd://p" "$p/cgroup" 2>/dev/null); [ -n "$cg" ] || cg=$(sed -n "s/^0:://p" "$p/cgroup" 2>/dev/null)',
  '  c=$(cat "$p/comm" 2>/dev/null) && echo "${p#/proc/} $c $cg"',
  'done',
].join('\n');

interface Proc {
  pid: number;
  comm: string;
  cgroup: string;
}

async function processCgroups(gw: string): Promise<{ self: Proc; procs: Proc[] }> {
  const out = await on(gw, PROCESS_CGROUPS);
  const selfPid = Number(/^self (\d+)$/m.exec(out)![1]);
  const procs = out
    .split('\n')
    .map((l) => /^(\d+) (\S+) (\S*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ pid: Number(m[1]), comm: m[2]!, cgroup: m[3]! }));
  return { self: procs.find((p) => p.pid === selfPid)!, procs };
}

/** What systemd logs when a stop hangs until it kills, or a unit leaves a process behind. */
const STOP_TIMEOUT = /stop timeout|State 'stop-sigterm' timed out|timed out\. Killing|Killing process|A stop job is running|remains running after unit stopped/;

/**
 * The previous boot's shutdown, from its journal (persistent on the image): the lines that say a
 * stop hung or left a process, and how long it took from logind's "System is rebooting/powering
 * down" to journald's last line.
 */
async function previousShutdown(gw: string): Promise<{ hung: string[]; seconds: number }> {
  const journal = (await on(gw, 'journalctl -b -1 -o short-monotonic --no-pager')).split('\n').filter(Boolean);
  const at = (l: string | undefined) => Number(/^\[\s*([\d.]+)\]/.exec(l ?? '')?.[1] ?? NaN);
  const asked = journal.find((l) => /systemd-logind\[\d+\]: System is (rebooting|powering down)/.test(l));
  expect(asked, `${gw}: logind's shutdown line in the previous boot's journal`).toBeDefined();
  return { hung: journal.filter((l) => STOP_TIMEOUT.test(l)), seconds: at(journal.at(-1)) - at(asked) };
}

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 3, systemd: true, fresh: true }, suite);
  inv = lab.inventory;
  for (const g of GWS) {
    await on(g, 'systemctl is-system-running --wait >/dev/null; true');
    fresh[g] = await snapshotGateway(lab, g);
  }
  freshPackaged = await on('gw2', PACKAGED_STATE);
}, 300_000);
afterAll(() => teardownLab(), 60_000);

describe('fleet units on three systemd gateways', () => {
  it('a fault injected at every step of a first deploy leaves the gateway\'s full snapshot (units and unit files too) as before', async () => {
    const plan = await fleetCli(['deploy', inv, '--check', '--json', '--limit', 'gw1']);
    const steps = plan.json.hosts[0].resources.filter((r: { planned: string }) => r.planned === 'change').length;
    expect(steps).toBeGreaterThan(40);
    const t0 = Date.now();
    const failures = await faultAtEveryStep(lab, inv, steps, fresh);
    process.stdout.write(`[systemd-units] a fault at each of ${steps} steps: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    expect(failures).toEqual([]);
  }, 420_000);

  it('after a deploy of all three the paths prove, dnsmasq, wg-quick@wg0 and the OpenVPN client are active, and one dnsmasq runs on each', async () => {
    const d = await fleetCli(['deploy', inv, '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.json.summary).toMatchObject({ hosts: 3, changed: 3, failed: 0 });
    const connected = await connectClients(lab);
    expect(connected.every((c) => !c.error), JSON.stringify(connected)).toBe(true);
    const proofs = await provePaths(lab);
    expect(proofs).toHaveLength(6);
    for (const p of proofs) expect(p.problems, p.client).toEqual([]);
    for (const g of GWS) {
      expect(await on(g, `systemctl is-active dnsmasq wg-quick@wg0 ${OPENVPN_UNIT}; pgrep -x dnsmasq | wc -l`), g).toBe('active\nactive\nactive\n1\n');
    }
  });

  it('no process fleet started lives in ssh.service or a login session: each daemon is in its own unit', async () => {
    const home: Record<string, string> = { dnsmasq: '/system.slice/dnsmasq.service', openvpn: `/system.slice/system-openvpn\\x2dclient.slice/${OPENVPN_UNIT}.service`, 'wireguard-go': '/system.slice/system-wg\\x2dquick.slice/wg-quick@wg0.service' };
    for (const g of GWS) {
      const { self, procs } = await processCgroups(g);
      // Only sshd in ssh.service; in user.slice only this login (its session) and its user manager,
      // and the sshd of a login that just ended (the one before this, closing).
      const strays = procs.filter(
        (p) => p.comm !== 'sshd' && (p.cgroup.endsWith('/ssh.service') || (p.cgroup.startsWith('/user.slice') && p.cgroup !== self.cgroup && !/\/user@\d+\.service(\/|$)/.test(p.cgroup))),
      );
      expect(strays, g).toEqual([]);
      const daemons = procs.filter((p) => p.comm in home);
      expect(daemons.map((p) => p.comm).sort(), g).toEqual(expect.arrayContaining(['dnsmasq', 'openvpn']));
      for (const p of daemons) expect(`${p.comm} ${p.cgroup}`, g).toBe(`${p.comm} ${home[p.comm]}`);
    }
  });

  it('status reads unit state: healthy; dnsmasq stopped by hand on gw3 is named unhealthy with its journal; a deploy repairs it', async () => {
    const ok = await fleetCli(['status', '-i', inv, '--json']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    for (const h of ok.json.hosts) {
      expect(h, h.host).toMatchObject({ healthy: true, inSync: true });
      expect(h.health.units.map((u: { state: string }) => u.state), h.host).toEqual(h.health.units.map(() => 'active'));
    }
    await on('gw3', 'systemctl stop dnsmasq');
    const bad = await fleetCli(['status', '-i', inv, '--json', '--limit', 'gw3']);
    const gw3 = bad.json.hosts[0];
    expect(gw3.healthy).toBe(false);
    const dnsmasq = gw3.health.units.find((u: { name: string }) => /^dnsmasq(\.service)?$/.test(u.name));
    expect(dnsmasq).toMatchObject({ state: 'inactive' });
    expect(dnsmasq.journal.join('\n')).toMatch(/Stopped dnsmasq/);
    const v = await fleetCli(['status', '-i', inv, '--limit', 'gw3', '--verbose']);
    expect(v.stdout).toMatch(/^ {2}gw3 unit dnsmasq(\.service)?: inactive\n( {6}.+\n)*? {6}.*Stopped dnsmasq/m);
    const repair = await fleetCli(['deploy', inv, '--json', '--limit', 'gw3']);
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    expect(repair.json.hosts[0].changed).toBeGreaterThanOrEqual(1);
    const again = await fleetCli(['status', '-i', inv, '--json', '--limit', 'gw3']);
    expect(again.json.hosts[0]).toMatchObject({ healthy: true, inSync: true });
    expect(await on('gw3', 'systemctl is-active dnsmasq; pgrep -x dnsmasq | wc -l')).toBe('active\n1\n');
  });

  it('rollback gw2 leaves the packaged services and their config as a fresh install has them, while gw1 and gw3 keep serving', async () => {
    const r = await fleetCli(['rollback', 'gw2', '-i', inv, '--yes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await on('gw2', PACKAGED_STATE)).toBe(freshPackaged);
    expect(await snapshotGateway(lab, 'gw2')).toBe(fresh.gw2);
    const proofs = await provePaths(lab, { gateways: ['gw1', 'gw3'] });
    expect(proofs).toHaveLength(4);
    for (const p of proofs) expect(p.problems, p.client).toEqual([]);
  });

  it('a boot after a deploy of some roles (no openvpn) waits for nothing it did not deploy, and its shutdown hangs on nothing', async () => {
    const roles = 'packages,wireguard,dnsmasq,namespace,routing,firewall';
    const d = await fleetCli(['deploy', inv, '--json', '--limit', 'gw2', '--roles', roles]);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    const t0 = Date.now();
    const r = await fleetCli(['lab', 'reboot', 'gw2', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.boot).toMatchObject({ systemState: 'running', failedUnits: [], ok: true });
    const rebootS = (Date.now() - t0) / 1000;
    lab = labStatus();
    const booted = await on('gw2', `systemctl --failed --no-legend --plain; systemctl list-jobs --no-legend; systemctl is-active wg-quick@wg0 dnsmasq; systemctl is-enabled ${OPENVPN_UNIT} 2>&1; true`);
    expect(booted).toBe('active\nactive\ndisabled\n');
    // The up script (wg-quick@wg0's start) applied no step of a role never deployed: no OpenVPN
    // step, no wait for tun0. Each applied step left its output as /run/fleet/boot/<k>.out.
    expect(await on('gw2', 'grep -c "^# [0-9]*/[0-9]* \\[openvpn\\]" /etc/wireguard/wg0-up.sh')).not.toBe('0\n');
    const applied = await on('gw2', 'for f in /run/fleet/boot/*.out; do [ -e "$f" ] || continue; k=${f##*/}; k=${k%.out}; grep -m1 "^# $k/" /etc/wireguard/wg0-up.sh; done; true');
    expect(applied).toMatch(/\[routing\]/);
    expect(applied).not.toMatch(/\[openvpn\]/);
    const blame = await on('gw2', 'systemd-analyze blame --no-pager | head -n 5; systemd-analyze --no-pager 2>&1 | head -n 1');
    const shutdown = await previousShutdown('gw2');
    process.stdout.write(`[systemd-units] gw2 after --roles ${roles}: shutdown ${shutdown.seconds.toFixed(2)} s, reboot to running ${rebootS.toFixed(1)} s; slowest units:\n${blame}`);
    expect(shutdown.hung).toEqual([]);
  }, 240_000);

  it('a poweroff of a fully deployed gateway hangs on no unit, and powered on it serves again', async () => {
    const r = await sshRun(lab, 'gw1', 'systemctl poweroff', { timeoutMs: 30_000 });
    // 255: sshd went down with the connection.
    expect([0, 255], r.stderr).toContain(r.code);
    // Off: its PID 1 gone and its supervisor ended (it removes nspawn.pid as it exits).
    const init = lab.gateways.find((g) => g.name === 'gw1')!.initPid;
    const pidFile = path.join(labPaths(lab.stateDir).gateway('gw1'), 'nspawn.pid');
    for (let i = 0; i < 1200 && (isAlive(init) || existsSync(pidFile)); i++) await sleep(50);
    expect([isAlive(init), existsSync(pidFile)], 'gw1 powered off').toEqual([false, false]);
    const on1 = await fleetCli(['lab', 'reboot', 'gw1', '--json']);
    expect(on1.code, on1.stdout + on1.stderr).toBe(0);
    lab = labStatus();
    const shutdown = await previousShutdown('gw1');
    process.stdout.write(`[systemd-units] gw1 poweroff, fully deployed: ${shutdown.seconds.toFixed(2)} s\n`);
    expect(shutdown.hung).toEqual([]);
    await connectClients(lab);
    // The clients' WireGuard finds the gateway's new session at its next handshake attempt.
    let proofs: PathProof[] = [];
    for (let i = 0; i < 10 && !(proofs.length && proofs.every((p) => p.ok)); i++) {
      if (i) await sleep(500);
      proofs = await provePaths(lab, { gateways: ['gw1'], timeoutS: 3 });
    }
    expect(proofs).toHaveLength(2);
    for (const p of proofs) expect(p.problems, p.client).toEqual([]);
  }, 240_000);
});
