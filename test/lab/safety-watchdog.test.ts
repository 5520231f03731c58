/**
 * Confirmed deploys on the lab (issue 10): a deploy that routes the gateway's replies to the
 * controller (198.51.100.1) into the VPN table locks fleet out; the on-host watchdog reverts it
 * within the timeout and the gateway answers SSH again, equal to its pre-deploy snapshot. A good
 * deploy is confirmed and stays; the watchdog shows in `fleet status` while armed and survives the
 * controller being killed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../src/lab/run.js';
import { fleetCli } from './cli.js';
import { gatewayExec, snapshotGateway, sshRun, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let inv: string;
const T = 8;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 3, fresh: true }, suite);
  inv = lab.inventory;
});
afterAll(() => teardownLab());

const watchdogProcs = (gw: string) => gatewayExec(lab, gw, `ls /var/lib/fleet/watchdog 2>/dev/null; pgrep -f '[w]atchdog[.]sh' | wc -l`);

describe('confirmed deploy', () => {
  it('a good deploy arms the watchdog, confirms over a new connection, and stays', async () => {
    const r = await fleetCli(['deploy', inv, '--json', '--limit', 'gw1', '--confirm-timeout', String(T)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const h = r.json.hosts[0];
    expect(h.status).toBe('changed');
    expect(h.confirm).toMatchObject({ result: 'confirmed', roundTrips: 1 });
    expect(h.roundTrips).toBe(2); // plan + apply on the first connection; confirm on its own
    const after = await snapshotGateway(lab, 'gw1');
    expect((await watchdogProcs('gw1')).stdout.trim()).toBe('0');
    await sleep((T + 2) * 1000);
    expect(await snapshotGateway(lab, 'gw1')).toBe(after);
    const status = await fleetCli(['status', '-i', inv, '--json', '--limit', 'gw1']);
    expect(status.json.hosts[0].drift.count).toBe(0);
    expect(status.json.hosts[0].journal.watchdogs ?? []).toEqual([]);
  }, 60_000);

  it('routing the replies to the controller into the VPN table: lost access, reverted, back as before', async () => {
    const before = await snapshotGateway(lab, 'gw2');
    const started = Date.now();
    const deploy = fleetCli(['deploy', inv, '--json', '--limit', 'gw2', '--confirm-timeout', String(T), '-e', 'vpn_destinations=["198.51.100.1/32"]']);
    // When did the apply end on the gateway (the watchdog's clock starts there)?
    let applyEnded = 0;
    for (let i = 0; i < 600 && !applyEnded; i++) {
      const st = await gatewayExec(lab, 'gw2', 'r=$(ls -1 /var/lib/fleet/runs 2>/dev/null | tail -n 1); [ -n "$r" ] && cat "/var/lib/fleet/runs/$r/status"');
      if (/^(complete|rolled-back|failed-rolled-back)$/m.test(st.stdout.trim())) applyEnded = Date.now();
      else await sleep(100);
    }
    expect(applyEnded, 'the apply finished on the gateway').toBeGreaterThan(0);
    // Locked out now: SSH from the controller does not answer.
    const locked = await sshRun(lab, 'gw2', 'true', { timeoutMs: 4000 });
    expect(locked.code).not.toBe(0);
    // While armed, the watchdog shows (read on the gateway: fleet cannot reach it).
    const armed = await gatewayExec(lab, 'gw2', 'ls /var/lib/fleet/watchdog/*/armed');
    expect(armed.code).toBe(0);
    // Within the timeout + 10 s the gateway answers SSH again...
    let back = 0;
    while (!back && Date.now() - applyEnded < (T + 10) * 1000) {
      const s = await sshRun(lab, 'gw2', 'true', { timeoutMs: 2000 });
      if (s.code === 0) back = Date.now();
      else await sleep(250);
    }
    expect(back, 'gw2 answered SSH again within the timeout + 10 s').toBeGreaterThan(0);
    // ...and, once the watchdog has finished (routing comes back first, files are reverted
    // after it), equals its pre-deploy snapshot.
    let done = false;
    for (const end = Date.now() + 20_000; !done && Date.now() < end; ) {
      // rolled back, the lock released, and no watchdog process left ('[.]' keeps grep from matching itself)
      const st = await gatewayExec(
        lab,
        'gw2',
        `r=$(ls -1 /var/lib/fleet/runs | tail -n 1); cat "/var/lib/fleet/runs/$r/status"; [ ! -d /var/lib/fleet/lock ] && ! grep -qs 'watchdog[.]sh' /proc/[0-9]*/cmdline`,
      );
      done = st.code === 0 && /^rolled-back$/m.test(st.stdout);
      if (!done) await sleep(100);
    }
    expect(done, 'the watchdog finished its revert').toBe(true);
    expect(await snapshotGateway(lab, 'gw2')).toBe(before);
    const r = await deploy;
    expect(r.code).toBe(2);
    const h = r.json.hosts[0];
    expect(h.label, JSON.stringify({ error: h.error, confirm: h.confirm, failure: h.failure })).toBe('lost access: reverting');
    expect(h.error.message).toMatch(/^lost access: reverting .*gw2 is back and equal to its pre-deploy state/);
    expect(h.confirm.lostAccess).toMatchObject({ back: true, reverted: true, equalToBefore: true });
    const text = await fleetCli(['status', '-i', inv, '--limit', 'gw2']);
    expect(text.stdout).toMatch(/watchdog reverted run/);
    process.stderr.write(`lockout: apply ended ${((applyEnded - started) / 1000).toFixed(1)}s after start; SSH back ${((back - applyEnded) / 1000).toFixed(1)}s after it (timeout ${T}s); fleet finished ${((Date.now() - started) / 1000).toFixed(1)}s after start\n`);
  }, 120_000);

  it('the watchdog shows in fleet status while armed and survives the controller being killed', async () => {
    const before = await snapshotGateway(lab, 'gw3');
    // Pause before the second change (test-only hook), and kill the controller during the pause.
    const deploy = fleetCli(['deploy', inv, '--json', '--limit', 'gw3', '--confirm-timeout', '10'], { timeoutMs: 60_000, env: { FLEET_TEST_PAUSE_STEP: '2:3' } });
    let armed = false;
    for (let i = 0; i < 300 && !armed; i++) {
      armed = (await gatewayExec(lab, 'gw3', 'ls /var/lib/fleet/watchdog/*/armed')).code === 0;
      if (!armed) await sleep(50);
    }
    expect(armed).toBe(true);
    // the CLI process fleetCli started: found by its unique argv, killed by pid
    const { execFileSync } = await import('node:child_process');
    const pids = execFileSync('pgrep', ['-f', 'bin/fleet.js deploy .* --limit gw3 --confirm-timeout 10']).toString().trim().split('\n').map(Number);
    for (const p of pids) if (p !== process.pid) process.kill(p, 'SIGKILL');
    await deploy.catch(() => undefined);
    // the apply script stops at its next write to the dead connection; the watchdog stays armed
    let w: any[] = [];
    for (let i = 0; i < 40; i++) {
      const status = await fleetCli(['status', '-i', inv, '--json', '--limit', 'gw3']);
      w = status.json.hosts[0].journal.watchdogs ?? [];
      if (w[0]?.deadline) break;
      await sleep(250);
    }
    expect(w).toEqual([expect.objectContaining({ state: 'armed', process: 'live', timeoutS: 10 })]);
    const table = await fleetCli(['status', '-i', inv, '--limit', 'gw3']);
    expect(table.stdout).toMatch(/WATCHDOG ARMED: run \S+ unconfirmed, reverts in \d+s/);
    // A deploy meanwhile refuses to stack on the unfinished, unconfirmed run.
    const again = await fleetCli(['deploy', inv, '--json', '--limit', 'gw3']);
    expect(again.code).toBe(2);
    expect(again.json.hosts[0].error.message).toMatch(/unfinished \(interrupted\).*its watchdog reverts it at/);
    // Nobody confirms: it fires, reverts the interrupted run, and the gateway is as before.
    let fired = false;
    for (let i = 0; i < 60 && !fired; i++) {
      fired = (await gatewayExec(lab, 'gw3', 'ls /var/lib/fleet/watchdog/*/fired && [ "$(cat /var/lib/fleet/runs/$(ls -1 /var/lib/fleet/runs | tail -n 1)/status)" = rolled-back ]')).code === 0;
      if (!fired) await sleep(500);
    }
    expect(fired).toBe(true);
    await sleep(500);
    expect(await snapshotGateway(lab, 'gw3')).toBe(before);
    expect((await watchdogProcs('gw3')).stdout.trim().split('\n').pop()).toBe('0');
  }, 90_000);
});
