/**
 * The WireGuard upstream on a systemd gateway (issues 16, 22). With no WireGuard in the kernel the
 * provider tunnel is a wireguard-go process: a deploy starts it in a scope of its own
 * (fleet-wireguard-go-wgp0.scope), never in the SSH login that deployed it, where logind's session
 * would own it. The VPN half exits at the WireGuard provider; after a real reboot the boot script
 * brings the tunnel back, in its scope again; a teardown leaves no tunnel process and no scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoFrom, providerExit } from '../../src/lab/proof.js';
import { fleetCli } from './cli.js';
import { connectClients, labStatus, sshRun, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;

async function on(script: string): Promise<string> {
  const r = await sshRun(lab, 'gw1', script, { timeoutMs: 60_000 });
  expect(r.code, `${script}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Each wireguard-go as `ARGS CGROUP` (the command line ends in a space) (systemd's own hierarchy), sorted. */
async function wireguardGo(): Promise<string[]> {
  const out = await on(
    'for p in $(pgrep -x wireguard-go); do printf "%s%s\\n" "$(tr "\\0" " " </proc/$p/cmdline)" "$(sed -n "s/^[0-9]*:name=systemd://p; s/^0:://p" /proc/$p/cgroup | head -n 1)"; done',
  );
  return out.split('\n').filter(Boolean).sort();
}

/** Until the VPN half answers from `want`, a bounded number of tries. */
async function vpnHalfExit(want: string): Promise<string> {
  let back = '';
  for (let i = 0; i < 15 && back !== want; i++) back = await echoFrom(lab, 'c1-vpn', 2);
  return back;
}

const IN_ITS_SCOPE = ['wireguard-go wg0 /system.slice/system-wg\\x2dquick.slice/wg-quick@wg0.service', 'wireguard-go wgp0 /system.slice/fleet-wireguard-go-wgp0.scope'];

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, systemd: true, provider: 'wireguard', fresh: true }, suite);
}, 300_000);
afterAll(() => teardownLab(), 60_000);

describe('the WireGuard upstream on a systemd gateway', () => {
  it('a deploy starts the tunnel in a scope of its own, not in the login; the VPN half exits at the provider', async () => {
    const d = await fleetCli(['deploy', lab.inventory, '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(await wireguardGo()).toEqual(IN_ITS_SCOPE);
    expect((await on('systemctl is-active fleet-wireguard-go-wgp0.scope')).trim()).toBe('active');
    await connectClients(lab);
    expect(await vpnHalfExit(providerExit(lab))).toBe(providerExit(lab));
  }, 120_000);

  it('a real reboot: the boot script brings the tunnel back in its scope, and the VPN half exits at the provider', async () => {
    const r = await fleetCli(['lab', 'reboot', 'gw1', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.boot).toMatchObject({ systemState: 'running', failedUnits: [] });
    lab = labStatus();
    expect(await wireguardGo()).toEqual(IN_ITS_SCOPE);
    await connectClients(lab);
    expect(await vpnHalfExit(providerExit(lab))).toBe(providerExit(lab));
    const s = await fleetCli(['status', '-i', lab.inventory, '--json']);
    expect(s.json.hosts[0].drift.count, JSON.stringify(s.json.hosts[0].drift.items)).toBe(0);
  }, 180_000);

  it('a teardown leaves no tunnel process and no scope', async () => {
    const td = await fleetCli(['rollback', 'gw1', '-i', lab.inventory, '--yes', '--json']);
    expect(td.code, td.stdout + td.stderr).toBe(0);
    expect(await wireguardGo()).toEqual([]);
    expect(await on('systemctl list-units --all --no-legend --plain "fleet-wireguard-go-*" | grep -v not-found || true')).toBe('');
  }, 120_000);
});
