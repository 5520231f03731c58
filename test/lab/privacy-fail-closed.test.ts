/**
 * Privacy fails closed (issue 19): whatever part of the VPN path disappears (the OpenVPN client,
 * the host's veth, the namespace, the VPN table's default route), a capture on the gateway's WAN
 * shows no packet from the VPN half (IPv4 or IPv6) and no upstream DNS query, while the direct
 * half keeps working; the VPN half's IPv6 (which exits by the provider's IPv6 while all is well) is
 * refused at once throughout (an ICMPv6 unreachable). `fleet status` reports the fault, and a
 * deploy repairs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoFrom, provePaths } from '../../src/lab/proof.js';
import { fleetCli } from './cli.js';
import { connectClients, expectFailedClosed, gatewayExec, scratchInventory, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let inv: string;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, fresh: true }, suite);
  inv = scratchInventory(lab, 'fleet-failclosed-').inventory;
}, 120_000);

afterAll(async () => {
  await teardownLab();
}, 60_000);

const FAULTS: { name: string; script: string; drift: RegExp }[] = [
  {
    name: 'OpenVPN killed',
    script: 'kill "$(cat /run/fleet/openvpn.pid)"; for i in $(seq 50); do ip -n vpn link show tun0 >/dev/null 2>&1 || exit 0; sleep 0.1; done; exit 1',
    drift: /^daemon:openvpn/,
  },
  { name: "the host's veth deleted by hand", script: 'ip link del veth-wg', drift: /^veth:veth-wg/ },
  {
    // `ip netns del` only drops the name while OpenVPN holds the namespace: its processes go too,
    // and with them the namespace and both ends of the veth.
    name: 'the namespace deleted by hand (its processes with it)',
    script: 'for p in $(ip netns pids vpn); do kill -9 "$p"; done; ip netns del vpn; for i in $(seq 50); do ip link show veth-wg >/dev/null 2>&1 || exit 0; sleep 0.1; done; exit 1',
    drift: /^netns:vpn/,
  },
  // Both families' defaults: the VPN half's IPv6 takes table 200 into the namespace too.
  { name: "the VPN table's default routes deleted by hand", script: 'ip route del default table 200 && ip -6 route del default table 200', drift: /^ip-route:.*default.*200/ },
];

describe('the VPN half fails closed', () => {
  it('a deploy: both halves take their paths', async () => {
    const r = await fleetCli(['deploy', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await connectClients(lab)).every((c) => !c.error)).toBe(true);
    // echo (WAN address / provider's), internal names, and an outside name whose upstream query the
    // lab's DNS saw from the provider only
    // and over IPv6: the direct half's echo sees the WAN's IPv6, the VPN half's the provider's
    for (const p of await provePaths(lab, { ipv6: true })) expect(p.problems, p.client).toEqual([]);
  });

  it.each(FAULTS)('$name: nothing of the VPN half on the WAN, the direct half works, status reports it, a deploy repairs it', async (fault) => {
    const broken = await gatewayExec(lab, 'gw1', fault.script);
    expect(broken.code, broken.stderr).toBe(0);

    await expectFailedClosed(lab, 'gw1');

    const status = await fleetCli(['status', '-i', inv, '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(2);
    const host = status.json.hosts[0];
    expect(host.state).not.toBe('healthy');
    expect(host.drift.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([expect.stringMatching(fault.drift)]));

    const repair = await fleetCli(['deploy', inv, '--json']);
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    let back = '';
    for (let i = 0; i < 15 && back !== lab.provider!.ip; i++) back = await echoFrom(lab, 'c1-vpn', 3);
    expect(back).toBe(lab.provider!.ip);
    for (const p of await provePaths(lab, { ipv6: true })) expect(p.problems, p.client).toEqual([]);
    const healthy = await fleetCli(['status', '-i', inv, '--json']);
    expect(healthy.json.hosts[0].state, JSON.stringify(healthy.json.hosts[0].drift)).toBe('healthy');
  });
});
