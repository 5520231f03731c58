/**
 * A WireGuard upstream (issue 16): `lab up --provider wireguard` runs a WireGuard server in the
 * provider's namespace with its own exit address, and writes the inventory with provider_protocol:
 * wireguard. VPN-half clients exit there, dnsmasq's upstream queries leave only through it, with
 * the tunnel gone nothing of the VPN half and no DNS reaches the WAN, a reboot brings it back
 * without a leak, and the gateway's private key for the provider is in no output and no journal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURL_COULD_NOT_CONNECT, echoFrom, provePaths, providerExit, vpnHalfLeaks } from '../../src/lab/proof.js';
import { bootGateway } from '../../src/lab/reboot.js';
import { fleetCli, type CliResult } from './cli.js';
import { connectClients, expectFailedClosed, gatewayExec, rebootGateway, scratchInventory, snapshotGateway, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let inv: string;
let dir: string;
let privateKey: string;
/** gw1 before anything was deployed. */
let bare: string;
/** Every output of every fleet command this file runs: none may hold the key. */
const outputs: string[] = [];

async function fleet(args: string[]): Promise<CliResult> {
  const r = await fleetCli(args);
  outputs.push(r.stdout, r.stderr);
  return r;
}

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, fresh: true, provider: 'wireguard' }, suite);
  ({ inventory: inv, dir } = scratchInventory(lab, 'fleet-wgprovider-'));
  const config = readFileSync(lab.provider!.wireguard!.gatewayConfigs.gw1!, 'utf8');
  privateKey = /^PrivateKey = (\S+)$/m.exec(config)![1]!;
  bare = await snapshotGateway(lab, 'gw1');
}, 120_000);

afterAll(async () => {
  await teardownLab();
}, 60_000);

/** Until the VPN half answers from the provider's WireGuard exit (a fresh tunnel's first handshake). */
async function echoOfVpnHalf(want: string): Promise<string> {
  let back = '';
  for (let i = 0; i < 15 && back !== want; i++) back = await echoFrom(lab, 'c1-vpn', 3);
  return back;
}

describe('a WireGuard upstream', () => {
  it('the lab: the inventory says wireguard; lab status keeps provider.ip and names the exit', async () => {
    expect(lab.provider).toMatchObject({ ip: '198.51.100.2', protocol: 'wireguard', exitIp: '198.51.100.5' });
    expect(readFileSync(inv, 'utf8')).toMatch(/provider_protocol: wireguard/);
    const status = await fleet(['lab', 'status', '--json']);
    expect(status.json.provider).toMatchObject({ ip: '198.51.100.2', exitIp: '198.51.100.5' });
  });

  it("a failure injected at each of the WireGuard upstream's steps (and at the kill switch) leaves the bare gateway exactly as it was", async () => {
    const plan = await fleet(['deploy', inv, '--check', '--json']);
    const changes = plan.json.hosts[0].resources.filter((x: { planned: string }) => x.planned === 'change');
    const positions = changes.flatMap((x: { role: string; task: string }, i: number) => (x.role === 'provider-wireguard' || x.task.startsWith('kill switch') ? [i + 1] : []));
    expect(positions.length).toBeGreaterThanOrEqual(9);
    const failures: string[] = [];
    for (const k of positions) {
      const r = await fleetCli(['deploy', inv, '--json'], { env: { FLEET_TEST_FAIL_STEP: String(k) } });
      outputs.push(r.stdout, r.stderr);
      const h = r.json?.hosts?.[0];
      if (r.code !== 2 || h?.label !== 'failed, rolled back' || h?.failure?.exitCode !== 97) failures.push(`step ${k}: exit ${r.code} ${h?.label} ${JSON.stringify(h?.failure)} ${JSON.stringify(h?.revertFailures)}`);
      if ((await snapshotGateway(lab, 'gw1')) !== bare) failures.push(`step ${k} (${changes[k - 1].id}): state differs from the pre-deploy snapshot`);
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('a deploy: the VPN half exits at the WireGuard exit, the direct half at the WAN, DNS only through the tunnel', async () => {
    const r = await fleet(['deploy', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await connectClients(lab)).every((c) => !c.error)).toBe(true);
    expect(await echoOfVpnHalf(providerExit(lab))).toBe('198.51.100.5');
    // echo, internal names, and an outside name whose upstream query the lab's DNS saw from the
    // WireGuard exit only; over IPv6 the VPN half exits at the provider's IPv6 (its file's IPv6 Address)
    for (const p of await provePaths(lab, { ipv6: true })) expect(p.problems, p.client).toEqual([]);
    // wg-quick never ran on the provider's file; fleet's own tunnel runs in the namespace
    const ns = await gatewayExec(lab, 'gw1', 'ip -n vpn -o link show wgp0 && ip -n vpn -6 route show && ip -n vpn route show && stat -c %a /etc/fleet/provider-wireguard.conf');
    expect(ns.stdout).toMatch(/wgp0/);
    expect(ns.stdout).toMatch(/^0\.0\.0\.0\/1 dev wgp0/m);
    expect(ns.stdout).toMatch(/^::\/1 dev wgp0/m);
    expect(ns.stdout).toMatch(/^prohibit default /m);
    expect(ns.stdout).toMatch(/^198\.51\.100\.2 via 10\.200\.1\.1 dev veth-vpn/m);
    expect(ns.stdout.trim().split('\n').pop()).toBe('600');
  });

  it('fleet status: healthy, the upstream with its protocol, endpoint, handshake and transfer', async () => {
    const r = await fleet(['status', '-i', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const h = r.json.hosts[0];
    expect(h.state).toBe('healthy');
    expect(h.health.upstream).toMatchObject({ protocol: 'wireguard', interface: 'wgp0', endpoint: '198.51.100.2:51820' });
    expect(h.health.upstream.handshakeAgeS).toBeLessThan(180);
    expect(h.health.upstream.rxBytes).toBeGreaterThan(0);
    const table = await fleet(['status', '-i', inv, '--verbose']);
    expect(table.stdout).toMatch(/upstream wireguard wgp0: endpoint 198\.51\.100\.2:51820, handshake \d+s ago/);
  });

  it('metrics: status --format prometheus and the textfile say the WireGuard upstream is up, with its handshake age', async () => {
    const p = await fleet(['status', '-i', inv, '--format', 'prometheus']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain('fleet_upstream_up{host="gw1"} 1');
    expect(p.stdout).toMatch(/^fleet_upstream_last_handshake_age_seconds\{host="gw1"\} \d+$/m);
    const textfile = '/var/lib/prometheus/node-exporter/fleet.prom';
    const metrics = ['-e', `metrics_textfile=${textfile}`, '-e', 'metrics_interval_seconds=5'];
    const d = await fleet(['deploy', inv, ...metrics, '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    let text = '';
    for (let i = 0; i < 50 && !text.includes('fleet_upstream_up'); i++) {
      text = (await gatewayExec(lab, 'gw1', `cat ${textfile} 2>/dev/null`)).stdout;
      if (!text.includes('fleet_upstream_up')) await new Promise((r) => setTimeout(r, 200));
    }
    expect(text).toMatch(/^fleet_upstream_up 1$/m);
    expect(text).toMatch(/^fleet_upstream_last_handshake_age_seconds \d+$/m);
    // That deploy undone (the metrics role's files and loop go), as the later tests expect the gateway.
    const off = await fleet(['rollback', 'gw1', '-i', inv, '--previous', '--yes', '--json']);
    expect(off.code, off.stdout + off.stderr).toBe(0);
  });

  it('the WireGuard tunnel gone: nothing of the VPN half and no DNS on the WAN; status says so; a deploy repairs it', async () => {
    const broken = await gatewayExec(lab, 'gw1', 'ip -n vpn link del wgp0');
    expect(broken.code, broken.stderr).toBe(0);
    // (the packets of the VPN half, any source in it, and DNS: the tunnel itself is UDP 51820)
    await expectFailedClosed(lab, 'gw1');

    const status = await fleet(['status', '-i', inv, '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(2);
    expect(status.json.hosts[0].drift.items.map((i: { id: string }) => i.id)).toContain('wireguard-upstream:vpn:wgp0');

    const repair = await fleet(['deploy', inv, '--json']);
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    expect(await echoOfVpnHalf(providerExit(lab))).toBe(providerExit(lab));
  });

  it('a changed provider file: the plan outlines it masked, the deploy re-applies the tunnel', async () => {
    const changed = path.join(dir, 'wg-gw1.conf');
    writeFileSync(changed, readFileSync(lab.provider!.wireguard!.gatewayConfigs.gw1!, 'utf8').replace(/PersistentKeepalive = \d+/, 'PersistentKeepalive = 17'), { mode: 0o600 });
    writeFileSync(inv, readFileSync(inv, 'utf8').replace(lab.provider!.wireguard!.gatewayConfigs.gw1!, changed));
    const plan = await fleet(['deploy', inv, '--check', '--diff']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/file:\/etc\/fleet\/provider-wireguard\.conf: secret content.*; not shown/);
    expect(plan.stdout).toContain('PersistentKeepalive 17');
    expect(plan.stdout).toContain('PrivateKey ***');
    const r = await fleet(['deploy', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const changedIds = r.json.hosts[0].resources.filter((x: { applied?: string }) => x.applied === 'ok').map((x: { id: string }) => x.id);
    expect(changedIds).toEqual(expect.arrayContaining(['file:/etc/fleet/provider-wireguard.conf', 'wireguard-upstream:vpn:wgp0']));
    const live = await gatewayExec(lab, 'gw1', 'ip netns exec vpn wg show wgp0 persistent-keepalive');
    expect(live.stdout).toMatch(/\t17$/m);
    expect(await echoOfVpnHalf(providerExit(lab))).toBe(providerExit(lab));
  });

  it('a provider file without an IPv6 Address: the VPN half keeps its IPv4 exit, its IPv6 is refused at once, nothing on the WAN', async () => {
    const current = /^  *provider_config_file: *(\S+)$/m.exec(readFileSync(inv, 'utf8'))![1]!;
    const noIpv6 = path.join(dir, 'wg-gw1-no-ipv6.conf');
    const text = readFileSync(current, 'utf8');
    writeFileSync(noIpv6, text.replace(/^(Address = [^,\n]+), [0-9a-f:]+\/128$/m, '$1'), { mode: 0o600 });
    expect(readFileSync(noIpv6, 'utf8')).not.toMatch(/^Address = .*:/m);
    writeFileSync(inv, readFileSync(inv, 'utf8').replace(current, noIpv6));
    try {
      const r = await fleet(['deploy', inv, '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(await echoOfVpnHalf(providerExit(lab))).toBe(providerExit(lab));
      const ns = await gatewayExec(lab, 'gw1', 'ip -n vpn -6 addr show dev wgp0 scope global; ip -n vpn -6 route show');
      expect(ns.stdout).not.toMatch(/inet6|^(::|8000::)\/1 /m);
      expect(ns.stdout).toMatch(/^prohibit default /m);
      // curl -m 2: a refusal is exit 7 (an ICMPv6 unreachable came back), a timeout would be 28
      const leak = await vpnHalfLeaks(lab, 'gw1', { filter: 'net fd00:10:4:0:8000::/65 or net fd00:9::/64' });
      expect(leak.ranFullWindow, 'the capture ran its whole window').toBe(true);
      expect(leak.packets, 'VPN-half IPv6 packets on the WAN').toBe('');
      expect(leak.vpnEcho6).toEqual({ saw: '', code: CURL_COULD_NOT_CONNECT });
      expect(leak.vpnEcho).toBe(providerExit(lab));
      expect(leak.directEcho6).toBe(lab.gateways[0]!.wanIp6);
      for (const p of await provePaths(lab, { ipv6: true, vpnIpv6Refused: true })) expect(p.problems, p.client).toEqual([]);
    } finally {
      // Back to the file with IPv6 whatever failed above: the later tests expect the tunnel's IPv6.
      writeFileSync(inv, readFileSync(inv, 'utf8').replace(noIpv6, current));
      const back = await fleet(['deploy', inv, '--json']);
      expect(back.code, back.stdout + back.stderr).toBe(0);
    }
  });

  it('fleet lab reboot: no leak while it boots, and the boot scripts bring the WireGuard upstream back', async () => {
    lab = await rebootGateway(lab, 'gw1', { boot: false });
    const capture = gatewayExec(lab, 'gw1', "timeout 15 tcpdump -n -l -i ens5 'net 10.4.0.128/25 or net fd00:10:4:0:8000::/65 or port 53'", { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const boot = await bootGateway(lab, 'gw1');
    expect(boot.ok, boot.lines.join('\n')).toBe(true);
    expect((await connectClients(lab)).every((c) => !c.error)).toBe(true);
    const captured = await capture;
    expect(captured.code, `the capture ran its whole window: ${captured.stderr}`).toBe(124);
    expect(captured.stdout.trim(), 'VPN-half or DNS packets on the WAN during the boot').toBe('');
    expect(await echoOfVpnHalf(providerExit(lab))).toBe(providerExit(lab));
    let proofs = await provePaths(lab, { ipv6: true });
    for (let i = 0; i < 10 && proofs.some((p) => !p.ok); i++) proofs = await provePaths(lab, { ipv6: true });
    for (const p of proofs) expect(p.problems, p.client).toEqual([]);
  });

  it("the provider key is in no output, journal or boot script: only in fleet's 0600 file", async () => {
    expect(privateKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    for (const o of outputs) expect(o.includes(privateKey)).toBe(false);
    // -l: only names; the one file that may hold it is the uploaded config
    const found = await gatewayExec(lab, 'gw1', `grep -rlF -e '${privateKey}' /var/lib/fleet /run/fleet /etc/wireguard /etc/fleet /etc/netns; true`);
    expect(found.stdout.trim().split('\n').filter(Boolean)).toEqual(['/etc/fleet/provider-wireguard.conf']);
  });

  it('a teardown leaves the gateway as bare as before the first deploy', async () => {
    const td = await fleet(['rollback', 'gw1', '-i', inv, '--yes', '--json']);
    expect(td.code, td.stdout + td.stderr).toBe(0);
    expect(await snapshotGateway(lab, 'gw1')).toBe(bare);
  });
});
