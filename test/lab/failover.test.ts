/**
 * Provider failover (issue 16): a gateway with provider_endpoints [A, B] and provider_dead_after
 * 10. Provider A stopped (`fleet lab provider stop A`): within provider_dead_after + 10 s the VPN
 * half exits at B's address, and a capture on the WAN through the whole gap shows no VPN-half
 * packet and no DNS; status names B active and why. A back: the gateway stays on B (no flapping),
 * a deploy does not move it back either; `fleet provider use gw1 A` does. Then the same from an
 * OpenVPN A to a WireGuard B.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoFrom, echoFrom6 } from '../../src/lab/proof.js';
import { providerPlan } from '../../src/lab/names.js';
import { fleetCli, type CliResult } from './cli.js';
import { connectClients, gatewayExec, scratchInventory, teardownLab, useLab, type LabState } from './harness.js';
import type { LabProviderEntry } from '../../src/lab/state.js';

const DEAD_AFTER = 10;
let lab: LabState;
let inv: string;
let A: LabProviderEntry;
let B: LabProviderEntry;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, fresh: true, provider: 'wireguard' }, suite);
  ({ inventory: inv } = scratchInventory(lab, 'fleet-failover-'));
  [A, B] = lab.providers! as [LabProviderEntry, LabProviderEntry];
}, 120_000);

afterAll(async () => {
  await teardownLab();
}, 60_000);

/** gw1 with these endpoints, in this order, and a short provider_dead_after. */
function writeEndpoints(endpoints: { name: string; protocol: 'openvpn' | 'wireguard'; config_file: string }[]): void {
  const doc = parseDocument(readFileSync(inv, 'utf8'));
  doc.setIn(['all', 'hosts', 'gw1', 'provider_endpoints'], endpoints);
  doc.setIn(['all', 'hosts', 'gw1', 'provider_dead_after'], DEAD_AFTER);
  writeFileSync(inv, doc.toString({ lineWidth: 0 }));
}

async function fleet(args: string[]): Promise<CliResult> {
  return fleetCli(args);
}

/** Until the VPN half answers from `want` (a fresh tunnel's first handshake), a bounded number of tries. */
async function echoOfVpnHalf(want: string): Promise<string> {
  let back = '';
  for (let i = 0; i < 15 && back !== want; i++) back = await echoFrom(lab, 'c1-vpn', 3);
  return back;
}

async function failoverOf(): Promise<{ active?: string; switches: { from: string; to: string; reason: string }[]; upstream: { protocol: string; endpointName: string } }> {
  const r = await fleet(['status', '-i', inv, '--json']);
  const h = r.json.hosts[0];
  return { ...h.health.failover, upstream: h.health.upstream };
}

/**
 * Stops provider A with a capture on gw1's WAN running: the VPN half asks the echo service every
 * few seconds until it answers from `to`. Returns how long that took and what the capture saw.
 */
async function stopAndWatch(stop: string, to: string): Promise<{ seconds: number; answers: string[]; packets: string; fullWindow: boolean }> {
  const window = DEAD_AFTER + 25;
  const capture = gatewayExec(lab, 'gw1', `timeout ${window} tcpdump -n -l -i ens5 'net 10.4.0.128/25 or port 53'`, { timeoutMs: (window + 15) * 1000 });
  await new Promise((r) => setTimeout(r, 1000));
  const stopped = await fleet(['lab', 'provider', 'stop', stop]);
  expect(stopped.code, stopped.stderr).toBe(0);
  const t0 = Date.now();
  const answers: string[] = [];
  let seconds = Infinity;
  while (Date.now() - t0 < (DEAD_AFTER + 20) * 1000) {
    const back = await echoFrom(lab, 'c1-vpn', 2);
    answers.push(back);
    if (back === to) {
      seconds = (Date.now() - t0) / 1000;
      break;
    }
  }
  const captured = await capture;
  process.stdout.write(`[failover] ${stop} stopped: the VPN half exits at ${to} after ${seconds.toFixed(1)} s (provider_dead_after ${DEAD_AFTER} s)\n`);
  return { seconds, answers, packets: captured.stdout.trim(), fullWindow: captured.code === 124 };
}

describe('provider failover, WireGuard A -> WireGuard B', () => {
  it('the lab has two providers with their own exits', () => {
    expect(lab.provider!.ip).toBe(A.ip);
    expect(A).toMatchObject({ name: 'A', exit: '198.51.100.5' });
    expect(B).toMatchObject({ name: 'B', exit: '198.51.100.7' });
  });

  it('a deploy with provider_endpoints: the VPN half exits at A; status names A active', async () => {
    writeEndpoints([
      { name: 'A', protocol: 'wireguard', config_file: A.wireguard.gatewayConfigs.gw1! },
      { name: 'B', protocol: 'wireguard', config_file: B.wireguard.gatewayConfigs.gw1! },
    ]);
    const r = await fleet(['deploy', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await connectClients(lab)).every((c) => !c.error)).toBe(true);
    expect(await echoOfVpnHalf(A.exit)).toBe(A.exit);
    // and its IPv6 by A's IPv6 (the endpoint's file has an IPv6 Address)
    expect((await echoFrom6(lab, 'c1-vpn', 3)).saw).toBe(providerPlan('A')!.ip6);
    const f = await failoverOf();
    expect(f.active).toBe('A');
    expect(f.upstream).toMatchObject({ protocol: 'wireguard', endpointName: 'A' });
    // every endpoint's config is on the gateway, 0600; both servers are routed around the tunnel
    const files = await gatewayExec(lab, 'gw1', 'stat -c "%n %a" /etc/fleet/providers/A.conf /etc/fleet/providers/B.conf; ip -n vpn route show');
    expect(files.stdout).toContain('/etc/fleet/providers/A.conf 600');
    expect(files.stdout).toContain('/etc/fleet/providers/B.conf 600');
    expect(files.stdout).toMatch(new RegExp(`^${B.ip.replace(/\./g, '\\.')} via`, 'm'));
  }, 120_000);

  it(`A stopped: within provider_dead_after + 10 s the VPN half exits at B, and nothing of it reaches the WAN in the gap`, async () => {
    const w = await stopAndWatch('A', B.exit);
    expect(w.answers, 'the VPN half never answers from the WAN address').not.toContain(lab.gateways[0]!.wanIp);
    expect(w.seconds, `answers: ${w.answers.join(',')}`).toBeLessThanOrEqual(DEAD_AFTER + 10);
    expect(w.fullWindow, 'the capture ran its whole window').toBe(true);
    expect(w.packets, 'VPN-half or DNS packets on the WAN during the failover').toBe('');
  }, 120_000);

  it('status names B active and the reason of the switch', async () => {
    // the health check put B's IPv6 Address and routes on the tunnel: the VPN half's IPv6 exits at B
    expect((await echoFrom6(lab, 'c1-vpn', 3)).saw).toBe(providerPlan('B')!.ip6);
    const f = await failoverOf();
    expect(f.active).toBe('B');
    expect(f.upstream).toMatchObject({ protocol: 'wireguard', endpointName: 'B' });
    const last = f.switches.at(-1)!;
    expect(last).toMatchObject({ from: 'A', to: 'B' });
    expect(last.reason).toMatch(/no answer from .* through the tunnel|no (fresh )?WireGuard handshake/);
    const table = await fleet(['status', '-i', inv]);
    expect(table.stdout).toMatch(/gw1 provider endpoint B active; last switches:/);
    expect(table.stdout).toMatch(/A -> B: no /);
  });

  it('A back: the gateway stays on B (no flapping), and a deploy does not move it back', async () => {
    const started = await fleet(['lab', 'provider', 'start', 'A']);
    expect(started.code, started.stderr).toBe(0);
    // Several health checks' worth of time with A reachable again.
    await new Promise((r) => setTimeout(r, (DEAD_AFTER + 5) * 1000));
    expect(await echoFrom(lab, 'c1-vpn', 3)).toBe(B.exit);
    const plan = await fleet(['deploy', inv, '--check', '--json']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.json.hosts[0].resources.filter((x: { planned: string }) => x.planned === 'change').map((x: { id: string }) => x.id)).toEqual([]);
    const d = await fleet(['deploy', inv, '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(await echoFrom(lab, 'c1-vpn', 3)).toBe(B.exit);
    const f = await failoverOf();
    expect(f.active).toBe('B');
    expect(f.switches.length).toBe(1);
  }, 120_000);

  it('fleet provider use gw1 A switches back, logged as such', async () => {
    const bad = await fleet(['provider', 'use', 'gw1', 'C', '-i', inv]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/no provider endpoint C/);
    const r = await fleet(['provider', 'use', 'gw1', 'A', '-i', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json).toMatchObject({ host: 'gw1', endpoint: 'A', ok: true });
    expect(await echoOfVpnHalf(A.exit)).toBe(A.exit);
    // and its IPv6 by A's IPv6 (the endpoint's file has an IPv6 Address)
    expect((await echoFrom6(lab, 'c1-vpn', 3)).saw).toBe(providerPlan('A')!.ip6);
    const f = await failoverOf();
    expect(f.active).toBe('A');
    expect(f.switches.at(-1)).toMatchObject({ from: 'B', to: 'A', reason: 'fleet provider use' });
  }, 120_000);
});

describe('provider failover, OpenVPN A -> WireGuard B', () => {
  it('A is OpenVPN now: the deploy restarts the health check on A, the VPN half exits at A', async () => {
    writeEndpoints([
      { name: 'A', protocol: 'openvpn', config_file: A.openvpn.clientConfig },
      { name: 'B', protocol: 'wireguard', config_file: B.wireguard.gatewayConfigs.gw1! },
    ]);
    const r = await fleet(['deploy', inv, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await echoOfVpnHalf(A.openvpn.exitIp)).toBe(A.openvpn.exitIp);
    expect((await failoverOf()).upstream).toMatchObject({ protocol: 'openvpn', endpointName: 'A' });
  }, 120_000);

  it('A stopped: within provider_dead_after + 10 s the VPN half exits at B, nothing on the WAN in the gap', async () => {
    const w = await stopAndWatch('A', B.exit);
    expect(w.answers).not.toContain(lab.gateways[0]!.wanIp);
    expect(w.seconds, `answers: ${w.answers.join(',')}`).toBeLessThanOrEqual(DEAD_AFTER + 10);
    expect(w.fullWindow, 'the capture ran its whole window').toBe(true);
    expect(w.packets, 'VPN-half or DNS packets on the WAN during the failover').toBe('');
    const f = await failoverOf();
    expect(f.active).toBe('B');
    expect(f.switches.at(-1)).toMatchObject({ from: 'A', to: 'B' });
    expect((await fleet(['lab', 'provider', 'start', 'A'])).code).toBe(0);
  }, 120_000);

  it('a teardown takes the tunnel down with the health check: no tunnel process is left on the gateway', async () => {
    const td = await fleet(['rollback', 'gw1', '-i', inv, '--yes', '--json']);
    expect(td.code, td.stdout + td.stderr).toBe(0);
    const left = await gatewayExec(lab, 'gw1', 'for c in /proc/[0-9]*/comm; do cat "$c"; done 2>/dev/null | grep -xE "openvpn|wireguard-go" || true; ip netns list');
    // (the gateway's clients' wireguard-go run in their own lab namespaces, not in gw1)
    expect(left.stdout.trim()).toBe('');
  }, 120_000);
});
