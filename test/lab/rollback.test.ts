/**
 * Rollback on the lab (issue 6): a fault at every step returns a bare gateway to its exact
 * snapshot; a failed re-deploy keeps a working gateway working; a killed connection leaves a
 * journal that `rollback --last` completes; teardown of one gateway leaves the others serving;
 * the on-host lock; and a rule the operator added by hand survives everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provePaths } from '../../src/lab/proof.js';
import { sleep } from '../../src/lab/run.js';
import { fleetCli } from './cli.js';
import { faultAtEveryStep } from './fault-sweep.js';
import { connectClients, gatewayExec, snapshotGateway, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let inv: string;
const GWS = ['gw1', 'gw2', 'gw3'];
const bare: Record<string, string> = {};

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 3, fresh: true }, suite);
  inv = lab.inventory;
  for (const g of GWS) bare[g] = await snapshotGateway(lab, g);
});
afterAll(() => teardownLab());

/** Waits until the newest run's journal on `gw` has started `steps` steps. */
async function waitForStartedSteps(gw: string, steps: number, timeoutMs = 20_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) {
    const r = await gatewayExec(lab, gw, 'r=$(ls -1 /var/lib/fleet/runs 2>/dev/null | tail -n 1); [ -n "$r" ] && grep -c "^start " "/var/lib/fleet/runs/$r/log"');
    if (Number(r.stdout.trim()) >= steps) return;
  }
  throw new Error(`the journal of ${gw} never started ${steps} steps`);
}

describe('rollback', () => {
  it('a failure injected at every step of a bare deploy leaves the gateway exactly as it was', async () => {
    const plan = await fleetCli(['deploy', inv, '--check', '--json', '--limit', 'gw1']);
    const steps = plan.json.hosts[0].resources.filter((r: { planned: string }) => r.planned === 'change').length;
    expect(steps).toBeGreaterThan(40);
    expect(await faultAtEveryStep(lab, inv, steps, bare)).toEqual([]);
  }, 600_000);

  it('a failed re-deploy of a working gateway leaves it serving as before', async () => {
    const r = await fleetCli(['deploy', inv, '--json']);
    expect(r.json.summary.changed).toBe(3);
    await connectClients(lab);
    const deployed = await snapshotGateway(lab, 'gw1');
    const entries = JSON.stringify([{ name: 'vault.raff.local', ip: '10.4.0.77' }]);
    // The changed dnsmasq config is written and dnsmasq restarted, then the last step fails.
    const bad = await fleetCli(['deploy', inv, '--json', '--limit', 'gw1', '-e', `dns_entries=${entries}`], { env: { FLEET_TEST_FAIL_STEP: '2' } });
    expect(bad.code).toBe(2);
    expect(bad.json.hosts[0].label).toBe('failed, rolled back');
    expect(await snapshotGateway(lab, 'gw1')).toBe(deployed);
    const proofs = await provePaths(lab, { gateways: ['gw1'] });
    for (const p of proofs) expect(p.problems, p.client).toEqual([]);
  });

  it('a connection killed mid-apply leaves a journal that rollback --last completes', async () => {
    const td = await fleetCli(['rollback', 'gw2', '-i', inv, '--yes', '--json']);
    expect(td.code, td.stdout).toBe(0);
    expect(await snapshotGateway(lab, 'gw2')).toBe(bare.gw2);
    const deploy = fleetCli(['deploy', inv, '--json', '--limit', 'gw2'], { env: { FLEET_TEST_PAUSE_STEP: '12:3' } });
    await waitForStartedSteps('gw2', 12);
    // Kill the sshd session serving the deploy (every sshd but the listener, PID 1).
    const kill = await gatewayExec(lab, 'gw2', `for p in $(pgrep -x sshd); do [ "$p" = 1 ] || kill -9 "$p"; done`);
    expect(kill.code).toBe(0);
    const killed = await deploy;
    expect(killed.code).not.toBe(0);
    // The remote script stops at its next write to the dead connection; then status sees the
    // unfinished run (and no live lock).
    let status = await fleetCli(['status', '-i', inv, '--json', '--limit', 'gw2']);
    for (let i = 0; i < 40 && !status.json.hosts[0].journal.unfinished; i++) {
      await sleep(250);
      status = await fleetCli(['status', '-i', inv, '--json', '--limit', 'gw2']);
    }
    expect(status.json.hosts[0].journal.unfinished).toBe(true);
    const again = await fleetCli(['deploy', inv, '--json', '--limit', 'gw2']);
    expect(again.code).toBe(2);
    expect(again.json.hosts[0].error.message).toMatch(/unfinished/);
    const last = await fleetCli(['rollback', 'gw2', '-i', inv, '--last', '--yes', '--json']);
    expect(last.code, last.stdout + last.stderr).toBe(0);
    expect(await snapshotGateway(lab, 'gw2')).toBe(bare.gw2);
  });

  it('rollback gw2 after a full deploy makes it bare again while gw1 and gw3 keep serving', async () => {
    expect((await fleetCli(['deploy', inv, '--json'])).code).toBe(0);
    await connectClients(lab);
    const r = await fleetCli(['rollback', 'gw2', '-i', inv, '--yes', '--json']);
    expect(r.code, r.stdout).toBe(0);
    expect(await snapshotGateway(lab, 'gw2')).toBe(bare.gw2);
    const proofs = await provePaths(lab, { gateways: ['gw1', 'gw3'] });
    expect(proofs).toHaveLength(4);
    for (const p of proofs) expect(p.problems, p.client).toEqual([]);
  });

  it('two concurrent deploys of one host: one proceeds, the other stops at the lock', async () => {
    const first = fleetCli(['deploy', inv, '--json', '--limit', 'gw2'], { env: { FLEET_TEST_PAUSE_STEP: '3:4' } });
    await waitForStartedSteps('gw2', 3);
    const second = await fleetCli(['deploy', inv, '--json', '--limit', 'gw2']);
    expect(second.code).toBe(2);
    expect(second.json.hosts[0].error.message).toMatch(/locked by run/);
    const one = await first;
    expect(one.code, one.stdout).toBe(0);
    const status = await fleetCli(['status', '-i', inv, '--json', '--limit', 'gw2']);
    expect(status.json.hosts[0].drift.count).toBe(0);
  });

  it('a rule the operator added by hand survives deploy and rollback', async () => {
    const rule = '-s 10.99.0.0/24 -o ens5 -j MASQUERADE';
    expect((await gatewayExec(lab, 'gw3', `iptables -t nat -A POSTROUTING ${rule}`)).code).toBe(0);
    expect((await fleetCli(['deploy', inv, '--json', '--limit', 'gw3'])).code).toBe(0);
    expect((await fleetCli(['rollback', 'gw3', '-i', inv, '--yes', '--json'])).code).toBe(0);
    const saved = await gatewayExec(lab, 'gw3', 'iptables-save -t nat');
    expect(saved.stdout).toContain(`-A POSTROUTING ${rule}`);
    expect(saved.stdout.match(/^-A /gm)).toHaveLength(1);
  });
});
