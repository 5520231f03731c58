/**
 * The remote-script logic (plan, journal, apply, rollback, lock) run for real by /bin/sh on
 * synthetic resources that only touch a temp directory. Gateway resources are tested in the lab.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockError } from '../errors.js';
import type { Resource } from '../modules/types.js';
import type { DesiredResource } from '../roles/tasks.js';
import { raw, sh } from '../shell/sh.js';
import { LocalTransport } from '../transport/local.js';
import { applyHost } from './apply.js';
import { newRunId } from './layout.js';
import { planHost } from './plan.js';
import { revertRun, teardown } from './rollback.js';

let dir: string;
let stateDir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-engine-'));
  stateDir = path.join(dir, 'state');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** "file <name> holds <content>": revert restores the previous content, as the file module does. */
function fileRes(name: string, content = 'new'): DesiredResource {
  const f = path.join(dir, name);
  const resource: Resource = {
    id: `test:${name}`,
    module: 'test',
    title: `${name} = ${content}`,
    check: sh`[ -f ${f} ] || exit 1; [ "$(cat ${f})" = ${content} ] || { cat ${f}; exit 1; }`,
    apply: sh`if [ -f ${f} ]; then cp ${f} "$FLEET_STATE/old"; fi; printf %s ${content} > ${f}`,
    revert: sh`if [ -f "$FLEET_STATE/old" ]; then cp "$FLEET_STATE/old" ${f}; else rm -f ${f}; fi`,
    undo: sh`rm -f ${f}`,
  };
  return { role: 'packages', task: name, resource };
}

const meta = () => ({ runId: newRunId(), user: 'tester', controller: 'ctl', roles: ['test'] });
const read = (name: string) => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8') : undefined);

describe('plan', () => {
  it('checks every resource in one round trip and reports what is there instead', async () => {
    writeFileSync(path.join(dir, 'b'), 'old');
    const t = new LocalTransport();
    const desired = [fileRes('a'), fileRes('b'), fileRes('c', 'x')];
    writeFileSync(path.join(dir, 'c'), 'x');
    const plan = await planHost(t, desired, { stateDir });
    expect(t.roundTrips).toBe(1);
    expect(plan.items.map((i) => i.state)).toEqual(['change', 'change', 'ok']);
    expect(plan.items[1]!.current).toBe('old');
    expect(existsSync(stateDir)).toBe(false); // the plan writes nothing
  });

  it('reports a probe that exits outside the contract as an error, not as absent', async () => {
    const r = fileRes('a');
    r.resource.check = raw('echo boom >&2; exit 7');
    const plan = await planHost(new LocalTransport(), [r], { stateDir });
    expect(plan.items[0]!.state).toBe('error');
    expect(plan.items[0]!.error?.message).toMatch(/check exited 7: boom/);
  });

  it('round trips stay at one when the resources double', async () => {
    const t1 = new LocalTransport();
    await planHost(t1, Array.from({ length: 20 }, (_, i) => fileRes(`f${i}`)), { stateDir });
    const t2 = new LocalTransport();
    await planHost(t2, Array.from({ length: 40 }, (_, i) => fileRes(`f${i}`)), { stateDir });
    expect([t1.roundTrips, t2.roundTrips]).toEqual([1, 1]);
  });
});

describe('apply and rollback', () => {
  it('applies changes in one round trip, journals them, and converges', async () => {
    const t = new LocalTransport();
    const desired = [fileRes('a'), fileRes('b')];
    const plan = await planHost(t, desired, { stateDir });
    const m = meta();
    const out = await applyHost(t, plan, m, { stateDir });
    expect(out.failure).toBeUndefined();
    expect(out.steps.map((s) => s.outcome)).toEqual(['ok', 'ok']);
    expect(t.roundTrips).toBe(2);
    expect(read('a')).toBe('new');
    expect(readFileSync(path.join(stateDir, 'runs', m.runId, 'status'), 'utf8').trim()).toBe('complete');
    expect(readFileSync(path.join(stateDir, 'runs', m.runId, 'log'), 'utf8')).toBe('start 0\nok 0\nstart 1\nok 1\n');
    const again = await planHost(t, desired, { stateDir });
    expect(again.items.every((i) => i.state === 'ok')).toBe(true);
    expect(again.facts.lastSuccess?.run).toBe(m.runId);
  });

  it('a failing step reverts every started step in reverse and keeps what existed before', async () => {
    writeFileSync(path.join(dir, 'b'), 'old');
    const desired = [fileRes('a'), fileRes('b'), fileRes('c'), fileRes('d')];
    desired[2]!.resource.apply = raw('echo "no space left" >&2; exit 3');
    for (const d of desired) d.resource.revert = sh`echo ${d.resource.id} >> ${path.join(dir, 'order')}; ${d.resource.revert}`;
    const t = new LocalTransport();
    const plan = await planHost(t, desired, { stateDir });
    const out = await applyHost(t, plan, meta(), { stateDir });
    expect(out.failure).toMatchObject({ id: 'test:c', phase: 'apply', exitCode: 3 });
    expect(out.failure!.output).toMatch(/no space left/);
    expect(out.rollback).toBe('ok');
    expect(out.steps.map((s) => s.outcome)).toEqual(['ok', 'ok', 'fail', 'pending']);
    expect(readFileSync(path.join(dir, 'order'), 'utf8').trim().split('\n')).toEqual(['test:c', 'test:b', 'test:a']);
    expect([read('a'), read('b'), read('c'), read('d')]).toEqual([undefined, 'old', undefined, undefined]);
  });

  it('an injected failure after a successful apply is rolled back too (fault injection hook)', async () => {
    const desired = [fileRes('a'), fileRes('b')];
    const t = new LocalTransport();
    const plan = await planHost(t, desired, { stateDir });
    const out = await applyHost(t, plan, meta(), { stateDir }, { failStep: 'test:b' });
    expect(out.failure).toMatchObject({ id: 'test:b', exitCode: 97 });
    expect([read('a'), read('b')]).toEqual([undefined, undefined]);
  });

  it('a verify failure (apply exits 0 but the check still fails) rolls back', async () => {
    const desired = [fileRes('a'), fileRes('b')];
    desired[1]!.resource.apply = raw('true');
    const t = new LocalTransport();
    const out = await applyHost(t, await planHost(t, desired, { stateDir }), meta(), { stateDir });
    expect(out.failure).toMatchObject({ id: 'test:b', phase: 'verify' });
    expect(read('a')).toBeUndefined();
  });

  it('a run killed mid-apply leaves a journal; rollback --last finishes undoing it', async () => {
    const desired = [fileRes('a'), fileRes('b'), fileRes('c')];
    desired[1]!.resource.apply = sh`printf new > ${path.join(dir, 'b')}; kill -9 $$`;
    const t = new LocalTransport();
    const plan = await planHost(t, desired, { stateDir });
    await expect(applyHost(t, plan, meta(), { stateDir })).rejects.toThrow(/connection was lost mid-apply/);
    expect([read('a'), read('b')]).toEqual(['new', 'new']);
    const seen = await planHost(t, desired, { stateDir });
    expect(seen.facts.latest?.status).toBe('running');
    expect(seen.facts.lock?.state).toBe('stale');
    // a new deploy refuses while the stale lock and unfinished run are there
    await expect(applyHost(t, seen, meta(), { stateDir })).rejects.toBeInstanceOf(LockError);
    const broken = await applyHost(t, seen, meta(), { stateDir }, { breakLock: true });
    expect(broken.unfinished?.status).toBe('running');
    const r = await revertRun(t, 'last', meta(), { stateDir });
    expect(r).toMatchObject({ ok: true, undone: 2 });
    expect([read('a'), read('b'), read('c')]).toEqual([undefined, undefined, undefined]);
  });

  it('a live lock stops a second run and names its owner', async () => {
    mkdirSync(path.join(stateDir, 'lock'), { recursive: true });
    writeFileSync(path.join(stateDir, 'lock', 'owner'), `run=r1\npid=${process.pid}\nuser=alice\ncontroller=ctl1\nsince=2026-01-01T00:00:00Z\n`);
    const t = new LocalTransport();
    const plan = await planHost(t, [fileRes('a')], { stateDir });
    expect(plan.facts.lock).toMatchObject({ state: 'live', owner: { user: 'alice' } });
    await expect(applyHost(t, plan, meta(), { stateDir })).rejects.toThrow(/locked by run r1 \(alice@ctl1/);
    expect(read('a')).toBeUndefined();
  });

  it('rollback --previous undoes the last good deploy back to the state before it', async () => {
    writeFileSync(path.join(dir, 'a'), 'v1');
    const t = new LocalTransport();
    const desired = [fileRes('a', 'v2'), fileRes('b')];
    await applyHost(t, await planHost(t, desired, { stateDir }), meta(), { stateDir });
    expect([read('a'), read('b')]).toEqual(['v2', 'new']);
    const r = await revertRun(t, 'previous', meta(), { stateDir });
    expect(r.ok).toBe(true);
    expect([read('a'), read('b')]).toEqual(['v1', undefined]);
    const again = await revertRun(t, 'previous', meta(), { stateDir });
    expect(again.notApplicable).toMatch(/rolled-back/);
  });

  it('teardown undoes every resource in reverse, whatever was deployed', async () => {
    writeFileSync(path.join(dir, 'b'), 'partly');
    const desired = [fileRes('a'), fileRes('b'), fileRes('c')];
    const t = new LocalTransport();
    const r = await teardown(t, desired, meta(), { stateDir });
    expect(r).toMatchObject({ ok: true, undone: 3, failures: [] });
    expect(read('b')).toBeUndefined();
  });
});
