/**
 * The host lock's liveness and what the journal keeps, run for real by /bin/sh on synthetic
 * resources in a temp directory: --break-lock breaks only a dead owner's lock; a pid reused by
 * another process is a dead owner (the pid's start time is recorded and compared); secret backups
 * go once a run is confirmed; teardown leaves no run state; the history is bounded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockError } from '../errors.js';
import type { Host } from '../inventory/index.js';
import type { Resource } from '../modules/types.js';
import type { DesiredResource } from '../roles/tasks.js';
import { sh } from '../shell/sh.js';
import { LocalTransport } from '../transport/local.js';
import { applyHost } from './apply.js';
import { deployFleet } from './fleet.js';
import { newRunId, RUN_HISTORY } from './layout.js';
import { planHost } from './plan.js';
import { revertRun, teardown } from './rollback.js';
import { statusTable } from '../report/status.js';
import type { HostStatusReport } from './status.js';
import { confirmRun, watchdogScript } from './watchdog.js';

let dir: string;
let stateDir: string;
const started: number[] = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-lock-'));
  stateDir = path.join(dir, 'state');
});
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ctx = () => ({ stateDir });
const meta = () => ({ runId: newRunId(), user: 'tester', controller: 'ctl', roles: ['test'] });
const read = (f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8') : undefined);

function fileRes(name: string, content = 'new', opts: { secret?: boolean; role?: string } = {}): DesiredResource {
  const f = path.join(dir, name);
  const resource: Resource = {
    id: `test:${name}`,
    module: 'test',
    title: name,
    check: sh`[ -f ${f} ] && [ "$(cat ${f})" = ${content} ] || exit 1`,
    apply: sh`if [ -f ${f} ]; then cp ${f} "$FLEET_STATE/old"; fi; printf %s ${content} > ${f}`,
    revert: sh`if [ -f "$FLEET_STATE/old" ]; then cp "$FLEET_STATE/old" ${f}; else rm -f ${f}; fi`,
    undo: sh`rm -f ${f}`,
    ...(opts.secret ? { secret: true } : {}),
  };
  return { role: (opts.role ?? 'packages') as DesiredResource['role'], task: name, resource };
}

/** This process's start time, /proc/PID/stat field 22 (after the parenthesised command). */
function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

function lockBy(pid: number, start: string | undefined): string {
  mkdirSync(path.join(stateDir, 'lock'), { recursive: true });
  const owner = `run=r1\npid=${pid}\n${start === undefined ? '' : `start=${start}\n`}user=alice\ncontroller=ctl1\nsince=2026-01-01T00:00:00Z\n`;
  writeFileSync(path.join(stateDir, 'lock', 'owner'), owner);
  return owner;
}

/** A pid that no process holds any more. */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

const runs = () => readdirSync(path.join(stateDir, 'runs')).sort();

describe('--break-lock', () => {
  it('refuses a lock whose owner is alive, and says so; nothing changes', async () => {
    const owner = lockBy(process.pid, startTime(process.pid));
    const t = new LocalTransport();
    const plan = await planHost(t, [fileRes('a')], ctx());
    expect(plan.facts.lock?.state).toBe('live');
    const err = await applyHost(t, plan, meta(), ctx(), { breakLock: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as LockError).message).toMatch(/locked by run r1 \(alice@ctl1.*--break-lock refused: its owner \(pid \d+\) is alive/);
    expect(readFileSync(path.join(stateDir, 'lock', 'owner'), 'utf8')).toBe(owner);
    expect(read('a')).toBeUndefined();

    // the deploy's own gate says the same before any apply
    const host = { name: 'h1', vars: {}, connection: {} } as unknown as Host;
    const [r] = await deployFleet([host], new Map([['h1', [fileRes('a')]]]), { roles: ['packages'], breakLock: true, scriptContext: ctx(), connect: async () => new LocalTransport('h1') });
    expect(r!.status).toBe('failed');
    expect(r!.error?.message).toMatch(/--break-lock refused: its owner \(pid \d+\) is alive/);
    expect(r!.error?.hint).toMatch(/only a lock whose owner is dead/);
    expect(read('a')).toBeUndefined();

    // rollback and teardown refuse it too
    await expect(revertRun(t, 'last', meta(), ctx(), { breakLock: true })).rejects.toThrow(/--break-lock refused/);
    await expect(teardown(t, [fileRes('a')], meta(), ctx(), { breakLock: true })).rejects.toThrow(/--break-lock refused/);
  });

  it('breaks a dead owner\'s lock and says whose it was', async () => {
    lockBy(deadPid(), undefined);
    const t = new LocalTransport();
    const plan = await planHost(t, [fileRes('a')], ctx());
    expect(plan.facts.lock?.state).toBe('stale');
    const out = await applyHost(t, plan, meta(), ctx(), { breakLock: true });
    expect(out.brokeLock).toMatchObject({ run: 'r1', user: 'alice' });
    expect(read('a')).toBe('new');
    expect(existsSync(path.join(stateDir, 'lock'))).toBe(false);
  });
});

describe('liveness by pid and start time', () => {
  it('a lock whose pid now belongs to another process is stale, and --break-lock breaks it', async () => {
    lockBy(process.pid, '1'); // our pid, but not the process that took the lock
    const t = new LocalTransport();
    const plan = await planHost(t, [fileRes('a')], ctx());
    expect(plan.facts.lock?.state).toBe('stale');
    const out = await applyHost(t, plan, meta(), ctx(), { breakLock: true });
    expect(out.brokeLock?.run).toBe('r1');
    expect(read('a')).toBe('new');
  });

  it('the lock records its owner\'s start time', async () => {
    const t = new LocalTransport();
    // an apply that pauses while the lock is held: read the owner record meanwhile
    const plan = await planHost(t, [fileRes('a')], ctx());
    const running = applyHost(t, plan, meta(), ctx(), { pauseStep: '1:2' });
    let owner = '';
    for (let i = 0; i < 100 && !owner.includes('since='); i++, await sleep(20)) owner = existsSync(path.join(stateDir, 'lock', 'owner')) ? readFileSync(path.join(stateDir, 'lock', 'owner'), 'utf8') : '';
    const pid = Number(/^pid=(\d+)$/m.exec(owner)?.[1]);
    expect(/^start=(\d+)$/m.exec(owner)?.[1]).toBe(startTime(pid));
    await running;
  });

  it('a watchdog whose apply pid was reused does not wait for the stranger: it fires', async () => {
    const m = meta();
    const run = path.join(stateDir, 'runs', m.runId);
    const wd = path.join(stateDir, 'watchdog', m.runId);
    mkdirSync(path.join(run, 'steps'), { recursive: true });
    mkdirSync(wd, { recursive: true });
    writeFileSync(path.join(run, 'status'), 'complete\n');
    writeFileSync(path.join(run, 'log'), '');
    writeFileSync(path.join(wd, 'armed'), '');
    const script = watchdogScript({ token: '@@fleet-test', stateDir }, m.runId, 1);
    // $1 is a live pid (this test's), $2 not its start time: the apply that armed it is gone
    const child = spawn('sh', ['-s', String(process.pid), '1'], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    started.push(child.pid!);
    child.stdin.end(script.text);
    for (let i = 0; i < 250 && !existsSync(path.join(wd, 'fired')); i++) await sleep(20);
    expect(existsSync(path.join(wd, 'fired'))).toBe(true);
    await sleep(300);
    expect(readFileSync(path.join(run, 'status'), 'utf8').trim()).toBe('rolled-back');
  }, 15_000);
});

describe('what the journal keeps', () => {
  it('a secret step\'s backup goes once the run is complete; a later --previous leaves that file as deployed', async () => {
    writeFileSync(path.join(dir, 'key'), 'old-secret');
    writeFileSync(path.join(dir, 'conf'), 'old-conf');
    const t = new LocalTransport();
    const m = meta();
    const desired = [fileRes('key', 'new-secret', { secret: true }), fileRes('conf', 'new-conf')];
    await applyHost(t, await planHost(t, desired, ctx()), m, ctx());
    const steps = path.join(stateDir, 'runs', m.runId, 'steps');
    expect(existsSync(path.join(steps, '0', 'state'))).toBe(false);
    expect(readFileSync(path.join(steps, '1', 'state', 'old'), 'utf8')).toBe('old-conf');
    const r = await revertRun(t, 'previous', meta(), ctx());
    expect(r).toMatchObject({ ok: true, undone: 1, kept: ['0'] });
    expect([read('key'), read('conf')]).toEqual(['new-secret', 'old-conf']);
  });

  it('with a watchdog the secret backup stays until the confirm, then goes', async () => {
    writeFileSync(path.join(dir, 'key'), 'old-secret');
    const t = new LocalTransport();
    const m = meta();
    const out = await applyHost(t, await planHost(t, [fileRes('key', 'new-secret', { secret: true, role: 'routing' })], ctx()), m, ctx(), { watchdog: { timeoutS: 30 } });
    expect(out.watchdogArmed).toBe(true);
    started.push(Number(readFileSync(path.join(stateDir, 'watchdog', m.runId, 'pid'), 'utf8')));
    const state = path.join(stateDir, 'runs', m.runId, 'steps', '0', 'state');
    expect(readFileSync(path.join(state, 'old'), 'utf8')).toBe('old-secret');
    expect(await confirmRun(t, m.runId, ctx())).toBe('confirmed');
    expect(existsSync(state)).toBe(false);
  });

  it('the run history is bounded: the newest runs stay, status can say how many', async () => {
    const t = new LocalTransport();
    const ids: string[] = [];
    for (let i = 0; i < RUN_HISTORY + 3; i++) {
      const m = { ...meta(), runId: `20260101T0000${String(i).padStart(2, '0')}Z-test` };
      ids.push(m.runId);
      await applyHost(t, await planHost(t, [fileRes('a', `v${i}`)], ctx()), m, ctx());
    }
    expect(runs()).toEqual(ids.slice(-RUN_HISTORY));
    const facts = (await planHost(t, [fileRes('a')], ctx())).facts;
    expect(facts.runsKept).toBe(RUN_HISTORY);
    const report: HostStatusReport = {
      host: 'h1',
      reachable: true,
      health: { wg: { up: true, peers: [] }, openvpn: { running: true, tun: { up: true } }, dnsmasq: { running: true, answering: true } },
      drift: { count: 0, items: [] },
      journal: { ...facts, unfinished: false },
      healthy: true,
      inSync: true,
      roundTrips: 1,
      seconds: 0,
    };
    expect(statusTable([report], { verbose: true })).toContain(`h1 journal: ${RUN_HISTORY} run(s) kept`);
  });

  it('teardown removes every run\'s state, backups and watchdogs included', async () => {
    writeFileSync(path.join(dir, 'key'), 'old-secret');
    const t = new LocalTransport();
    await applyHost(t, await planHost(t, [fileRes('conf', 'v1')], ctx()), meta(), ctx());
    await applyHost(t, await planHost(t, [fileRes('key', 'new-secret', { secret: true, role: 'routing' }), fileRes('conf', 'v2')], ctx()), meta(), ctx(), { watchdog: { timeoutS: 30 } });
    const tm = meta();
    const r = await teardown(t, [fileRes('key'), fileRes('conf')], tm, ctx());
    expect(r.ok).toBe(true);
    expect(runs()).toEqual([tm.runId]);
    expect(existsSync(path.join(stateDir, 'runs', tm.runId, 'steps'))).toBe(true);
    expect(readdirSync(path.join(stateDir, 'runs', tm.runId, 'steps'))).toEqual([]);
    expect(existsSync(path.join(stateDir, 'watchdog'))).toBe(false);
    expect((await planHost(t, [fileRes('a')], ctx())).facts.runsKept).toBe(1);
  });
});
