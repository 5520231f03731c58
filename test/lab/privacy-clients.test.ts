/**
 * Real clients (issue 19): each configured only from `fleet peer add ... --out FILE` and brought
 * up by `wg-quick up FILE` in its own namespace, with no lab-only route. Its default route is the
 * tunnel: the echo service sees the gateway's WAN address (direct half) or the provider's (VPN
 * half), over IPv6 the WAN's IPv6 (direct) or the provider's IPv6 (VPN), internal and outside
 * names resolve through the gateway by the DNS line alone, and a
 * capture on the client's own underlay shows nothing but UDP to the gateway's WireGuard port.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUnderlayClient, wgQuickUp, type StartedClient } from '../../src/lab/clients.js';
import { SWITCH_NS, WG_PORT, labMac } from '../../src/lab/names.js';
import { upstreamQuerySources } from '../../src/lab/proof.js';
import { enter, isAlive, run, runOk, sleep } from '../../src/lab/run.js';
import { fleetCli } from './cli.js';
import { scratchInventory, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let tmp: string;
let inv: string;

const CLIENTS = [
  { half: 'direct', name: 'pc-direct', netns: 'fl-pcd', port: 'p-pcd', underlay: '203.0.113.248' },
  { half: 'vpn', name: 'pc-vpn', netns: 'fl-pcv', port: 'p-pcv', underlay: '203.0.113.249' },
] as const;
const started = new Map<string, StartedClient>();

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, fresh: true }, suite);
  ({ dir: tmp, inventory: inv } = scratchInventory(lab, 'fleet-privacy-clients-'));
}, 120_000);

afterAll(async () => {
  for (const s of started.values()) if (isAlive(s.unsharePid, s.unshareStart)) process.kill(s.unsharePid, 'SIGKILL');
  for (const c of CLIENTS) await run(['ip', 'netns', 'del', c.netns]);
  await teardownLab();
}, 60_000);

describe('clients made the way an operator makes them', () => {
  it('deploys the gateway and adds one client per half with fleet peer add --out', async () => {
    const d = await fleetCli(['deploy', inv, '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    for (const c of CLIENTS) {
      const r = await fleetCli(['peer', 'add', 'gw1', c.name, '--half', c.half, '--out', path.join(tmp, `${c.name}.conf`), '-i', inv]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
  });

  it.each(CLIENTS)('$half half: wg-quick up, the echo, the names, and nothing but WireGuard on its underlay', async (c) => {
    await runOk(['ip', 'netns', 'add', c.netns]);
    await runOk(['ip', 'link', 'add', c.port, 'netns', SWITCH_NS, 'type', 'veth', 'peer', 'name', 'eth0', 'address', labMac(c.underlay), 'netns', c.netns]);
    await runOk(['ip', '-n', SWITCH_NS, 'link', 'set', c.port, 'master', 'br0', 'up']);
    const dir = path.join(tmp, c.name);
    const s = await startUnderlayClient({ netns: c.netns, name: c.name, underlayIp: c.underlay, dir, logPath: path.join(tmp, `${c.name}.log`) });
    started.set(c.name, s);
    const inClient = (script: string, timeoutMs = 30_000) => enter(s.initPid, script, { timeoutMs });
    const wan = lab.gateways[0]!.wanIp;

    // Everything on the client's underlay from before the tunnel comes up. ARP and IPv6 link-local
    // multicast (neighbour discovery, multicast listener reports: never routed off the link) are
    // the link itself, not traffic. (MLD carries a hop-by-hop header, so `icmp6` would miss it.)
    const capture = inClient(`timeout 25 tcpdump -n -l -i eth0 'not arp and not (udp and host ${wan} and port ${WG_PORT}) and not (ip6 and ip6 dst net ff02::/16)'`, 40_000);
    await sleep(1000);
    await wgQuickUp(s.initPid, dir, path.join(tmp, `${c.name}.conf`));
    expect((await inClient(`ip route get ${lab.internet!.ip}`)).stdout).toMatch(new RegExp(` dev ${c.name} `));

    let echo = '';
    for (let i = 0; i < 10 && !echo; i++) {
      const r = await inClient(`curl -s -m 3 ${lab.internet!.echoUrl}`);
      echo = r.code === 0 ? r.stdout.trim() : '';
      if (!echo) await sleep(300);
    }
    expect(echo).toBe(c.half === 'direct' ? wan : lab.provider!.ip);
    for (const [name, ip] of [['vault.raff.local', '10.4.0.7'], ['rafflab.internal', '10.4.0.3']]) {
      expect((await inClient(`dig +short +time=2 +tries=2 ${name} A`)).stdout.trim(), name).toBe(ip);
    }
    // IPv6, from the same config: the direct half leaves by the WAN's IPv6 (masqueraded); the VPN
    // half by the provider's IPv6 (through the namespace and the tunnel), never by the WAN.
    const echo6 = await inClient(`curl -s -m 5 ${lab.internet!.echoUrl6}`);
    expect(echo6.stdout.trim(), `curl exit ${echo6.code} ${echo6.stderr}`).toBe(c.half === 'direct' ? lab.gateways[0]!.wanIp6 : lab.provider!.ip6);
    expect((await inClient('dig -6 +short +time=2 +tries=2 @fd00:10:4::1 vault.raff.local A')).stdout.trim()).toBe('10.4.0.7');
    const outside = `${c.name}-${Date.now().toString(36)}.${lab.internet!.echoName.split('.').slice(1).join('.')}`;
    expect((await inClient(`dig +short +time=2 +tries=2 ${outside} A`)).stdout.trim()).toBe(lab.internet!.ip);
    // dnsmasq's upstream query left through the provider, for either half
    const seen = upstreamQuerySources(lab, outside);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((ip) => ip === lab.provider!.ip), seen.join(', ')).toBe(true);

    const captured = await capture;
    expect(captured.code, `the capture ran its whole window: ${captured.stderr}`).toBe(124);
    expect(captured.stdout.trim(), 'packets on the underlay other than WireGuard to the gateway').toBe('');
  });
});
