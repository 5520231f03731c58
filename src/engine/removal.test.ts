/**
 * Removals run for real by /bin/sh on resources in a temp directory: what a deploy applied and a
 * later one no longer wants is planned as a removal, removed through the journal, put back by a
 * failed step's rollback and by rollback --previous; a declared `absent` resource likewise.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderResource } from '../modules/index.js';
import type { Resource } from '../modules/types.js';
import type { DesiredResource } from '../roles/tasks.js';
import { sh } from '../shell/sh.js';
import { LocalTransport } from '../transport/local.js';
import { applyHost } from './apply.js';
import { NO_LONGER_WANTED, orderWithRemovals } from './applied.js';
import { newRunId } from './layout.js';
import { changes, planHost, type PlanItem } from './plan.js';
import { removalFragments, removalResource } from './removal.js';
import { revertRun, teardown } from './rollback.js';

let dir: string;
let stateDir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-removal-'));
  stateDir = path.join(dir, 'state');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ROLES = ['namespace', 'firewall', 'openvpn', 'provider-wireguard'];
// Run ids sort by their second: each run here a second later than the one before.
let runs = 0;
const meta = () => ({ runId: newRunId(new Date(Date.now() + 1000 * ++runs)), user: 'tester', controller: 'ctl', roles: ROLES });
const p = (name: string) => path.join(dir, name);
const read = (name: string) => (existsSync(p(name)) ? readFileSync(p(name), 'utf8') : undefined);

/** A real file resource (the module's own removal: the file is kept and copied back). */
function fileRes(role: string, name: string, content: string, secret = false): DesiredResource {
  return { role, task: `file ${name}`, resource: renderResource('file', { path: p(name), content, mode: '0640', secret }) };
}

/** A resource without kept files: its removal is its undo, its revert its apply. */
function markerRes(role: string, name: string): DesiredResource {
  const f = p(name);
  const resource: Resource = {
    id: `test:${name}`,
    module: 'test',
    title: `marker ${name}`,
    check: sh`[ -f ${f} ] || exit 1`,
    apply: sh`: > ${f}`,
    revert: sh`rm -f ${f}`,
    undo: sh`rm -f ${f}`,
  };
  return { role, task: `marker ${name}`, resource };
}

async function deploy(t: LocalTransport, desired: DesiredResource[], failStep?: string) {
  const plan = await planHost(t, desired, { stateDir }, undefined, { prune: ROLES });
  const out = await applyHost(t, plan, meta(), { stateDir }, { failStep });
  return { plan, out };
}

const removals = (items: PlanItem[]) => items.filter((i) => i.desired.removal !== undefined && i.state === 'change').map((i) => i.desired.resource.id);

describe('removals of what an earlier deploy applied', () => {
  it('plans them, changes nothing on a check, removes them, and a rollback --previous puts them back', async () => {
    const t = new LocalTransport();
    const keep = markerRes('firewall', 'keep');
    const old = [fileRes('openvpn', 'provider.conf', 'secret stuff\n', true), markerRes('openvpn', 'daemon')];
    await deploy(t, [keep, ...old]);

    const plan = await planHost(t, [keep], { stateDir }, undefined, { prune: ROLES });
    expect(removals(plan.items)).toEqual([`test:daemon`, `file:${p('provider.conf')}`]);
    const item = plan.items.find((i) => i.desired.resource.id === 'test:daemon')!;
    expect(item.because).toBe(NO_LONGER_WANTED);
    expect(item.desired.role).toBe('openvpn');
    // the plan alone removed nothing
    expect(read('provider.conf')).toBe('secret stuff\n');
    expect(existsSync(p('daemon'))).toBe(true);

    const { out } = await deploy(t, [keep]);
    expect(out.failure).toBeUndefined();
    expect(existsSync(p('provider.conf'))).toBe(false);
    expect(existsSync(p('daemon'))).toBe(false);
    // converged: nothing left to remove
    const again = await planHost(t, [keep], { stateDir }, undefined, { prune: ROLES });
    expect(changes(again)).toEqual([]);

    // a confirmed secret file's backup is purged with the run (it stays removed); the rest comes back
    const back = await revertRun(t, 'previous', meta(), { stateDir });
    expect(back.ok).toBe(true);
    expect(existsSync(p('daemon'))).toBe(true);
    expect(back.kept).toHaveLength(1);
    // the record is back as it was: the next plan removes the daemon again
    const after = await planHost(t, [keep], { stateDir }, undefined, { prune: ROLES });
    expect(removals(after.items)).toEqual(['test:daemon']);
  });

  it('a fault at any step, a removal included, leaves the files exactly as they were', async () => {
    const t = new LocalTransport();
    const keep = markerRes('firewall', 'keep');
    // the daemon starts only with its config there: its revert must come after the config's
    const daemon = markerRes('openvpn', 'daemon');
    daemon.resource.apply = sh`[ -f ${p('provider.conf')} ] && : > ${p('daemon')}`;
    const first = [keep, fileRes('openvpn', 'provider.conf', 'plain\n'), daemon];
    await deploy(t, first);
    chmodSync(p('provider.conf'), 0o600);
    const before = statSync(p('provider.conf'));
    const next = [keep, markerRes('provider-wireguard', 'wg')];
    const plan = await planHost(t, next, { stateDir }, undefined, { prune: ROLES });
    const todo = changes(plan).map((i) => i.desired.resource.id);
    expect(todo).toEqual(['test:daemon', `file:${p('provider.conf')}`, 'test:wg']);
    for (let n = 1; n <= todo.length; n++) {
      const { out } = await deploy(t, next, String(n));
      expect(out.failure?.index, `fault at step ${n}`).toBeDefined();
      expect(out.rollback).toBe('ok');
      expect(read('provider.conf')).toBe('plain\n');
      const now = statSync(p('provider.conf'));
      expect([now.mode, now.mtimeMs]).toEqual([before.mode, before.mtimeMs]);
      expect(existsSync(p('daemon'))).toBe(true);
      expect(existsSync(p('wg'))).toBe(false);
    }
    // and the record still says what the host holds
    expect(removals((await planHost(t, next, { stateDir }, undefined, { prune: ROLES })).items)).toEqual(['test:daemon', `file:${p('provider.conf')}`]);
  });

  it('a step that held at plan time is re-checked after a removal that takes it away (as OpenVPN deletes its server route)', async () => {
    const t = new LocalTransport();
    const shared = markerRes('provider-wireguard', 'route');
    const daemon = markerRes('openvpn', 'daemon');
    // like OpenVPN: it takes the route with it when it stops, and adds it when it starts
    daemon.resource.undo = sh`rm -f ${p('daemon')} ${p('route')}`;
    daemon.resource.apply = sh`: > ${p('daemon')}; : > ${p('route')}`;
    await deploy(t, [shared, daemon]);
    const { plan, out } = await deploy(t, [shared]);
    expect(changes(plan).map((i) => i.desired.resource.id)).toEqual(['test:daemon']);
    expect(out.steps.map((s) => [s.item.desired.resource.id, s.outcome])).toEqual([
      ['test:daemon', 'ok'],
      ['test:route', 'ok'],
    ]);
    expect(existsSync(p('route'))).toBe(true);
    // a fault at the removal: the skipped or re-applied steps are put back as they were
    await deploy(t, [shared, daemon]);
    const failed = await deploy(t, [shared], '1');
    expect(failed.out.rollback).toBe('ok');
    expect([existsSync(p('route')), existsSync(p('daemon'))]).toEqual([true, true]);
  });

  it('a unit enabled only where systemd runs is not "there" on a host without it: nothing to remove', async () => {
    const t = new LocalTransport();
    const unit: DesiredResource = {
      role: 'openvpn',
      task: 'client at boot',
      resource: renderResource('systemd-unit-enabled', { unit: 'fleet-removal-test@none', onlyWithSystemd: true }),
    };
    await deploy(t, [unit]);
    const { plan, out } = await deploy(t, []);
    expect(changes(plan)).toEqual([]);
    expect(out.failure).toBeUndefined();
  });

  it('a plan without prune (a command that plans a part of the gateway) never removes anything', async () => {
    const t = new LocalTransport();
    await deploy(t, [markerRes('openvpn', 'daemon')]);
    const plan = await planHost(t, [], { stateDir });
    expect(plan.items).toEqual([]);
    // and a deploy of other roles leaves this role's record alone
    const other = await planHost(t, [], { stateDir }, undefined, { prune: ['firewall'] });
    expect(other.items).toEqual([]);
  });
});

describe('a teardown', () => {
  it('also undoes what an earlier deploy applied and the inventory no longer names, and forgets the record', async () => {
    const t = new LocalTransport();
    const keep = markerRes('firewall', 'keep');
    await deploy(t, [keep, markerRes('openvpn', 'daemon')]);
    const td = await teardown(t, [keep], meta(), { stateDir });
    expect([td.ok, td.failures]).toEqual([true, []]);
    expect([existsSync(p('keep')), existsSync(p('daemon')), existsSync(path.join(stateDir, 'applied'))]).toEqual([false, false, false]);
  });
});

describe('a declared removal', () => {
  it('is a step that holds once the thing is gone, and reverts by putting it back', async () => {
    const t = new LocalTransport();
    writeFileSync(p('legacy.conf'), 'old\n');
    const r = renderResource('file', { path: p('legacy.conf'), content: '', mode: '0600' });
    const absent: DesiredResource = { role: 'openvpn', task: 'no legacy config', resource: removalResource(r, removalFragments(r)!), removal: 'no legacy config' };
    const plan = await planHost(t, [absent], { stateDir }, undefined, { prune: ROLES });
    expect(plan.items.map((i) => [i.state, i.because])).toEqual([['change', 'no legacy config']]);
    const failed = await applyHost(t, plan, meta(), { stateDir }, { failStep: '1' });
    expect(failed.rollback).toBe('ok');
    expect(read('legacy.conf')).toBe('old\n');
    await deploy(t, [absent]);
    expect(existsSync(p('legacy.conf'))).toBe(false);
    expect(changes(await planHost(t, [absent], { stateDir }, undefined, { prune: ROLES }))).toEqual([]);
  });
});

describe('where removals run', () => {
  const item = (role: string, id: string, removal = false): PlanItem => ({
    index: 0,
    state: 'change',
    current: '',
    desired: { role, task: id, resource: { id } as Resource, ...(removal ? { removal: NO_LONGER_WANTED } : {}) },
  });
  const order = ['namespace', 'firewall', 'openvpn', 'provider-wireguard', 'metrics'];
  const ids = (items: PlanItem[]) => items.map((i) => i.desired.resource.id);

  it('a changed role removes after it adds; a role that goes is removed before the one that comes', () => {
    const desired = [item('namespace', 'ns'), item('firewall', 'ks-wg'), item('provider-wireguard', 'wg'), item('metrics', 'm')];
    // recorded in apply order; the plan reverses them within a role
    const found = { recorded: new Map(['namespace', 'firewall', 'openvpn', 'metrics'].map((r) => [r, 'x'])), items: [item('namespace', 'route-ovpn', true), item('firewall', 'ks-tun0', true), item('openvpn', 'config', true), item('openvpn', 'daemon', true)] };
    expect(ids(orderWithRemovals(desired, found, order))).toEqual(['ns', 'route-ovpn', 'ks-wg', 'ks-tun0', 'daemon', 'config', 'wg', 'm']);
    // switching back: the WireGuard role goes before OpenVPN's first step, whatever the role order
    const back = [item('namespace', 'ns'), item('firewall', 'ks-tun0'), item('openvpn', 'config'), item('openvpn', 'daemon')];
    const foundBack = { recorded: new Map(['namespace', 'firewall', 'provider-wireguard'].map((r) => [r, 'x'])), items: [item('firewall', 'ks-wg', true), item('provider-wireguard', 'wg', true), item('provider-wireguard', 'route', true)] };
    expect(ids(orderWithRemovals(back, foundBack, order))).toEqual(['ns', 'ks-tun0', 'ks-wg', 'route', 'wg', 'config', 'daemon']);
  });
});
