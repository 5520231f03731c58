/**
 * Boot persistence on the lab (issue 9): a deployed gateway comes back after `fleet lab reboot`
 * by itself (wg-quick up wg0 -> PostUp -> fleet's generated wg0-up.sh), with both halves working,
 * no drift, and nothing for a deploy to do. The generated scripts are valid shell, hold no secret,
 * and the down script leaves the gateway as bare as before the first deploy.
 *
 * With FLEET_LAB_SYSTEMD=1 the same on booted Debian gateways: the reboot is systemd's, a new
 * PID 1 starts the enabled units, and the down script runs as wg-quick@wg0's stop.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { provePaths, type PathProof } from '../../src/lab/proof.js';
import { sleep } from '../../src/lab/run.js';
import { fleetCli } from './cli.js';
import { connectClients, gatewayExec, labStatus, snapshotGateway, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let inv: string;
let bare: string;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 3, fresh: true }, suite);
  inv = lab.inventory;
  bare = await snapshotGateway(lab, 'gw1');
}, 120_000);
afterAll(() => teardownLab(), 60_000);

/** The snapshot without its files section: the down script leaves files (config, key) on disk. */
const withoutFiles = (snap: string) => snap.replace(/== files\n[\s\S]*?(?=== processes)/, '');
/** On a systemd gateway the units stay enabled and fleet's drop-ins stay, as its files do. */
const network = (snap: string) => withoutFiles(snap).replace(/== units\n[\s\S]*$/, '');
const onSystemd = () => !!lab.systemd;

async function proveGw1(tries = 10): Promise<PathProof[]> {
  let proofs: PathProof[] = [];
  for (let i = 0; i < tries; i++) {
    proofs = await provePaths(lab, { gateways: ['gw1'], timeoutS: 3 });
    if (proofs.every((p) => p.ok)) break;
    await sleep(500);
  }
  return proofs;
}

describe('a gateway comes back after a reboot', () => {
  it('deploys gw1, which writes the boot scripts and enables wg-quick@wg0', async () => {
    const r = await fleetCli(['deploy', inv, '--json', '--limit', 'gw1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const ids = r.json.hosts[0].resources.map((x: { id: string }) => x.id);
    expect(ids).toEqual(expect.arrayContaining(['file:/etc/wireguard/wg0-up.sh', 'file:/etc/wireguard/wg0-down.sh', 'systemd-unit-enabled:wg-quick@wg0']));
    // the namespace lab's boot reads /etc/fleet/enabled; systemd reads its own enablement
    const enabled = onSystemd() ? 'systemctl is-enabled dnsmasq wg-quick@wg0' : 'ls /etc/fleet/enabled';
    const files = await gatewayExec(lab, 'gw1', `stat -c "%n %a %U" /etc/wireguard/wg0-up.sh /etc/wireguard/wg0-down.sh; ${enabled}`);
    const units = onSystemd() ? 'enabled\nenabled\n' : 'dnsmasq\nwg-quick@wg0\n';
    expect(files.stdout).toBe(`/etc/wireguard/wg0-up.sh 700 root\n/etc/wireguard/wg0-down.sh 700 root\n${units}`);
    expect((await connectClients(lab)).find((c) => c.gateway === 'gw1')?.error).toBeUndefined();
    for (const p of await proveGw1()) expect(p.problems, p.client).toEqual([]);
  });

  it('the generated scripts pass bash -n and hold no secret of the provider config', async () => {
    const syntax = await gatewayExec(lab, 'gw1', 'bash -n /etc/wireguard/wg0-up.sh && bash -n /etc/wireguard/wg0-down.sh && echo ok');
    expect(syntax.stdout + syntax.stderr).toBe('ok\n');
    const ovpnPath = (parse(readFileSync(inv, 'utf8')) as { all: { vars: { openvpn_config_file: string } } }).all.vars.openvpn_config_file;
    const ovpn = readFileSync(ovpnPath, 'utf8');
    const key = /<key>\n([\s\S]*?)<\/key>/.exec(ovpn)?.[1] ?? '';
    const keyLines = key.split('\n').filter((l) => l && !l.startsWith('-----'));
    expect(keyLines.join('').length).toBeGreaterThan(60);
    const scripts = await gatewayExec(lab, 'gw1', 'cat /etc/wireguard/wg0-up.sh /etc/wireguard/wg0-down.sh');
    expect(scripts.stdout.length).toBeGreaterThan(10_000);
    for (const l of keyLines) expect(scripts.stdout.includes(l), `key line ${l.slice(0, 8)}… in a boot script`).toBe(false);
    expect(scripts.stdout).not.toMatch(/PrivateKey\s*=\s*[A-Za-z0-9+/]{43}=/);
  });

  it('fleet lab reboot gw1: wiped, booted, and both halves work again', async () => {
    const before = lab.gateways[0]!.initPid;
    const r = await fleetCli(['lab', 'reboot', 'gw1', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    if (onSystemd()) {
      expect(r.json.boot).toMatchObject({ systemState: 'running', failedUnits: [], ok: true });
      expect(r.json.boot.enabled).toEqual(expect.arrayContaining(['dnsmasq.service', 'wg-quick@wg0.service']));
    } else {
      expect(r.json.boot.enabled).toEqual(['dnsmasq', 'wg-quick@wg0']);
    }
    lab = labStatus();
    expect(lab.gateways[0]!.initPid).not.toBe(before);
    if (onSystemd()) {
      // a new systemd as PID 1 brought the units up by itself
      const units = await gatewayExec(lab, 'gw1', 'ps -o comm= -p 1; systemctl is-active wg-quick@wg0 dnsmasq openvpn-client@fleet-provider; ip -n vpn link show tun0 >/dev/null && echo tun0');
      expect(units.stdout).toBe('systemd\nactive\nactive\nactive\ntun0\n');
    } else {
      // the wipe was real: the boot log is new, and the up script started the daemons afresh
      const fresh = await gatewayExec(lab, 'gw1', 'ls /run/fleet; ip -n vpn link show tun0 >/dev/null && echo tun0');
      expect(fresh.stdout).toContain('boot-wg-quick-wg0.log');
      expect(fresh.stdout).toContain('tun0');
    }
    await connectClients(lab);
    for (const p of await proveGw1()) expect(p.problems, p.client).toEqual([]);
  });

  it('after the reboot: fleet status shows 0 drift and healthy, and a deploy changes nothing', async () => {
    const s = await fleetCli(['status', '-i', inv, '--limit', 'gw1', '--json']);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    const host = s.json.hosts[0];
    expect(host.drift.items).toEqual([]);
    expect(host.drift.count).toBe(0);
    expect(host.healthy).toBe(true);
    const d = await fleetCli(['deploy', inv, '--json', '--limit', 'gw1']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.json.hosts[0].changed).toBe(0);
  });

  it('running the down script leaves the gateway bare (files stay, as the seed\'s wg0-down.sh)', async () => {
    const down = await gatewayExec(lab, 'gw1', onSystemd() ? 'systemctl stop wg-quick@wg0' : '/etc/wireguard/wg0-down.sh', { timeoutMs: 60_000 });
    expect(down.code, down.stderr).toBe(0);
    let after = '';
    for (let i = 0; i < 20; i++) {
      after = await snapshotGateway(lab, 'gw1');
      if (network(after) === network(bare)) break;
      await sleep(200); // wireguard-go exits once its tun is gone
    }
    expect(network(after)).toBe(network(bare));
    expect(after).toContain('/etc/wireguard/wg0.conf file 600');
    // and the up script brings it all back (twice is safe)
    const up = onSystemd() ? 'systemctl start wg-quick@wg0' : 'wg-quick up wg0';
    const up1 = await gatewayExec(lab, 'gw1', `mkdir -p /run/fleet; ${up} </dev/null >/run/fleet/manual-up.log 2>&1; echo $?; grep -E "step [0-9]+ " /run/fleet/manual-up.log`, { timeoutMs: 90_000 });
    expect(up1.stdout).toBe('0\n');
    const up2 = await gatewayExec(lab, 'gw1', '/etc/wireguard/wg0-up.sh </dev/null >/dev/null 2>&1; echo $?', { timeoutMs: 90_000 });
    expect(up2.stdout).toBe('0\n');
    const d = await fleetCli(['deploy', inv, '--json', '--limit', 'gw1']);
    expect(d.json.hosts[0].changed, JSON.stringify(d.json.hosts[0].resources.filter((x: any) => x.applied === 'ok').map((x: any) => x.id))).toBe(0);
  });
});
