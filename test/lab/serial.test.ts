/**
 * Rolling deploys on the lab (issue 21): `--serial 1,50%` on 4 gateways deploys gw1 alone, then
 * two, then one, each batch after the previous one's health gate; a gate that finds drift (made by
 * the test hook right before the first gate) stops the run, and the later gateways are untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetCli } from './cli.js';
import { snapshotGateway, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
const ROLES = ['--skip-roles', 'openvpn']; // a bare lab has no provider
const LATER = ['gw2', 'gw3', 'gw4'];
// Removes the direct half's SNAT rule: drift the gate must see (status names the rule).
const DRIFT = `eval "iptables -t nat $(iptables -t nat -S POSTROUTING | grep -m1 'fleet: direct-half clients exit' | sed 's/^-A/-D/')"`;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 4, bare: true, fresh: true }, suite);
});
afterAll(() => teardownLab());

const rollbackAll = async () => {
  const r = await fleetCli(['rollback', '--limit', 'all', '-i', lab.inventory, '--yes']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
};

describe('fleet deploy --serial', () => {
  it('1,50% on 4 gateways: gw1, then gw2+gw3, then gw4, each batch after the previous gate', async () => {
    const r = await fleetCli(['deploy', lab.inventory, ...ROLES, '--serial', '1,50%', '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.hosts.map((h: any) => [h.host, h.status, h.batch])).toEqual([
      ['gw1', 'changed', 1],
      ['gw2', 'changed', 2],
      ['gw3', 'changed', 2],
      ['gw4', 'changed', 3],
    ]);
    const batches = r.json.serial.batches;
    expect(batches.map((b: any) => [b.batch, b.hosts, b.gate])).toEqual([
      [1, ['gw1'], 'passed'],
      [2, ['gw2', 'gw3'], 'passed'],
      [3, ['gw4'], 'passed'],
    ]);
    for (let i = 1; i < batches.length; i++) expect(Date.parse(batches[i].startedAt)).toBeGreaterThanOrEqual(Date.parse(batches[i - 1].finishedAt));
    expect(r.json.serial.stopped).toBeUndefined();
    // The gate read what status reads: every gateway healthy, 0 drift.
    const status = await fleetCli(['status', '-i', lab.inventory, ...ROLES, '--json']);
    expect(status.code, status.stdout).toBe(0);
  });

  it('a gate that finds drift stops the run: gw1 failed, gw2-gw4 not started and untouched', async () => {
    await rollbackAll();
    const before = await Promise.all(LATER.map((g) => snapshotGateway(lab, g)));
    const r = await fleetCli(['deploy', lab.inventory, ...ROLES, '--serial', '1,50%', '--json'], { env: { FLEET_TEST_BEFORE_GATE: DRIFT } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.json.hosts.map((h: any) => [h.host, h.status, h.batch, h.error?.code])).toEqual([
      ['gw1', 'failed', 1, 'BATCH_GATE_FAILED'],
      ['gw2', 'skipped', 2, 'SERIAL_STOPPED'],
      ['gw3', 'skipped', 2, 'SERIAL_STOPPED'],
      ['gw4', 'skipped', 3, 'SERIAL_STOPPED'],
    ]);
    expect(r.json.hosts[0].error.message).toMatch(/drifted: iptables-rule:nat\/POSTROUTING/);
    expect(r.json.serial.stopped).toMatchObject({ batch: 1, reason: expect.stringMatching(/^health gate failed on gw1 \(1 resource\(s\) drifted/) });
    expect(r.json.serial.batches).toHaveLength(1);
    const after = await Promise.all(LATER.map((g) => snapshotGateway(lab, g)));
    after.forEach((snap, i) => expect(snap, `${LATER[i]} changed although its batch never started`).toBe(before[i]));
  });

  it('the recap says which batch stopped and why; a bad --serial is exit 4 and touches nothing', async () => {
    await rollbackAll();
    const before = await snapshotGateway(lab, 'gw1');
    const bad = await fleetCli(['deploy', lab.inventory, ...ROLES, '--serial', '0,50%']);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/--serial: '0' is neither a host count/);
    expect(await snapshotGateway(lab, 'gw1')).toBe(before);

    const r = await fleetCli(['deploy', lab.inventory, ...ROLES, '--serial', '1'], { env: { FLEET_TEST_BEFORE_GATE: DRIFT } });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/batch 1: gw1: gate FAILED/);
    expect(r.stdout).toMatch(/stopped after batch 1: health gate failed on gw1 \(1 resource\(s\) drifted: iptables-rule:nat\/POSTROUTING/);
    expect(r.stdout).toMatch(/gw4: not started: the rolling deploy stopped after batch 1/);
    expect(r.stdout).toContain('4 host(s): 0 ok, 0 changed, 1 failed, 0 unreachable, 3 skipped');
  });
});
