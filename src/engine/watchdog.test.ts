/**
 * The commit-confirmed watchdog's shell logic, run for real by /bin/sh on synthetic resources in a
 * temp directory (the lab half is test/lab/safety-watchdog.test.ts): it fires after the timeout
 * and reverts from the journal; a confirm stops it; a confirm racing the fire never lets both
 * happen; a failed apply, rollback --last and teardown disarm it.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Resource } from '../modules/types.js';
import type { DesiredResource } from '../roles/tasks.js';
import { sh } from '../shell/sh.js';
import { LocalTransport } from '../transport/local.js';
import { applyHost } from './apply.js';
import { deployFleet } from './fleet.js';
import { newRunId } from './layout.js';
import { planHost } from './plan.js';
import { revertRun } from './rollback.js';
import { confirmRun } from './watchdog.js';
import type { Host } from '../inventory/index.js';

let dir: string;
let stateDir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-watchdog-'));
  stateDir = path.join(dir, 'state');
});
afterEach(async () => {
  // no watchdog may outlive its test
  for (const w of existsSync(path.join(stateDir, 'watchdog')) ? readdirSync(path.join(stateDir, 'watchdog')) : []) {
    const pid = Number(readFileSync(path.join(stateDir, 'watchdog', w, 'pid'), 'utf8'));
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fileRes(name: string, role = 'routing'): DesiredResource {
  const f = path.join(dir, name);
  const resource: Resource = {
    id: `test:${name}`,
    module: 'test',
    title: name,
    check: sh`[ -f ${f} ] || exit 1`,
    apply: sh`echo new > ${f}`,
    revert: sh`rm -f ${f}`,
    undo: sh`rm -f ${f}`,
    // Stands in for a route (can cut the controller off) or a dnsmasq file (cannot).
    reachability: role === 'routing',
  };
  return { role: role as DesiredResource['role'], task: name, resource };
}

const meta = () => ({ runId: newRunId(), user: 'tester', controller: 'ctl', roles: ['routing'] });
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const status = (run: string) => readFileSync(path.join(stateDir, 'runs', run, 'status'), 'utf8').trim();

async function armedDeploy(timeoutS: number, names = ['a']) {
  const t = new LocalTransport();
  const desired = names.map((n) => fileRes(n));
  const plan = await planHost(t, desired, { stateDir });
  const m = meta();
  const out = await applyHost(t, plan, m, { stateDir }, { watchdog: { timeoutS } });
  expect(out.watchdogArmed).toBe(true);
  const wd = path.join(stateDir, 'watchdog', m.runId);
  const pid = Number(readFileSync(path.join(wd, 'pid'), 'utf8'));
  return { t, plan, m, wd, pid };
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (cond()) return;
  throw new Error('timed out');
}

describe('watchdog', () => {
  it('unconfirmed, it reverts the run from its journal after the timeout, under the host lock', async () => {
    const { m, wd, pid } = await armedDeploy(1, ['a', 'b']);
    expect(existsSync(path.join(dir, 'a'))).toBe(true);
    expect(alive(pid)).toBe(true);
    // the controller's connection is long gone (the apply script exited): it still fires
    await waitFor(() => existsSync(path.join(wd, 'fired')) && !alive(pid));
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
    expect(existsSync(path.join(dir, 'b'))).toBe(false);
    expect(status(m.runId)).toBe('rolled-back');
    expect(existsSync(path.join(stateDir, 'lock'))).toBe(false);
    expect(existsSync(path.join(stateDir, 'last-success'))).toBe(false);
    // status sees it fired
    const plan = await planHost(new LocalTransport(), [fileRes('a')], { stateDir });
    expect(plan.facts.watchdogs).toEqual([expect.objectContaining({ run: m.runId, state: 'fired' })]);
  });

  it('shows as armed in the journal facts while it waits, with its deadline', async () => {
    const { m, pid, t } = await armedDeploy(30);
    await waitFor(() => existsSync(path.join(stateDir, 'watchdog', m.runId, 'deadline')));
    const plan = await planHost(t, [fileRes('a')], { stateDir });
    const w = plan.facts.watchdogs?.[0];
    expect(w).toMatchObject({ run: m.runId, state: 'armed', process: 'live', timeoutS: 30 });
    expect(w!.deadline! - Date.now() / 1000).toBeGreaterThan(25);
    expect(await confirmRun(t, m.runId, { stateDir })).toBe('confirmed');
    expect(alive(pid)).toBe(false);
  });

  it('a confirm stops it: nothing is reverted, the process and its state are gone', async () => {
    const { t, m, wd, pid } = await armedDeploy(2);
    expect(await confirmRun(t, m.runId, { stateDir })).toBe('confirmed');
    expect(alive(pid)).toBe(false);
    expect(existsSync(wd)).toBe(false);
    await sleep(2500);
    expect(existsSync(path.join(dir, 'a'))).toBe(true);
    expect(status(m.runId)).toBe('complete');
    expect(await confirmRun(t, m.runId, { stateDir })).toBe('nowatchdog');
  });

  it('a confirm after the fire says so (too late), and changes nothing', async () => {
    const { t, m, wd } = await armedDeploy(1);
    await waitFor(() => existsSync(path.join(wd, 'fired')));
    await sleep(300);
    expect(await confirmRun(t, m.runId, { stateDir })).toBe('fired');
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
  });

  it('race: a confirm sent right at the deadline never leaves both (confirmed and reverted) or neither', async () => {
    const rounds = Number(process.env.FLEET_RACE_ROUNDS ?? 12);
    const outcomes = await Promise.all(
      Array.from({ length: rounds }, async (_, k) => {
        const sub = path.join(dir, `r${k}`);
        const local = { stateDir: path.join(sub, 'state') };
        const t = new LocalTransport();
        const f = path.join(sub, 'x');
        const desired: DesiredResource[] = [{ role: 'routing', task: 'x', resource: { id: 'x', module: 'test', title: 'x', check: sh`[ -f ${f} ] || exit 1`, apply: sh`mkdir -p ${sub} && echo new > ${f}`, revert: sh`rm -f ${f}`, undo: sh`rm -f ${f}` } }];
        const plan = await planHost(t, desired, local);
        const m = meta();
        await applyHost(t, plan, m, local, { watchdog: { timeoutS: 1 } });
        const wd = path.join(local.stateDir, 'watchdog', m.runId);
        await waitFor(() => existsSync(path.join(wd, 'deadline')));
        const deadline = Number(readFileSync(path.join(wd, 'deadline'), 'utf8')) * 1000;
        // the deadline is whole epoch seconds: the watchdog wakes within the second after it;
        // spread the confirms over that second
        await sleep(Math.max(0, deadline - Date.now() + (k % 12) * 100));
        const confirmed = await confirmRun(t, m.runId, local);
        await sleep(1500);
        const st = readFileSync(path.join(local.stateDir, 'runs', m.runId, 'status'), 'utf8').trim();
        return { confirmed, present: existsSync(f), st, fired: existsSync(path.join(wd, 'fired')) };
      }),
    );
    // both sides of the race happened (else the test proved nothing); with 12 rounds spread over
    // the second, each side wins several
    expect(new Set(outcomes.map((o) => o.confirmed))).toEqual(new Set(['confirmed', 'fired']));
    process.stderr.write(`race: ${outcomes.filter((o) => o.confirmed === 'confirmed').length} confirmed, ${outcomes.filter((o) => o.confirmed === 'fired').length} fired\n`);
    for (const o of outcomes) {
      if (o.confirmed === 'confirmed') expect(o).toEqual({ confirmed: 'confirmed', present: true, st: 'complete', fired: false });
      else expect(o).toEqual({ confirmed: 'fired', present: false, st: 'rolled-back', fired: true });
    }
  }, 30_000);

  it('a failed step disarms it (the in-script rollback already reverted)', async () => {
    const t = new LocalTransport();
    const plan = await planHost(t, [fileRes('a'), fileRes('b')], { stateDir });
    const m = meta();
    const out = await applyHost(t, plan, m, { stateDir }, { watchdog: { timeoutS: 1 }, failStep: '2' });
    expect(out.failure).toBeDefined();
    expect(existsSync(path.join(stateDir, 'watchdog', m.runId))).toBe(false);
    expect(status(m.runId)).toBe('failed-rolled-back');
  });

  it('rollback --previous disarms it before reverting', async () => {
    const { t, pid, m } = await armedDeploy(30);
    const r = await revertRun(t, 'previous', { ...meta(), runId: newRunId() }, { stateDir });
    expect(r).toBeDefined();
    await waitFor(() => !alive(pid));
    expect(existsSync(path.join(stateDir, 'watchdog', m.runId))).toBe(false);
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
  });

  it('deployFleet: confirms over a new connection (connect + 1), or reports lost access and what came back', async () => {
    const host = { name: 'h1', vars: {}, connection: {} } as unknown as Host;
    const desired = new Map([['h1', [fileRes('a')]]]);
    let connects = 0;
    const ok = await deployFleet([host], desired, { roles: ['routing'], confirmTimeout: 5, scriptContext: { stateDir }, connect: async () => (connects++, new LocalTransport('h1')) });
    expect(ok[0]!.status).toBe('changed');
    expect(ok[0]!.confirm).toMatchObject({ result: 'confirmed', roundTrips: 1 });
    expect(connects).toBe(2);
    expect(ok[0]!.roundTrips).toBe(2);

    // the second connection fails once (locked out), then the host answers again
    rmSync(path.join(dir, 'a'));
    connects = 0;
    const lost = await deployFleet([host], new Map([['h1', [fileRes('a')]]]), {
      roles: ['routing'],
      confirmTimeout: 1,
      scriptContext: { stateDir },
      connect: async () => {
        connects++;
        if (connects === 2) throw new Error('connect ETIMEDOUT');
        return new LocalTransport('h1');
      },
    });
    const r = lost[0]!;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(/^lost access: reverting .*is back and equal to its pre-deploy state/);
    expect(r.confirm?.lostAccess).toMatchObject({ back: true, reverted: true, equalToBefore: true });
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
  }, 30_000);

  it('--no-confirm (no timeout) and resources that cannot cut access arm nothing', async () => {
    const host = { name: 'h1', vars: {}, connection: {} } as unknown as Host;
    let connects = 0;
    const connect = async () => (connects++, new LocalTransport('h1'));
    await deployFleet([host], new Map([['h1', [fileRes('a')]]]), { roles: ['routing'], scriptContext: { stateDir }, connect });
    await deployFleet([host], new Map([['h1', [fileRes('b', 'dnsmasq')]]]), { roles: ['dnsmasq'], confirmTimeout: 5, scriptContext: { stateDir }, connect });
    expect(connects).toBe(2);
    expect(existsSync(path.join(stateDir, 'watchdog'))).toBe(false);
  });
});
