/**
 * fleet status on the lab (issue 7): healthy after a deploy, exact drift after hand changes, a
 * deploy repairs it, and a gateway without sshd is reported unreachable with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoFrom } from '../../src/lab/proof.js';
import { WG_PORT } from '../../src/lab/names.js';
import { fleetCli } from './cli.js';
import { connectClients, gatewayExec, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let inv: string;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 3, fresh: true }, suite);
  inv = lab.inventory;
  const d = await fleetCli(['deploy', inv, '--json']);
  if (d.code !== 0) throw new Error(`deploy failed: ${d.stdout}${d.stderr}`);
  await connectClients(lab);
});
afterAll(() => teardownLab());

const byHost = (json: any) => Object.fromEntries(json.hosts.map((h: any) => [h.host, h]));

describe('fleet status', () => {
  it('a freshly deployed lab: all healthy, no drift, both peers with recent handshakes', async () => {
    for (const c of lab.clients) expect(await echoFrom(lab, c)).not.toBe('');
    const r = await fleetCli(['status', '-i', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.summary).toMatchObject({ hosts: 3, healthy: 3, drifted: 0, down: 0 });
    for (const h of r.json.hosts) {
      expect(h.drift.count).toBe(0);
      expect(h.roundTrips).toBe(1);
      expect(h.health.wg).toMatchObject({ up: true, listenPort: WG_PORT });
      expect(h.health.openvpn).toMatchObject({ running: true, tun: { up: true } });
      expect(h.health.openvpn.pid).toBeGreaterThan(1);
      expect(h.health.openvpn.tun.address).toMatch(/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/);
      expect(h.health.dnsmasq).toMatchObject({ running: true, answering: true });
      expect(h.health.dnsmasq.pid).toBeGreaterThan(1);
      expect(h.health.wg.peers.map((p: any) => p.name).sort()).toEqual([`c${h.host.slice(2)}-direct`, `c${h.host.slice(2)}-vpn`]);
      for (const p of h.health.wg.peers) {
        expect(p.handshakeAgeS).toBeLessThan(120);
        expect(p.rxBytes).toBeGreaterThan(0);
        expect(p.allowedIps.length).toBeGreaterThan(0);
        expect(p.endpoint).toMatch(/:\d+$/);
      }
    }
    const table = await fleetCli(['status', '-i', inv]);
    expect(table.stdout).toMatch(/3 healthy, 0 drifted, 0 unhealthy, 0 down/);
  });

  it('reports exactly the hand-made drift on gw2 and dnsmasq down on gw3; a deploy repairs both', async () => {
    const del = await gatewayExec(lab, 'gw2', 'iptables -t nat -D POSTROUTING -s 10.4.0.0/25 -o ens5 -j SNAT --to-source 198.51.100.12 -m comment --comment "fleet: direct-half clients exit from the WAN address"');
    expect(del.code, del.stderr).toBe(0);
    const kill = await gatewayExec(lab, 'gw3', 'kill "$(cat /run/fleet/dnsmasq.pid)"; sleep 0.3');
    expect(kill.code, kill.stderr).toBe(0);
    const r = await fleetCli(['status', '-i', inv, '--json']);
    expect(r.code).toBe(2);
    const h = byHost(r.json);
    expect(h.gw1.state).toBe('healthy');
    expect(h.gw2.state).toBe('drifted');
    expect(h.gw2.drift.items.map((i: any) => i.id)).toEqual(["iptables-rule:nat/POSTROUTING -s 10.4.0.0/25 -o ens5 -j SNAT --to-source 198.51.100.12 -m comment --comment 'fleet: direct-half clients exit from the WAN address'"]);
    expect(h.gw3.state).toBe('unhealthy');
    expect(h.gw3.health.dnsmasq.running).toBe(false);
    expect(h.gw3.drift.items.map((i: any) => i.id)).toEqual(['daemon:dnsmasq']);
    const verbose = await fleetCli(['status', '-i', inv, '--verbose', '--limit', 'gw2']);
    expect(verbose.stdout).toMatch(/gw2 drifted iptables-rule:nat\/POSTROUTING -s 10\.4\.0\.0\/25/);

    const d = await fleetCli(['deploy', inv, '--json']);
    expect(d.code, d.stdout).toBe(0);
    expect(byHost(d.json).gw2.changed).toBe(1);
    expect(byHost(d.json).gw3.changed).toBe(1);
    const again = await fleetCli(['status', '-i', inv, '--json']);
    expect(again.code).toBe(0);
    expect(again.json.summary.healthy).toBe(3);
  });

  it('a gateway whose sshd is gone is unreachable with the reason; the others report normally', async () => {
    // Refuse SSH inside gw3's own network namespace, as a host without sshd would.
    const block = await gatewayExec(lab, 'gw3', 'iptables -I INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset');
    expect(block.code, block.stderr).toBe(0);
    try {
      const started = Date.now();
      const r = await fleetCli(['status', '-i', inv, '--json', '-T', '5']);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(r.code).toBe(3);
      const h = byHost(r.json);
      expect(h.gw3).toMatchObject({ reachable: false, state: 'down' });
      expect(h.gw3.unreachableReason).toMatch(/^refused: connection refused/);
      expect(h.gw1.state).toBe('healthy');
      expect(h.gw2.state).toBe('healthy');
    } finally {
      await gatewayExec(lab, 'gw3', 'iptables -D INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset');
    }
  });
});
