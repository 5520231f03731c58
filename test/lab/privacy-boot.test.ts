/**
 * No leak window at boot (issue 19): during `fleet lab reboot`, a capture on the gateway's WAN
 * from the first packet of the boot shows no packet of the VPN half and no DNS query, while the
 * VPN-half client sends all the time (pings to the echo host, lookups of outside names) and the
 * generated up script brings everything back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provePaths } from '../../src/lab/proof.js';
import { bootGateway } from '../../src/lab/reboot.js';
import { fleetCli } from './cli.js';
import { clientExec, connectClients, gatewayExec, rebootGateway, scratchInventory, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let inv: string;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, fresh: true }, suite);
  inv = scratchInventory(lab, 'fleet-privacy-boot-').inventory;
}, 120_000);

afterAll(async () => {
  await teardownLab();
}, 60_000);

describe('boot', () => {
  it('a deployed gateway: both halves take their paths', async () => {
    const r = await fleetCli(['deploy', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await connectClients(lab)).every((c) => !c.error)).toBe(true);
    for (const p of await provePaths(lab)) expect(p.problems, p.client).toEqual([]);
  });

  it('fleet lab reboot: from the first packet of the boot, nothing of the VPN half and no DNS on the WAN', async () => {
    const echo = lab.internet!.ip;
    const domain = lab.internet!.echoName.split('.').slice(1).join('.');
    // The VPN-half client keeps sending through the whole reboot: pings to the echo host, and
    // lookups of fresh outside names (each one an upstream query of the gateway's dnsmasq).
    const pings = clientExec(lab, 'c1-vpn', `ping -q -i 0.01 -W 1 -c 2500 ${echo} >/dev/null 2>&1; true`, { timeoutMs: 60_000 });
    const lookups = clientExec(lab, 'c1-vpn', `i=0; while [ $i -lt 60 ]; do i=$((i + 1)); dig +time=1 +tries=1 @10.4.0.1 boot-$i-$$.${domain} A >/dev/null 2>&1; sleep 0.1; done; true`, { timeoutMs: 90_000 });

    lab = await rebootGateway(lab, 'gw1', { boot: false });
    // The gateway's network is new and bare: the capture starts before anything of the boot runs.
    const capture = gatewayExec(lab, 'gw1', "timeout 20 tcpdump -n -l -i ens5 'net 10.4.0.128/25 or port 53'", { timeoutMs: 40_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const boot = await bootGateway(lab, 'gw1');
    expect(boot.ok, boot.lines.join('\n')).toBe(true);
    expect(boot.enabled).toContain('wg-quick@wg0');
    const captured = await capture;
    expect(captured.code, `the capture ran its whole window: ${captured.stderr}`).toBe(124);
    expect(captured.stdout.trim(), 'VPN-half or DNS packets on the WAN during the boot').toBe('');
    await Promise.all([pings, lookups]);
  });

  it('after the boot both halves take their paths again', async () => {
    expect((await connectClients(lab)).every((c) => !c.error)).toBe(true);
    let proofs = await provePaths(lab);
    for (let i = 0; i < 10 && proofs.some((p) => !p.ok); i++) proofs = await provePaths(lab);
    for (const p of proofs) expect(p.problems, p.client).toEqual([]);
  });
});
