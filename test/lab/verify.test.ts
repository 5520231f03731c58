/**
 * fleet verify on the lab (issue 17): the throwaway probe clients prove both halves of three
 * gateways; a dead OpenVPN on gw2 and a hand-edited DNS entry on gw3 are named; every gateway is
 * exactly as before afterwards (its snapshot and wg0's peers), also when the probe is killed
 * mid-way and only the gateway's reaper is left to clean up.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/lab/state.js';
import { fleetCli } from './cli.js';
import { gatewayExec, snapshotGateway, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let inv: string;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 3 }, suite);
  inv = lab.inventory;
  const d = await fleetCli(['deploy', inv, '--json']);
  if (d.code !== 0) throw new Error(`deploy failed: ${d.stdout}${d.stderr}`);
}, 600_000);
afterAll(() => teardownLab());

const byHost = (json: any) => Object.fromEntries(json.hosts.map((h: any) => [h.host, h]));

/**
 * The gateway's snapshot plus wg0's peers (a probe peer left behind would show here) and, unless
 * a rollback is expected to change it, the top of the journal dir (a probe's lock would show).
 */
async function state(gw: string, opts: { journal?: boolean } = {}): Promise<string> {
  // wg lists peers in no fixed order: sorted.
  const peers = await gatewayExec(lab, gw, `wg show wg0 allowed-ips | sort; ls -A /run/fleet-verify 2>&1${opts.journal === false ? '' : '; ls -A /var/lib/fleet'}`);
  return `${await snapshotGateway(lab, gw)}== wg0 peers and verify state\n${peers.stdout}`;
}

async function states(): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(lab.gateways.map(async (g) => [g.name, await state(g.name)] as const)));
}

describe('fleet verify', () => {
  it('proves both halves of 3 gateways and leaves each exactly as it was', async () => {
    const before = await states();
    const r = await fleetCli(['verify', '-i', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.summary).toEqual({ hosts: 3, verified: 3, failed: 0, unreachable: 0 });
    for (const h of r.json.hosts) {
      const gw = lab.gateways.find((g) => g.name === h.host)!;
      expect(h.roundTrips).toBe(1);
      const [direct, vpn] = h.proof.halves;
      expect(direct).toMatchObject({ half: 'direct', probeAddress: '10.4.0.127', echoSaw: gw.wanIp, ok: true });
      expect(vpn).toMatchObject({ half: 'vpn', probeAddress: '10.4.0.254', echoSaw: lab.provider!.ip, ok: true });
      expect(direct.dns).toEqual({ 'vault.raff.local': '10.4.0.7', 'rafflab.internal': '10.4.0.3' });
      expect(h.proof.dns.markedAfter).toBeGreaterThan(h.proof.dns.markedBefore);
      expect(h.proof.dns.wanPackets).toBe(0);
      expect(h.proof.leftovers).toBe(0);
    }
    expect(await states()).toEqual(before);
    const table = await fleetCli(['verify', '-i', inv]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/gw1\s+direct\s+10\.4\.0\.127\s+198\.51\.100\.11\s+198\.51\.100\.11\s+10\.4\.0\.7 10\.4\.0\.3\s+✓/);
    expect(table.stdout).toMatch(/3 verified, 0 failed, 0 unreachable/);
  });

  it("names gw2's VPN half when its OpenVPN is killed (exit 2), and gw3's name when its DNS entry is changed by hand", async () => {
    const kill = await gatewayExec(lab, 'gw2', 'kill "$(cat /run/fleet/openvpn.pid)"; sleep 0.5');
    expect(kill.code, kill.stderr).toBe(0);
    const edit = await gatewayExec(
      lab,
      'gw3',
      `sed -i 's,^address=/vault.raff.local/10.4.0.7$,address=/vault.raff.local/10.4.0.99,' /etc/dnsmasq.d/internal.conf && grep -q 10.4.0.99 /etc/dnsmasq.d/internal.conf &&
       kill "$(cat /run/fleet/dnsmasq.pid)" && sleep 0.3 && dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf --pid-file=/run/fleet/dnsmasq.pid --user=dnsmasq`,
    );
    expect(edit.code, edit.stderr).toBe(0);
    const before = await states();
    const r = await fleetCli(['verify', '-i', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const h = byHost(r.json);
    expect(h.gw1.ok).toBe(true);
    expect(h.gw2.ok).toBe(false);
    expect(h.gw2.proof.halves[0].ok).toBe(true);
    expect(h.gw2.proof.halves[1].ok).toBe(false);
    expect(h.gw2.proof.problems.join('\n')).toMatch(/^vpn half: no answer from http/m);
    expect(h.gw3.ok).toBe(false);
    expect(h.gw3.proof.problems).toContain('direct half: vault.raff.local resolved to 10.4.0.99 through the gateway, expected 10.4.0.7');
    expect(h.gw3.proof.problems).toContain('vpn half: vault.raff.local resolved to 10.4.0.99 through the gateway, expected 10.4.0.7');
    expect(h.gw3.proof.problems.filter((p: string) => !p.includes('vault.raff.local'))).toEqual([]);
    expect(await states()).toEqual(before);
    const table = await fleetCli(['verify', '-i', inv, '--limit', 'gw2']);
    expect(table.code).toBe(2);
    expect(table.stdout).toMatch(/gw2\s+vpn\s+10\.4\.0\.254\s+-\s+198\.51\.100\.2\s+.*✗ vpn half: no answer/);

    // Undone the way it was done (on gw3), and by a deploy (gw2's OpenVPN).
    const undo = await gatewayExec(
      lab,
      'gw3',
      `sed -i 's,^address=/vault.raff.local/10.4.0.99$,address=/vault.raff.local/10.4.0.7,' /etc/dnsmasq.d/internal.conf &&
       kill "$(cat /run/fleet/dnsmasq.pid)" && sleep 0.3 && dnsmasq --conf-file=/etc/dnsmasq.d/internal.conf --pid-file=/run/fleet/dnsmasq.pid --user=dnsmasq`,
    );
    expect(undo.code, undo.stderr).toBe(0);
    const d = await fleetCli(['deploy', inv, '--json']);
    expect(d.code, d.stdout).toBe(0);
    const again = await fleetCli(['verify', '-i', inv, '--json']);
    expect(again.code, again.stdout).toBe(0);
  });

  it('deploy --verify with a wrong provider_exit_ip rolls the host back to where it was', async () => {
    // The rollback removes the record of the last good deploy, by design: the journal dir is not compared.
    const before = await state('gw1', { journal: false });
    // A real change (the MTU), so that there is a deploy to undo.
    const r = await fleetCli(['deploy', inv, '--limit', 'gw1', '-e', 'wg_mtu=1400', '-e', 'provider_exit_ip=198.51.100.99', '--verify', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const h = r.json.hosts[0];
    expect(h.status).toBe('failed');
    expect(h.error.code).toBe('VERIFY_FAILED');
    expect(h.error.message).toMatch(/vpn half: http:\/\/\S+ saw 198\.51\.100\.2, expected the provider's exit address 198\.51\.100\.99 \(provider_exit_ip\); rolled back \(run \S+ undone/);
    expect(await state('gw1', { journal: false })).toEqual(before);
    const mtu = await gatewayExec(lab, 'gw1', 'cat /sys/class/net/wg0/mtu');
    expect(mtu.stdout.trim()).toBe('1420');
    // With the right value the same deploy stands.
    const ok = await fleetCli(['deploy', inv, '--limit', 'gw1', '-e', 'wg_mtu=1400', '--verify', '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.json.hosts[0].status).toBe('changed');
    const back = await fleetCli(['deploy', inv, '--limit', 'gw1', '--json']);
    expect(back.code, back.stdout).toBe(0);
  });

  it('deploy --serial 1 --verify: a failed proof is a failed health gate; later batches never start', async () => {
    const before = await Promise.all(['gw2', 'gw3'].map((g) => state(g, { journal: false })));
    const r = await fleetCli(['deploy', inv, '--serial', '1', '-e', 'wg_mtu=1400', '-e', 'provider_exit_ip=198.51.100.99', '--verify', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.json.hosts.map((h: any) => [h.host, h.status, h.batch, h.error?.code])).toEqual([
      ['gw1', 'failed', 1, 'VERIFY_FAILED'],
      ['gw2', 'skipped', 2, 'SERIAL_STOPPED'],
      ['gw3', 'skipped', 3, 'SERIAL_STOPPED'],
    ]);
    expect(r.json.serial.batches.map((b: any) => b.gate)).toEqual(['failed']);
    expect(r.json.serial.stopped.reason).toBe('health gate failed: the proof failed on gw1 (rolled back)');
    expect(await Promise.all(['gw2', 'gw3'].map((g) => state(g, { journal: false })))).toEqual(before);
    const mtu = await gatewayExec(lab, 'gw1', 'cat /sys/class/net/wg0/mtu');
    expect(mtu.stdout.trim()).toBe('1420');
  });

  it("takes the host lock as a deploy does: a dead owner's lock is told from a live one by pid and start time", async () => {
    // A lock left by a run whose pid now belongs to another live process (the gateway's init).
    const owner = 'run=r-gone\npid=1\nstart=1\nuser=ops\ncontroller=ci\nsince=2026-01-01T00:00:00Z\n';
    const put = await gatewayExec(lab, 'gw1', `mkdir /var/lib/fleet/lock && printf '${owner}' > /var/lib/fleet/lock/owner`);
    expect(put.code, put.stderr).toBe(0);
    try {
      const r = await fleetCli(['verify', '-i', inv, '--limit', 'gw1', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.json.hosts[0].error).toMatch(/^stale lock by run r-gone \(ops@ci, since 2026-01-01T00:00:00Z\): verify waits for the host lock \(fleet deploy --break-lock clears a stale one\)$/);
    } finally {
      await gatewayExec(lab, 'gw1', 'rm -rf /var/lib/fleet/lock');
    }
    // Its own lock, while it holds it, names the verify run with pid and start time.
    const bin = path.join(repoRoot(), 'bin', 'fleet.js');
    const child = spawn(process.execPath, [bin, 'verify', '-i', inv, '--limit', 'gw1', '--probe-timeout', '20'], { env: { ...process.env, NO_COLOR: '1', FLEET_TEST_VERIFY_PAUSE: '5' }, stdio: 'ignore' });
    try {
      let rec = '';
      for (let i = 0; i < 100 && !/^start=\d+$/m.test(rec); i++) {
        rec = (await gatewayExec(lab, 'gw1', 'cat /var/lib/fleet/lock/owner 2>/dev/null')).stdout;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(rec).toMatch(/^run=verify-[0-9a-f]{6}$/m);
      const pid = /^pid=(\d+)$/m.exec(rec)?.[1];
      const start = /^start=(\d+)$/m.exec(rec)?.[1];
      const stat = await gatewayExec(lab, 'gw1', `cut -d' ' -f22 /proc/${pid}/stat`);
      expect(stat.stdout.trim()).toBe(start);
    } finally {
      await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    }
  });

  it('a probe killed mid-way with its connection leaves nothing once the gateway reaper has run', async () => {
    const before = await state('gw1');
    const bin = path.join(repoRoot(), 'bin', 'fleet.js');
    const child = spawn(process.execPath, [bin, 'verify', '-i', inv, '--limit', 'gw1', '--probe-timeout', '10'], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1', FLEET_TEST_VERIFY_PAUSE: '120' },
      stdio: 'ignore',
    });
    try {
      let up = '';
      // Both probe clients are set up once the counting rules are in (the last step before the pause).
      const ready = (t: string) => /fleet-verify-[0-9a-f]{6}-d/.test(t) && /fleet-verify-[0-9a-f]{6}-v/.test(t) && t.includes('COUNTING');
      for (let i = 0; i < 100 && !ready(up); i++) {
        up = (await gatewayExec(lab, 'gw1', 'ip netns list; wg show wg0 peers | wc -l; iptables -t mangle -S POSTROUTING | grep -q fleet-verify- && echo COUNTING')).stdout;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(up).toMatch(/fleet-verify-[0-9a-f]{6}-d/);
      expect(up).toMatch(/fleet-verify-[0-9a-f]{6}-v/);
      // SIGKILL: no trap runs on the gateway; only the reaper is left to clean up.
      const k = await gatewayExec(lab, 'gw1', 'for f in /run/fleet-verify/*/main.pid; do kill -KILL "$(cat "$f")"; done');
      expect(k.code, k.stderr).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const right = await gatewayExec(lab, 'gw1', 'ip netns list | grep -c fleet-verify-; wg show wg0 peers | wc -l');
    expect(right.stdout.split('\n')[0]).toBe('2'); // still there: the probe's own cleanup did not run
    let after = '';
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      after = await state('gw1');
      if (after === before) break;
    }
    expect(after).toEqual(before);
  });
});
