/**
 * Provider failover on a systemd gateway (issue 16): the health check is fleet-provider-health.timer
 * (no supervised loop), and an OpenVPN endpoint's client, started by the check's oneshot service,
 * outlives it in a scope of its own. Provider A (OpenVPN) stopped: within provider_dead_after + 10 s
 * the VPN half exits at B (WireGuard), status names B active. A teardown leaves no unit and no
 * tunnel process. (test/lab/failover.test.ts has the WAN capture, no flapping and `provider use`.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoFrom } from '../../src/lab/proof.js';
import type { LabProviderEntry } from '../../src/lab/state.js';
import { fleetCli } from './cli.js';
import { connectClients, scratchInventory, sshRun, teardownLab, useLab, type LabState } from './harness.js';

const DEAD_AFTER = 10;
let lab: LabState;
let inv: string;
let A: LabProviderEntry;
let B: LabProviderEntry;

async function on(script: string): Promise<string> {
  const r = await sshRun(lab, 'gw1', script, { timeoutMs: 30_000 });
  expect(r.code, `${script}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Until the VPN half answers from `want`, a bounded number of tries. */
async function vpnHalfExit(want: string, tries: number): Promise<string> {
  let back = '';
  for (let i = 0; i < tries && back !== want; i++) back = await echoFrom(lab, 'c1-vpn', 2);
  return back;
}

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, systemd: true, provider: 'wireguard' }, suite);
  await on('systemctl is-system-running --wait >/dev/null; true');
  ({ inventory: inv } = scratchInventory(lab, 'fleet-sd-failover-'));
  [A, B] = lab.providers! as [LabProviderEntry, LabProviderEntry];
  const doc = parseDocument(readFileSync(inv, 'utf8'));
  doc.setIn(['all', 'hosts', 'gw1', 'provider_endpoints'], [
    { name: 'A', protocol: 'openvpn', config_file: A.openvpn.clientConfig },
    { name: 'B', protocol: 'wireguard', config_file: B.wireguard.gatewayConfigs.gw1! },
  ]);
  doc.setIn(['all', 'hosts', 'gw1', 'provider_dead_after'], DEAD_AFTER);
  writeFileSync(inv, doc.toString({ lineWidth: 0 }));
}, 300_000);
afterAll(() => teardownLab(), 60_000);

describe('provider failover on a systemd gateway', () => {
  it('a deploy: the timer runs the health check, the OpenVPN client of A outlives the check in its own scope, the VPN half exits at A', async () => {
    const d = await fleetCli(['deploy', inv, '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect((await connectClients(lab)).every((c) => !c.error)).toBe(true);
    expect(await vpnHalfExit(A.openvpn.exitIp, 15)).toBe(A.openvpn.exitIp);
    const units = await on('systemctl is-enabled fleet-provider-health.timer; systemctl is-active fleet-provider-health.timer; ls /run/fleet/provider-failover.pid 2>&1 | grep -c "No such"');
    expect(units).toBe('enabled\nactive\n1\n');
    // several checks later the client still runs, and not in the check's service
    await new Promise((r) => setTimeout(r, 8000));
    const unit = await on('p=$(cat /run/fleet/provider-failover/openvpn.pid); cat /proc/$p/comm; grep -o "[^/]*$" /proc/$p/cgroup | sort -u');
    expect(unit).toMatch(/^openvpn\nrun-.*\.scope\n$/);
    expect(await echoFrom(lab, 'c1-vpn', 3)).toBe(A.openvpn.exitIp);
  }, 120_000);

  it('A stopped: within provider_dead_after + 10 s the VPN half exits at B, and status names B active and why', async () => {
    expect((await fleetCli(['lab', 'provider', 'stop', 'A'])).code).toBe(0);
    const t0 = Date.now();
    const back = await vpnHalfExit(B.exit, DEAD_AFTER + 10);
    const seconds = (Date.now() - t0) / 1000;
    expect(back).toBe(B.exit);
    expect(seconds).toBeLessThanOrEqual(DEAD_AFTER + 10);
    const s = await fleetCli(['status', '-i', inv, '--json']);
    const f = s.json.hosts[0].health.failover;
    expect(f.active).toBe('B');
    expect(f.switches.at(-1)).toMatchObject({ from: 'A', to: 'B' });
    expect(f.switches.at(-1).reason).toMatch(/through the tunnel|handshake|no tunnel/);
    expect((await fleetCli(['lab', 'provider', 'start', 'A'])).code).toBe(0);
  }, 120_000);

  it('a teardown stops the timer and takes the tunnel down: no unit, no tunnel process', async () => {
    const td = await fleetCli(['rollback', 'gw1', '-i', inv, '--yes', '--json']);
    expect(td.code, td.stdout + td.stderr).toBe(0);
    const left = await on('systemctl list-units --all --no-legend --plain "fleet-provider-*" | grep -v "not-found" || true; for c in /proc/[0-9]*/comm; do cat "$c"; done 2>/dev/null | grep -xE "openvpn|wireguard-go" || true; ip netns list');
    expect(left.trim()).toBe('');
  }, 120_000);
});
