/**
 * `lab up --rtt`: a delaying relay holds each gateway's SSH port, inside the gateway's network
 * namespace, with sshd moved to 127.0.0.1:2222 there; fleet deploys and reports through it. (How
 * long it takes is the benchmark's business, `npm run bench -- --rtt 0,50ms`, never a test's.)
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/lab/run.js';
import { fleetCli } from './cli.js';
import { gatewayExec, sshRun, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 2, bare: true, rttMs: 40, fresh: true }, suite);
});
afterAll(() => teardownLab());

describe('lab up --rtt 40ms', () => {
  it("puts the relay on each gateway's SSH port and sshd behind it, inside the gateway", async () => {
    expect(lab.rttMs).toBe(40);
    for (const g of lab.gateways) {
      const listening = await gatewayExec(lab, g, 'ss -Hltn');
      expect(listening.stdout).toMatch(/127\.0\.0\.1:2222 /);
      // The relay is not a process of the gateway's own pid namespace, but it owns port 22 of its network.
      const relay = await run(['ip', 'netns', 'exec', g.netns, 'ss', '-Hltnp', 'sport', '= :22']);
      expect(relay.stdout).toMatch(/0\.0\.0\.0:22 .*"node"/);
      expect(readFileSync(`${lab.stateDir}/logs/${g.name}-relay.log`, 'utf8')).toMatch(/rtt-relay listening on 0\.0\.0\.0:22, to 127\.0\.0\.1:2222, 20 ms each way/);
      const ssh = await sshRun(lab, g, 'echo "$SSH_CONNECTION"');
      expect(ssh.code, ssh.stderr).toBe(0);
      // sshd sees the relay's connection from inside the gateway.
      expect(ssh.stdout.trim()).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 2222$/);
    }
  });

  it('deploys, reports in sync and rolls back through the relay', async () => {
    const deploy = await fleetCli(['deploy', lab.inventory, '--skip-roles', 'openvpn', '--json']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.json.hosts.map((h: any) => h.status)).toEqual(['changed', 'changed']);
    const status = await fleetCli(['status', '-i', lab.inventory, '--skip-roles', 'openvpn', '--json']);
    expect(status.json.hosts.map((h: any) => [h.reachable, h.inSync])).toEqual([[true, true], [true, true]]);
    const rollback = await fleetCli(['rollback', 'all', '-i', lab.inventory, '--yes', '--json']);
    expect(rollback.code, rollback.stderr).toBe(0);
  });
});
