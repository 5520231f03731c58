/**
 * Switching a deployed gateway's upstream by changing provider_protocol and deploying (issue 16):
 * the plan shows the swap (the old upstream's resources as removals, the new one's as additions),
 * the deploy removes what the gateway no longer wants through the journal, the VPN half is dark
 * while it switches and never leaks (a capture on the WAN sees none of it and no DNS; the lab's
 * upstream DNS hears only from the providers' exits), and then exits through the new upstream.
 * Switching back works the same way. A provider config left at the old path
 * /etc/openvpn/fleet-provider.conf (Debian's openvpn starts it at boot, outside the namespace) goes
 * on the next deploy, and the plan says why.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoFrom, resolveFrom, upstreamQuerySources } from '../../src/lab/proof.js';
import { fleetCli } from './cli.js';
import { connectClients, gatewayExec, scratchInventory, snapshotGateway, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let wgInventory: string;
let ovpnInventory: string;
let openvpnExit: string;
let wireguardExit: string;

interface Resource {
  id: string;
  role: string;
  task: string;
  planned: string;
  removal?: boolean;
  because?: string;
  applied?: string;
}

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, fresh: true, provider: 'wireguard' }, suite);
  const { inventory, dir } = scratchInventory(lab, 'fleet-switch-');
  wgInventory = inventory;
  ovpnInventory = `${dir}/openvpn.yaml`;
  const text = readFileSync(inventory, 'utf8');
  expect(text).toMatch(/^\s*provider_protocol: wireguard$/m);
  // The lab's inventory keeps the OpenVPN upstream's variables beside the WireGuard one's.
  writeFileSync(ovpnInventory, text.replace(/^\s*provider_protocol: wireguard\n/m, ''));
  openvpnExit = lab.provider!.ip;
  wireguardExit = lab.provider!.wireguard!.exitIp;
}, 180_000);

afterAll(async () => {
  await teardownLab();
}, 60_000);

async function resources(args: string[]): Promise<Resource[]> {
  const r = await fleetCli(args);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.json.hosts[0].resources as Resource[];
}

/** Until the VPN half answers from `want` (a fresh tunnel's first handshake). */
async function echoOfVpnHalf(want: string): Promise<string> {
  let back = '';
  for (let i = 0; i < 20 && back !== want; i++) back = await echoFrom(lab, 'c1-vpn', 3);
  return back;
}

/**
 * Deploys `inventory` while the VPN-half client keeps asking the echo service and the gateway's
 * DNS for new names, and a capture on the WAN watches for the VPN half's packets and any DNS.
 */
async function deployWatched(inventory: string) {
  const pidFile = `/tmp/fleet-switch-capture-${randomBytes(4).toString('hex')}.pid`;
  const capture = gatewayExec(lab, 'gw1', `tcpdump -n -l -i ens5 'net 10.4.0.128/25 or port 53' & echo $! > ${pidFile}; wait $!`, { timeoutMs: 300_000 });
  await new Promise((r) => setTimeout(r, 1000));
  let running = true;
  const echoes: string[] = [];
  const names: string[] = [];
  const domain = lab.internet!.echoName.split('.').slice(1).join('.');
  const traffic = (async () => {
    while (running) {
      const name = `switch-${names.length}-${Date.now().toString(36)}.${domain}`;
      names.push(name);
      const [echo] = await Promise.all([echoFrom(lab, 'c1-vpn', 1), resolveFrom(lab, 'c1-vpn', name, '10.4.0.1', 1)]);
      echoes.push(echo);
    }
  })();
  const deploy = await fleetCli(['deploy', inventory, '--json']);
  running = false;
  await traffic;
  await gatewayExec(lab, 'gw1', `kill "$(cat ${pidFile})"; rm -f ${pidFile}`);
  const captured = await capture;
  const sources = new Set(names.flatMap((n) => upstreamQuerySources(lab, n)));
  return { deploy, captured, echoes, sources, rounds: names.length };
}

function expectNoLeak(w: Awaited<ReturnType<typeof deployWatched>>): void {
  const gw = lab.gateways[0]!;
  expect(w.captured.stderr, 'the capture listened on the WAN').toMatch(/listening on ens5/);
  expect(w.captured.stdout.trim(), 'VPN-half or DNS packets on the WAN during the switch').toBe('');
  expect(w.rounds, 'the VPN half asked throughout the deploy').toBeGreaterThan(1);
  expect(w.echoes.filter((e) => e !== '' && e !== openvpnExit && e !== wireguardExit)).toEqual([]);
  expect([...w.sources].filter((s) => s !== openvpnExit && s !== wireguardExit), `the upstream DNS heard from ${gw.wanIp}?`).toEqual([]);
}

describe('switching a deployed gateway between OpenVPN and WireGuard', () => {
  it('a gateway deployed with OpenVPN exits at the OpenVPN exit', async () => {
    const r = await fleetCli(['deploy', ovpnInventory, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await connectClients(lab)).every((c) => !c.error)).toBe(true);
    expect(await echoOfVpnHalf(openvpnExit)).toBe(openvpnExit);
  }, 120_000);

  it('the plan shows the swap: the OpenVPN upstream removed, the WireGuard one added; --check changes nothing', async () => {
    const plan = await resources(['deploy', wgInventory, '--check', '--json']);
    const removed = plan.filter((x) => x.removal && x.planned === 'change');
    expect(removed.map((x) => x.id)).toEqual(expect.arrayContaining(['daemon:openvpn', 'file:/etc/openvpn/client/fleet-provider.conf']));
    expect(removed.every((x) => x.because === 'applied by an earlier deploy, no longer wanted')).toBe(true);
    expect(removed.filter((x) => x.role === 'openvpn').length).toBeGreaterThanOrEqual(2);
    // the old kill switch and masquerade (they name tun0) go too, after their wgp0 forms are in
    expect(removed.filter((x) => x.role === 'firewall').map((x) => x.id).join('\n')).toMatch(/tun0/);
    const added = plan.filter((x) => !x.removal && x.planned === 'change').map((x) => x.id);
    expect(added).toEqual(expect.arrayContaining(['wireguard-upstream:vpn:wgp0', 'file:/etc/fleet/provider-wireguard.conf']));
    // fail-closed order: the new kill switch before any removal of the old one; the OpenVPN client
    // gone before the WireGuard tunnel comes up
    const at = (pred: (x: Resource) => boolean) => plan.findIndex(pred);
    const newKill = at((x) => !x.removal && x.task.startsWith('kill switch'));
    const oldKill = at((x) => !!x.removal && x.task.startsWith('kill switch'));
    expect(newKill).toBeLessThan(oldKill);
    expect(at((x) => !!x.removal && x.id === 'daemon:openvpn')).toBeLessThan(at((x) => x.id === 'wireguard-upstream:vpn:wgp0'));
    const table = await fleetCli(['deploy', wgInventory, '--check']);
    expect(table.stdout).toMatch(/^ {2}- \[openvpn\] absent: .*openvpn.*\(applied by an earlier deploy, no longer wanted\)$/m);
    // nothing changed: the OpenVPN client still carries the VPN half
    expect(await echoOfVpnHalf(openvpnExit)).toBe(openvpnExit);
  }, 120_000);

  it('a failure injected at each removal of the switch (and at the first WireGuard step) leaves the OpenVPN gateway exactly as it was', async () => {
    const before = await snapshotGateway(lab, 'gw1');
    const plan = await resources(['deploy', wgInventory, '--check', '--json']);
    const changes = plan.filter((x) => x.planned === 'change');
    const positions = changes.flatMap((x, i) => (x.removal || x.id === 'wireguard-upstream:vpn:wgp0' ? [i + 1] : []));
    expect(positions.length).toBeGreaterThanOrEqual(5);
    const failures: string[] = [];
    for (const k of positions) {
      const r = await fleetCli(['deploy', wgInventory, '--json'], { env: { FLEET_TEST_FAIL_STEP: String(k) } });
      const h = r.json?.hosts?.[0];
      if (r.code !== 2 || h?.label !== 'failed, rolled back' || h?.failure?.exitCode !== 97) failures.push(`step ${k}: exit ${r.code} ${h?.label} ${JSON.stringify(h?.failure)} ${JSON.stringify(h?.revertFailures)}`);
      // the OpenVPN client restarted by the revert: its tunnel up again before the snapshot
      await echoOfVpnHalf(openvpnExit);
      if ((await snapshotGateway(lab, 'gw1')) !== before) failures.push(`step ${k} (${changes[k - 1]!.id}): state differs from the pre-deploy snapshot`);
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('the deploy: dark while it switches, never leaking; then the VPN half exits at the WireGuard exit', async () => {
    const w = await deployWatched(wgInventory);
    expect(w.deploy.code, w.deploy.stdout + w.deploy.stderr).toBe(0);
    expectNoLeak(w);
    expect(await echoOfVpnHalf(wireguardExit)).toBe(wireguardExit);
    const gone = await gatewayExec(lab, 'gw1', 'ip -n vpn -o link show tun0; ls /etc/openvpn/client/');
    expect(gone.stdout).not.toMatch(/tun0|fleet-provider/);
  }, 300_000);

  it('a second deploy changes nothing, and status is in sync', async () => {
    const again = await resources(['deploy', wgInventory, '--json']);
    expect(again.filter((x) => x.planned !== 'ok').map((x) => x.id)).toEqual([]);
    const status = await fleetCli(['status', '-i', wgInventory, '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.json.hosts[0].drift.count).toBe(0);
  }, 120_000);

  it('switching back to OpenVPN: the WireGuard upstream goes before the OpenVPN client starts; no leak; the OpenVPN exit again', async () => {
    const plan = await resources(['deploy', ovpnInventory, '--check', '--json']);
    const removed = plan.filter((x) => x.removal && x.planned === 'change').map((x) => x.id);
    expect(removed).toEqual(expect.arrayContaining(['wireguard-upstream:vpn:wgp0', 'file:/etc/fleet/provider-wireguard.conf']));
    const at = (id: string) => plan.findIndex((x) => x.id === id);
    expect(at('wireguard-upstream:vpn:wgp0')).toBeLessThan(at('daemon:openvpn'));
    const w = await deployWatched(ovpnInventory);
    expect(w.deploy.code, w.deploy.stdout + w.deploy.stderr).toBe(0);
    expectNoLeak(w);
    expect(await echoOfVpnHalf(openvpnExit)).toBe(openvpnExit);
    const again = await resources(['deploy', ovpnInventory, '--json']);
    expect(again.filter((x) => x.planned !== 'ok').map((x) => x.id)).toEqual([]);
  }, 300_000);

  it('a provider config at the old path /etc/openvpn/fleet-provider.conf goes on deploy, and the plan says why', async () => {
    const put = await gatewayExec(lab, 'gw1', "printf 'client\\nremote 198.51.100.2 1194\\n' > /etc/openvpn/fleet-provider.conf && chmod 600 /etc/openvpn/fleet-provider.conf");
    expect(put.code, put.stderr).toBe(0);
    const table = await fleetCli(['deploy', ovpnInventory, '--check']);
    expect(table.code, table.stdout + table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ {2}- \[openvpn\] absent: file \/etc\/openvpn\/fleet-provider\.conf .*\(no provider config at the old path .*outside the namespace\)\)$/m);
    const r = await resources(['deploy', ovpnInventory, '--json']);
    expect(r.filter((x) => x.applied === 'ok').map((x) => x.id)).toEqual(['file:/etc/openvpn/fleet-provider.conf']);
    expect((await gatewayExec(lab, 'gw1', 'test -e /etc/openvpn/fleet-provider.conf')).code).toBe(1);
    expect(await echoOfVpnHalf(openvpnExit)).toBe(openvpnExit);
  }, 120_000);
});
