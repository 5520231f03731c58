/**
 * The lab bastion (`lab up --bastion`): the gateways are reachable only through a jump host, and
 * fleet reaches them through it the three ways operators write it: `ansible_ssh_common_args:
 * -o ProxyJump=...`, `proxy_jump`, and an ~/.ssh/config alias. One TCP connection to the bastion
 * serves every gateway of a run (counted in the bastion's sshd log); a wrong bastion host key
 * stops every gateway behind it, naming the bastion, with nothing changed on them.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bastionConnections, tcpOpenFromBastion } from '../../src/lab/bastion.js';
import { tcpOpen } from '../../src/lab/gateway.js';
import { runOk } from '../../src/lab/run.js';
import { fleetCli } from './cli.js';
import { gatewayExec, snapshotGateway, sshRun, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let tmp: string;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 3, bastion: true, fresh: true }, suite);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-bastion-'));
});
afterAll(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  await teardownLab();
});

/** The lab's inventory without its proxy_jump, changed by `edit`, written to the temp dir. */
function inventory(name: string, edit: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(readFileSync(lab.inventory, 'utf8'));
  doc.deleteIn(['all', 'vars', 'proxy_jump']);
  edit(doc);
  const file = path.join(tmp, `${name}.yaml`);
  writeFileSync(file, String(doc));
  return file;
}

/** Runs `fn` and returns what it gave and the TCP connections the bastion accepted meanwhile. */
async function counting<T>(fn: () => Promise<T>): Promise<{ result: T; connections: number }> {
  const before = bastionConnections(lab.bastion!.logPath).length;
  const result = await fn();
  return { result, connections: bastionConnections(lab.bastion!.logPath).length - before };
}

const hostsOf = (json: any): Record<string, string> => Object.fromEntries((json?.hosts ?? []).map((h: any) => [h.host, h.status]));

/** Is the deployed WireGuard interface up on the gateway (checked inside it, not over SSH)? */
async function deployed(gw: string): Promise<boolean> {
  return (await gatewayExec(lab, gw, 'ip link show wg0')).code === 0;
}

describe('lab up --bastion', () => {
  it('the controller reaches the bastion, and the gateways only through it', async () => {
    expect(lab.bastion).toMatchObject({ ip: '198.51.100.4', jump: 'root@198.51.100.4:22' });
    expect(await tcpOpen(lab.bastion!.ip, 22)).toBe(true);
    for (const g of lab.gateways) {
      expect(await tcpOpenFromBastion(g.wanIp, g.sshPort)).toBe(true);
      // The real ssh client, straight at the gateway: nothing answers on the controller's link.
      const direct = await sshRun(lab, g, 'true', { timeoutMs: 20_000 });
      expect(direct.code, direct.stderr).toBe(255);
      expect(direct.stderr).toMatch(/No route to host|timed out/);
    }
    // Everything stays in the lab's /24: the controller's route to the gateways is its veth.
    const route = await runOk(['ip', 'route', 'get', lab.gateways[0]!.wanIp]);
    expect(route).toMatch(/ dev fl-ctl /);
  });

  it("deploys through ansible_ssh_common_args: '-o ProxyJump=...', one bastion connection for the run", async () => {
    const inv = inventory('common-args', (doc) => doc.setIn(['all', 'vars', 'ansible_ssh_common_args'], `-o ProxyJump=${lab.bastion!.jump} -o StrictHostKeyChecking=no`));
    const { result: r, connections } = await counting(() => fleetCli(['deploy', inv, '--limit', 'gw1', '--json']));
    expect(r.code, r.stderr).toBe(0);
    expect(hostsOf(r.json)).toEqual({ gw1: 'changed' });
    expect(connections).toBe(1);
    expect(await deployed('gw1')).toBe(true);
    expect(await deployed('gw2')).toBe(false);
  });

  it('deploys through proxy_jump', async () => {
    const inv = inventory('proxy-jump', (doc) => doc.setIn(['all', 'hosts', 'gw2', 'proxy_jump'], [lab.bastion!.jump]));
    const { result: r, connections } = await counting(() => fleetCli(['deploy', inv, '--limit', 'gw2', '--json']));
    expect(r.code, r.stderr).toBe(0);
    expect(hostsOf(r.json)).toEqual({ gw2: 'changed' });
    expect(connections).toBe(1);
    expect(await deployed('gw2')).toBe(true);
  });

  it('deploys through an ~/.ssh/config alias (HostName, ProxyJump to a bastion alias with its User and IdentityFile)', async () => {
    const home = path.join(tmp, 'home');
    mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
    const gw3 = lab.gateways.find((g) => g.name === 'gw3')!;
    writeFileSync(
      path.join(home, '.ssh', 'config'),
      [
        'Host gw3',
        `    HostName ${gw3.wanIp}`,
        '    ProxyJump lab-bastion',
        'Host lab-bastion',
        `    HostName ${lab.bastion!.ip}`,
        `    User ${lab.bastion!.user}`,
        `    IdentityFile ${lab.ssh.keyPath}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    // gw3 by its alias alone: no address, no bastion in the inventory.
    const inv = inventory('ssh-config', (doc) => doc.deleteIn(['all', 'hosts', 'gw3', 'host']));
    const { result: r, connections } = await counting(() => fleetCli(['deploy', inv, '--limit', 'gw3', '--json'], { env: { HOME: home } }));
    expect(r.code, r.stderr).toBe(0);
    expect(hostsOf(r.json)).toEqual({ gw3: 'changed' });
    expect(connections).toBe(1);
    expect(await deployed('gw3')).toBe(true);
  });

  it('one TCP connection to the bastion serves every gateway of a run (deploy and status)', async () => {
    const deploy = await counting(() => fleetCli(['deploy', lab.inventory, '--json']));
    expect(deploy.result.code, deploy.result.stderr).toBe(0);
    expect(hostsOf(deploy.result.json)).toEqual({ gw1: 'ok', gw2: 'ok', gw3: 'ok' });
    expect(deploy.connections).toBe(1);
    const status = await counting(() => fleetCli(['status', '-i', lab.inventory, '--json']));
    expect(status.result.code, status.result.stderr).toBe(0);
    expect(status.result.json.hosts.map((h: any) => [h.host, h.reachable, h.inSync])).toEqual([
      ['gw1', true, true],
      ['gw2', true, true],
      ['gw3', true, true],
    ]);
    expect(status.connections).toBe(1);
  });

  it('a wrong bastion host key stops every gateway behind it with HOST KEY MISMATCH naming the bastion; nothing changes on them', async () => {
    await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', path.join(tmp, 'other_key')]);
    const otherKey = readFileSync(path.join(tmp, 'other_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const knownHosts = path.join(tmp, 'known_hosts_wrong_bastion');
    const lines = readFileSync(lab.ssh.knownHostsPath, 'utf8').split('\n').filter(Boolean);
    writeFileSync(knownHosts, `${lines.map((l) => (l.startsWith(`${lab.bastion!.ip} `) ? `${lab.bastion!.ip} ${otherKey}` : l)).join('\n')}\n`);
    const inv = inventory('wrong-bastion-key', (doc) => {
      doc.setIn(['all', 'vars', 'proxy_jump'], lab.bastion!.jump);
      doc.setIn(['all', 'vars', 'known_hosts_file'], knownHosts);
      // A change every gateway would apply, if anything reached it.
      doc.setIn(['all', 'vars', 'wg_port'], 51999);
    });
    const before = await Promise.all(lab.gateways.map((g) => snapshotGateway(lab, g)));
    const { result: r, connections } = await counting(() => fleetCli(['deploy', inv, '--json']));
    expect(r.code).not.toBe(0);
    expect(hostsOf(r.json)).toEqual({ gw1: 'unreachable', gw2: 'unreachable', gw3: 'unreachable' });
    for (const h of r.json.hosts) {
      expect(h.error.message).toMatch(new RegExp(`^${h.host}: bastion root@198\\.51\\.100\\.4:22: HOST KEY MISMATCH for 198\\.51\\.100\\.4:22`));
    }
    // The bastion was tried once for the run, and no login happened there.
    expect(connections).toBe(1);
    const after = await Promise.all(lab.gateways.map((g) => snapshotGateway(lab, g)));
    expect(after).toEqual(before);
    expect(readFileSync(knownHosts, 'utf8')).toContain(otherKey);
  });
});
