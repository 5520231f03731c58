/**
 * No leak window at a real boot (issues 19, 22): a systemd gateway's `systemctl reboot`, captured
 * on the lab switch from before the shutdown to after the boot (the gateway's own network
 * namespace is wiped and made again, so the capture runs where the gateway's WAN cable ends), shows
 * no packet of the VPN half (IPv4 or IPv6) and no DNS query from the gateway, while the VPN-half
 * client keeps sending through it all: the packaged dnsmasq and wg-quick@wg0 start by themselves,
 * before anything of fleet's deploy runs again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE, SWITCH_NS, labMac } from '../../src/lab/names.js';
import { provePaths } from '../../src/lab/proof.js';
import { run } from '../../src/lab/run.js';
import { fleetCli } from './cli.js';
import { clientExec, connectClients, labStatus, scratchInventory, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let inv: string;

const VPN_HALF = 'net 10.4.0.128/25 or ip6 net fd00:10:4:0:8000::/65';

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, systemd: true, fresh: true }, suite);
  inv = scratchInventory(lab, 'fleet-sd-privacy-boot-').inventory;
}, 300_000);
afterAll(() => teardownLab(), 60_000);

async function pathsProve(): Promise<void> {
  await connectClients(lab);
  let proofs = await provePaths(lab);
  for (let i = 0; i < 10 && proofs.some((p) => !p.ok); i++) proofs = await provePaths(lab);
  for (const p of proofs) expect(p.problems, p.client).toEqual([]);
}

describe('a real boot of a systemd gateway', () => {
  it('a deployed gateway: both halves take their paths', async () => {
    const r = await fleetCli(['deploy', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    await pathsProve();
  });

  it('systemctl reboot: from the shutdown to the end of the boot, nothing of the VPN half and no DNS from the gateway on the WAN', async () => {
    const gw = lab.gateways[0]!;
    const window = 30;
    const capture = run(['ip', 'netns', 'exec', SWITCH_NS, 'timeout', String(window), 'tcpdump', '-n', '-l', '-i', BRIDGE, `ether src ${labMac(gw.wanIp)} and (${VPN_HALF} or port 53)`], { timeoutMs: (window + 15) * 1000 });
    // And the same capture point sees the gateway's tunnel to the provider after the boot: the
    // empty capture above is not a blind one.
    const tunnel = run(['ip', 'netns', 'exec', SWITCH_NS, 'timeout', String(window), 'tcpdump', '-tt', '-n', '-l', '-i', BRIDGE, `ether src ${labMac(gw.wanIp)} and host ${lab.provider!.ip}`], { timeoutMs: (window + 15) * 1000 });
    await new Promise((r) => setTimeout(r, 1000));
    const echo = lab.internet!.ip;
    const domain = lab.internet!.echoName.split('.').slice(1).join('.');
    // The VPN-half client sends through the whole reboot: pings to the echo host and lookups of
    // fresh outside names (each one an upstream query of the gateway's dnsmasq).
    const pings = clientExec(lab, 'c1-vpn', `ping -q -i 0.01 -W 1 -c 2000 ${echo} >/dev/null 2>&1; true`, { timeoutMs: 60_000 });
    const lookups = clientExec(lab, 'c1-vpn', `i=0; while [ $i -lt 150 ]; do i=$((i + 1)); dig +time=1 +tries=1 @10.4.0.1 boot-$i-$$.${domain} A >/dev/null 2>&1; sleep 0.05; done; true`, { timeoutMs: 120_000 });
    const started = Date.now();
    const r = await fleetCli(['lab', 'reboot', 'gw1', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.boot).toMatchObject({ systemState: 'running', failedUnits: [] });
    lab = labStatus();
    process.stdout.write(`[systemd boot] rebooted and running after ${((Date.now() - started) / 1000).toFixed(1)} s of a ${window} s capture\n`);
    const booted = Date.now() / 1000;
    const captured = await capture;
    expect(captured.code, `the capture ran its whole window: ${captured.stderr}`).toBe(124);
    expect(captured.stdout.trim(), 'VPN-half or DNS packets from the gateway on the WAN around the reboot').toBe('');
    const toProvider = (await tunnel).stdout.split('\n').filter((l) => Number(l.split(' ')[0]) > booted);
    expect(toProvider.length, 'packets of the tunnel to the provider after the boot').toBeGreaterThan(0);
    await Promise.all([pings, lookups]);
  }, 120_000);

  it('after the boot both halves take their paths again', async () => {
    await pathsProve();
  });
});
