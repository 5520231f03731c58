/**
 * A step that carries a vaulted value: its journal entry (id, secret mark, where its revert goes),
 * rendered from real modules; then for real, by /bin/sh on synthetic resources in a temp
 * directory: after a complete run, a confirmed one and one a fault rolled back, nothing under the
 * state directory holds the value, and the rollback still restored what was there.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { revealVaultValue } from '../../inventory/mask.js';
import { vaultedValues, type VaultedValue } from '../../inventory/vaulted.js';
import { renderResource } from '../../modules/index.js';
import type { Resource } from '../../modules/types.js';
import type { DesiredResource } from '../../roles/tasks.js';
import { sh } from '../../shell/sh.js';
import { LocalTransport } from '../../transport/local.js';
import { applyHost, type ApplyOptions } from '../apply.js';
import { appliedLine } from '../applied.js';
import { newRunId } from '../layout.js';
import { planHost } from '../plan.js';
import { confirmRun } from '../watchdog.js';
import { hideVaulted, journalEntry, SECRET_REVERT } from './vaulted-steps.js';

const IP = '203.0.113.77';
const VPN: VaultedValue = { text: IP, name: 'vpn_server_ip' };

describe('the journal entry of a step', () => {
  const route = renderResource('ip-route', { destination: `${IP}/32`, via: '10.200.0.1', dev: 'veth-ns', netns: 'vpn' });

  it('a route to a vaulted address: the variable in the id, a secret step, the revert kept with the backups', () => {
    expect(route.id).toContain(IP);
    const e = journalEntry(route, [VPN]);
    expect(e).toEqual({ id: 'ip-route:vpn:<vault:vpn_server_ip> table main', secret: true, revertInState: true });
  });

  it('a step without the value is journaled as it is', () => {
    const other = renderResource('ip-route', { destination: '10.4.0.0/24', via: '10.200.0.1', netns: 'vpn' });
    expect(journalEntry(other, [VPN])).toEqual({ id: other.id, secret: false, revertInState: false });
    expect(journalEntry(route, [])).toEqual({ id: route.id, secret: false, revertInState: false });
  });

  it('a file whose content holds it (shell-quoted too): secret, its revert (no content) stays in place', () => {
    const quoted: VaultedValue = { text: "it's a secret", name: 'motd' };
    const f = renderResource('file', { path: '/etc/fleet/x.conf', content: `greeting=${quoted.text}\n`, mode: '0644' });
    expect(journalEntry(f, [quoted])).toEqual({ id: 'file:/etc/fleet/x.conf', secret: true, revertInState: false });
  });

  it('what a run applied is recorded without it (the record is fleet state): no automatic removal of that step', () => {
    const d = { role: 'namespace', task: 'route to the OpenVPN server around the tunnel', resource: route } as const;
    expect(appliedLine(d)).toBeDefined();
    expect(appliedLine(d, [VPN])).toBeUndefined();
  });

  it('hideVaulted replaces every occurrence, longest value first', () => {
    const vaulted = [
      { text: 'secret-long', name: 'a' },
      { text: 'secret', name: 'b' },
    ];
    expect(hideVaulted('x secret-long y secret', vaulted)).toBe('x <vault:a> y <vault:b>');
  });
});

describe('vaultedValues', () => {
  it('finds the decrypted values in a host\'s variables by where they are, longest first, short ones left out', () => {
    revealVaultValue('198.51.100.99', '$ANSIBLE_VAULT;1.1;AES256\n00');
    revealVaultValue({ name: 'peer-from-vault', pin: '22' });
    const vars = { vpn_server_ip: '198.51.100.99', wg_port: 22, wg_peers: [{ name: 'peer-from-vault', public_key: 'k' }], other: 'plain' };
    expect(vaultedValues(vars)).toEqual([
      { text: 'peer-from-vault', name: 'wg_peers[0].name' },
      { text: '198.51.100.99', name: 'vpn_server_ip' },
    ]);
  });
});

let dir: string;
let stateDir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-vaulted-'));
  stateDir = path.join(dir, 'state');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ctx = () => ({ stateDir });
const meta = () => ({ runId: newRunId(), user: 'tester', controller: 'ctl', roles: ['test'] });

/** A "route" to IP: a file named after the resource holding IP; its revert deletes it only while it holds IP (it needs the value). */
function routeTo(name: string, value = IP): DesiredResource {
  const f = path.join(dir, name);
  const resource: Resource = {
    id: `test:${name} to ${value}`,
    module: 'test',
    title: name,
    check: sh`[ "$(cat ${f} 2>/dev/null)" = ${value} ] || exit 1`,
    apply: sh`if [ -f ${f} ]; then cp ${f} "$FLEET_STATE/old"; fi; printf %s ${value} > ${f}`,
    revert: sh`if [ -f "$FLEET_STATE/old" ]; then cp "$FLEET_STATE/old" ${f}; elif [ "$(cat ${f} 2>/dev/null)" = ${value} ]; then rm -f ${f}; fi`,
    undo: sh`rm -f ${f}`,
    reachability: true,
  };
  return { role: 'routing', task: name, resource };
}

/** Files under the state directory that hold IP. */
function stateHolding(value = IP): string[] {
  try {
    return execFileSync('grep', ['-rlF', value, stateDir], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function apply(desired: DesiredResource[], opts: ApplyOptions = {}) {
  const t = new LocalTransport();
  const m = meta();
  const out = await applyHost(t, await planHost(t, desired, ctx()), m, ctx(), { vaulted: [VPN], ...opts });
  return { t, m, out, steps: path.join(stateDir, 'runs', m.runId, 'steps') };
}

describe('on the host', () => {
  it('control: without the mark the journal holds the value', async () => {
    await apply([routeTo('r1')], { vaulted: [] });
    expect(stateHolding().length).toBeGreaterThan(0);
  });

  it('a complete run keeps no value: the id names the variable, the revert and the backup are gone', async () => {
    writeFileSync(path.join(dir, 'r1'), `old ${IP}`);
    const { out, steps } = await apply([routeTo('r1'), routeTo('r2', 'plain')]);
    expect(out.failure).toBeUndefined();
    expect(stateHolding()).toEqual([]);
    expect(readFileSync(path.join(steps, '0', 'id'), 'utf8')).toBe('test:r1 to <vault:vpn_server_ip>\n');
    expect(existsSync(path.join(steps, '0', 'state'))).toBe(false);
    expect(readFileSync(path.join(steps, '1', 'id'), 'utf8')).toBe('test:r2 to plain\n');
  });

  it('a fault after the step reverts it from the side file, exactly, and then purges it', async () => {
    writeFileSync(path.join(dir, 'r1'), `old ${IP}`);
    const { out } = await apply([routeTo('r1'), routeTo('r2'), routeTo('r3', 'plain')], { failStep: '3' });
    expect(out.failure?.index).toBe(2);
    expect(out.rollback).toBe('ok');
    expect(readFileSync(path.join(dir, 'r1'), 'utf8')).toBe(`old ${IP}`);
    expect(existsSync(path.join(dir, 'r2'))).toBe(false);
    expect(existsSync(path.join(dir, 'r3'))).toBe(false);
    expect(stateHolding()).toEqual([]);
  });

  it('with a watchdog the revert waits, 0600, until the confirm; then nothing is left', async () => {
    const { t, m, out, steps } = await apply([routeTo('r1')], { watchdog: { timeoutS: 30 } });
    expect(out.watchdogArmed).toBe(true);
    const pid = Number(readFileSync(path.join(stateDir, 'watchdog', m.runId, 'pid'), 'utf8'));
    try {
      const side = path.join(steps, '0', 'state', SECRET_REVERT);
      expect(statSync(side).mode & 0o777).toBe(0o600);
      expect(stateHolding()).toEqual([side]);
      expect(readFileSync(path.join(steps, '0', 'revert.sh'), 'utf8')).toBe(`. "$FLEET_STATE/${SECRET_REVERT}"\n`);
      expect(await confirmRun(t, m.runId, ctx())).toBe('confirmed');
      expect(stateHolding()).toEqual([]);
    } finally {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
});
