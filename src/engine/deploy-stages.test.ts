/**
 * deployFleet's gates and stages against the engine's real shell (local transport, synthetic
 * resources in a temp directory): each gate stops the host with its catalogued error and changes
 * nothing; --check and a converged host stop after the plan; a failed step's result carries its
 * error; fault injection comes in as an option.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Host } from '../inventory/index.js';
import type { Resource } from '../modules/types.js';
import type { DesiredResource } from '../roles/tasks.js';
import { raw, sh } from '../shell/sh.js';
import { LocalTransport } from '../transport/local.js';
import { gateError } from './deploy-stages.js';
import { deployFleet, type DeployOptions } from './fleet.js';
import { planHost } from './plan.js';

let dir: string;
let stateDir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-stages-'));
  stateDir = path.join(dir, 'state');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const host = { name: 'h1', vars: {}, connection: {} } as unknown as Host;

function fileRes(name: string): DesiredResource {
  const f = path.join(dir, name);
  const resource: Resource = { id: `test:${name}`, module: 'test', title: name, check: sh`[ -f ${f} ] || exit 1`, apply: sh`echo new > ${f}`, revert: sh`rm -f ${f}`, undo: sh`rm -f ${f}` };
  return { role: 'packages', task: name, resource };
}

async function deploy(desired: DesiredResource[], opts: Partial<DeployOptions> = {}) {
  let connects = 0;
  const [r] = await deployFleet([host], new Map([['h1', desired]]), { roles: ['packages'], scriptContext: { stateDir }, connect: async () => (connects++, new LocalTransport('h1')), ...opts });
  return { r: r!, connects };
}

function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('deployFleet gates', () => {
  it('a probe error stops the host (PROBE_FAILED) before anything changes', async () => {
    const broken = fileRes('b');
    broken.resource.check = raw('echo no tool >&2; exit 7');
    const { r } = await deploy([fileRes('a'), broken]);
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe('PROBE_FAILED');
    expect(r.roundTrips).toBe(1);
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
  });

  it('an unfinished run stops the host (RUN_UNFINISHED) with the way out', async () => {
    mkdirSync(path.join(stateDir, 'runs', '20260101T000000Z-aaaaaa'), { recursive: true });
    writeFileSync(path.join(stateDir, 'runs', '20260101T000000Z-aaaaaa', 'status'), 'interrupted\n');
    const { r } = await deploy([fileRes('a')]);
    expect(r.error?.code).toBe('RUN_UNFINISHED');
    expect(r.error?.message).toMatch(/run 20260101T000000Z-aaaaaa is unfinished \(interrupted\)/);
    expect(r.error?.hint).toMatch(/fleet rollback h1 --last/);
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
  });

  it('an earlier run\'s live watchdog stops the host (AWAITING_CONFIRMATION)', async () => {
    const wd = path.join(stateDir, 'watchdog', '20260101T000000Z-bbbbbb');
    mkdirSync(wd, { recursive: true });
    writeFileSync(path.join(wd, 'armed'), '');
    writeFileSync(path.join(wd, 'pid'), `${process.pid}\n`);
    writeFileSync(path.join(wd, 'start'), `${startTime(process.pid)}\n`);
    const { r } = await deploy([fileRes('a')]);
    expect(r.error?.code).toBe('AWAITING_CONFIRMATION');
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
    // the same watchdog with a reused pid is gone: it no longer blocks
    writeFileSync(path.join(wd, 'start'), '1\n');
    expect((await deploy([fileRes('a')])).r.status).toBe('changed');
  });

  it('gateError passes a clean plan', async () => {
    const plan = await planHost(new LocalTransport(), [fileRes('a')], { stateDir });
    expect(gateError('h1', plan)).toBeUndefined();
  });
});

describe('deployFleet stages', () => {
  it('--check and a converged host stop after the plan (one round trip)', async () => {
    const check = await deploy([fileRes('a')], { check: true });
    expect([check.r.status, check.r.roundTrips, existsSync(path.join(dir, 'a'))]).toEqual(['changed', 1, false]);
    expect((await deploy([fileRes('a')])).r.status).toBe('changed');
    const again = await deploy([fileRes('a')]);
    expect([again.r.status, again.r.roundTrips]).toEqual(['ok', 1]);
  });

  it('a failed step: the result carries the step\'s error; fault injection is an option', async () => {
    const { r } = await deploy([fileRes('a'), fileRes('b')], { faults: { failStep: 'test:b' } });
    expect(r.status).toBe('failed');
    expect(r.apply?.failure).toMatchObject({ id: 'test:b', exitCode: 97 });
    expect(r.error?.code).toBe('REMOTE_COMMAND_FAILED');
    expect(r.error?.message).toMatch(/^h1 test:b: exit 97: .*injected failure/);
    expect(r.apply?.failure?.error).toBe(r.error);
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
  });
});
