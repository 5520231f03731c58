/**
 * Sharded runs over one lab (issue 21): `--shard 1/3`, `2/3`, `3/3` run side by side cover every
 * gateway exactly once, and `fleet report merge` of their outputs is the recap of one unsharded
 * run (per host: status, counts, every resource's plan and outcome; not timings), for deploy and
 * for status. And what the README promises when shards overlap by mistake: the second run stops
 * at the host lock and changes nothing; an interrupted shard is finished with `rollback --last`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../src/cli/shard.js';
import { sleep } from '../../src/lab/run.js';
import { repoRoot } from '../../src/lab/state.js';
import { fleetCli, type CliResult } from './cli.js';
import { gatewayExec, snapshotGateway, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let tmp: string;
const ROLES = ['--skip-roles', 'openvpn']; // a bare lab has no provider
const GATEWAYS = Array.from({ length: 12 }, (_, i) => `gw${i + 1}`);

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: GATEWAYS.length, bare: true, fresh: true }, suite);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-shard-test-'));
});
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await teardownLab();
});

const shards = (args: string[]) => Promise.all([1, 2, 3].map((k) => fleetCli([...args, '--shard', `${k}/3`, '--json'])));

function saved(name: string, r: CliResult): string {
  const file = path.join(tmp, name);
  writeFileSync(file, r.stdout);
  return file;
}

/** What must agree between a merged run and an unsharded one: everything but timings and run ids. */
const deployEssence = (h: any) => ({
  host: h.host,
  status: h.status,
  label: h.label,
  counts: [h.ok, h.changed, h.failed],
  roundTrips: h.roundTrips,
  error: h.error?.code,
  confirm: h.confirm?.result,
  resources: h.resources?.map((r: any) => [r.id, r.role, r.task, r.planned, r.applied]),
});

const statusEssence = (h: any) => ({
  host: h.host,
  state: h.state,
  flags: [h.reachable, h.healthy, h.inSync],
  drift: h.drift?.items.map((d: any) => [d.id, d.state]),
  wg: h.health?.wg.up,
  dnsmasq: h.health?.dnsmasq.running,
  unfinished: h.journal?.unfinished,
  roundTrips: h.roundTrips,
});

/** The recap's rows without the TIME column. */
const recapRows = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => /^(HOST|gw\d+) /.test(l))
    .map((l) => l.split(/\s{2,}/).slice(0, -1).join(' | '));

function expectOneCover(results: CliResult[]): void {
  const names = results.map((r) => r.json.hosts.map((h: { host: string }) => h.host));
  expect(names.flat().sort()).toEqual([...GATEWAYS].sort());
  names.forEach((hosts, i) => {
    expect(hosts.length, `shard ${i + 1} is not empty`).toBeGreaterThan(0);
    for (const h of hosts) expect(shardOf(h, 3), h).toBe(i);
    expect(results[i]!.json.shard).toMatchObject({ index: i + 1, count: 3, selected: GATEWAYS.length });
  });
}

describe('--shard K/3 over one lab, side by side', () => {
  it('deploy: the shards cover every gateway once; their merge is the recap of one unsharded run', async () => {
    const whole = await fleetCli(['deploy', lab.inventory, ...ROLES, '--json'], { timeoutMs: 240_000 });
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.json.summary).toMatchObject({ hosts: 12, changed: 12 });

    // back to bare gateways, three shards at once (rollback --shard)
    const down = await shards(['rollback', '--limit', 'all', '-i', lab.inventory, '--yes']);
    for (const r of down) expect(r.code, r.stdout + r.stderr).toBe(0);
    expectOneCover(down);

    const parts = await shards(['deploy', lab.inventory, ...ROLES]);
    for (const r of parts) expect(r.code, r.stderr).toBe(0);
    expectOneCover(parts);
    const files = parts.map((r, i) => saved(`deploy-${i + 1}.json`, r));

    const merged = await fleetCli(['report', 'merge', ...files, '--json']);
    expect(merged.code, merged.stderr).toBe(0);
    expect(Object.keys(merged.json)).toEqual(Object.keys(whole.json));
    expect(merged.json.summary).toEqual(whole.json.summary);
    expect(merged.json.hosts.map(deployEssence)).toEqual(whole.json.hosts.map(deployEssence));

    const table = await fleetCli(['report', 'merge', files[2]!, files[0]!, files[1]!]);
    const wholeTable = await fleetCli(['report', 'merge', saved('whole.json', whole)]);
    expect(table.code).toBe(0);
    expect(recapRows(table.stdout)).toHaveLength(13);
    expect(recapRows(table.stdout)).toEqual(recapRows(wholeTable.stdout));
    expect(table.stdout).toContain('12 host(s): 0 ok, 12 changed, 0 failed, 0 unreachable');
  });

  it('status: the same, with the same exit code', async () => {
    const whole = await fleetCli(['status', '-i', lab.inventory, ...ROLES, '--json']);
    const parts = await shards(['status', '-i', lab.inventory, ...ROLES]);
    expectOneCover(parts);
    const merged = await fleetCli(['report', 'merge', ...parts.map((r, i) => saved(`status-${i + 1}.json`, r)), '--json']);
    expect(merged.code).toBe(whole.code);
    expect(merged.json.summary).toEqual(whole.json.summary);
    expect(merged.json.hosts.map(statusEssence)).toEqual(whole.json.hosts.map(statusEssence));
    expect(whole.json.hosts.every((h: any) => h.inSync)).toBe(true);
  });
});

describe('shards that overlap by mistake', () => {
  it('a host in two runs: the second stops at the host lock and changes nothing', async () => {
    const down = await fleetCli(['rollback', 'gw1', '-i', lab.inventory, '--yes']);
    expect(down.code, down.stderr).toBe(0);
    const last = await newestRun('gw1');
    const first = fleetCli(['deploy', lab.inventory, ...ROLES, '--limit', 'gw1', '--json'], { env: { FLEET_TEST_PAUSE_STEP: '3:8' } });
    await waitForSteps('gw1', 3, last);
    const second = await fleetCli(['deploy', lab.inventory, ...ROLES, '--limit', 'gw1', '--json']);
    expect(second.code).toBe(2);
    const h = second.json.hosts[0];
    expect(h.status).toBe('failed');
    expect(h.error.code).toBe('HOST_LOCKED');
    expect(h.error.message).toMatch(/locked by run \S+ \(.+@.+, since .+\)/);
    expect(h.resources.every((r: { applied?: string }) => r.applied === undefined)).toBe(true);
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    expect(done.json.hosts[0].status).toBe('changed');
    // and once the first is through, the same deploy finds nothing left to do
    const again = await fleetCli(['deploy', lab.inventory, ...ROLES, '--limit', 'gw1', '--json']);
    expect(again.json.hosts[0].status).toBe('ok');
  });

  it('an interrupted shard is finished with rollback --last, per shard, from any controller', async () => {
    const k = shardOf('gw3', 3) + 1;
    const members = GATEWAYS.filter((g) => shardOf(g, 3) === k - 1);
    const before = await Promise.all(members.map((g) => snapshotGateway(lab, g)));
    const down = await fleetCli(['rollback', ...members, '-i', lab.inventory, '--yes']);
    expect(down.code, down.stderr).toBe(0);
    const bare = await Promise.all(members.map((g) => snapshotGateway(lab, g)));
    const last = await Promise.all(members.map((g) => newestRun(g)));
    // a shard's deploy killed (SIGKILL, like a CI runner going away) in the middle of its applies
    const child = spawn(process.execPath, [path.join(repoRoot(), 'bin', 'fleet.js'), 'deploy', lab.inventory, ...ROLES, '--shard', `${k}/3`, '--no-confirm', '--json'], {
      env: { ...process.env, CI: 'true', FLEET_TEST_PAUSE_STEP: '4:5' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await Promise.all(members.map((g, i) => waitForSteps(g, 4, last[i]!)));
    child.kill('SIGKILL');
    await exited;
    // The gateway's shell outlives the controller until it next reports (after the pause): then it
    // marks the run interrupted and lets go of the lock.
    const status = await waitForUnfinished(k, members);
    expect(status.code).toBe(2);
    const rb = await fleetCli(['rollback', '--limit', 'all', '-i', lab.inventory, '--last', '--yes', '--shard', `${k}/3`, '--json']);
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect(rb.json.hosts.map((h: { host: string }) => h.host)).toEqual(members);
    expect(await Promise.all(members.map((g) => snapshotGateway(lab, g)))).toEqual(bare);
    const redo = await fleetCli(['deploy', lab.inventory, ...ROLES, '--shard', `${k}/3`, '--json']);
    expect(redo.code, redo.stderr).toBe(0);
    expect(redo.json.hosts.map((h: { status: string }) => h.status)).toEqual(members.map(() => 'changed'));
    // as deployed before, but for the WireGuard key the redeploy made anew on each gateway
    const withoutKey = (snap: string) => snap.split('\n').filter((l) => !/^\/etc\/wireguard\/wg0\.(key|pub) /.test(l)).join('\n');
    expect((await Promise.all(members.map((g) => snapshotGateway(lab, g)))).map(withoutKey)).toEqual(before.map(withoutKey));
  }, 180_000);
});

/** The newest run in the gateway's journal ('' when none). */
async function newestRun(gw: string): Promise<string> {
  return (await gatewayExec(lab, gw, 'ls -1 /var/lib/fleet/runs 2>/dev/null | tail -n 1')).stdout.trim();
}

/** Until a run newer than `after` on `gw` has started step `n` (its journal log says so). */
async function waitForSteps(gw: string, n: number, after: string): Promise<void> {
  for (const end = Date.now() + 60_000; Date.now() < end; await sleep(100)) {
    const r = await gatewayExec(lab, gw, 'r=$(ls -1 /var/lib/fleet/runs 2>/dev/null | tail -n 1); echo "$r"; [ -n "$r" ] && grep -c "^start " "/var/lib/fleet/runs/$r/log"');
    const [run, started] = r.stdout.trim().split('\n');
    if (run && run !== after && (Number(started) || 0) >= n) return;
  }
  throw new Error(`${gw} never started step ${n} of a new run`);
}

/** Status of the shard, once every member shows its unfinished run (the killed session's shell has ended). */
async function waitForUnfinished(k: number, members: string[]): Promise<CliResult> {
  let s: CliResult | undefined;
  for (const end = Date.now() + 60_000; Date.now() < end; await sleep(250)) {
    s = await fleetCli(['status', '-i', lab.inventory, ...ROLES, '--shard', `${k}/3`, '--json']);
    const unfinished = (s.json?.hosts ?? []).filter((h: any) => h.journal?.unfinished && !h.journal?.lock).map((h: any) => h.host);
    if (unfinished.length === members.length) return s;
  }
  throw new Error(`the shard's hosts never all showed an unfinished run: ${s?.stdout}`);
}
