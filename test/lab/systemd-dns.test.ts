/**
 * dnsmasq on systemd gateways (issue 22): fleet works with the distribution's dnsmasq.service
 * rather than beside it. On the `resolved` image (systemd-resolved holds 127.0.0.53:53, where the
 * packaged dnsmasq fails at boot) a deploy leaves exactly one dnsmasq, the packaged unit, bound to
 * its listen addresses only, answering the clients on 10.4.0.1, while resolved keeps 127.0.0.53
 * and stays the gateway's own resolver. A teardown leaves the packages' units as a fresh install
 * has them.
 *
 * Everything on the gateway is asked over SSH, as an operator would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provePaths } from '../../src/lab/proof.js';
import { fleetCli } from './cli.js';
import { connectClients, sshRun, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;

async function on(gw: string, script: string): Promise<string> {
  const r = await sshRun(lab, gw, script, { timeoutMs: 30_000 });
  expect(r.code, `${gw}: ${script}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The UDP sockets on port 53 and who holds them: `ADDRESS PROGRAM`, sorted. */
const DNS_SOCKETS = `ss -Hlnup 'sport = :53' | awk '{ split($0, p, "\\""); print $4, p[2] }' | sort`;

/** What a fresh install of the image has for the units fleet touches. */
const UNIT_STATES =
  'for u in dnsmasq systemd-resolved; do printf "%s %s %s\\n" $u "$(systemctl is-enabled $u)" "$(systemctl is-active $u)"; done; readlink /etc/resolv.conf; ls -A /etc/dnsmasq.d; ls -d /etc/systemd/system/dnsmasq.service.d 2>&1 | grep -c "No such"';

/** One more internal name: a change to dnsmasq's config only. */
const EXTRA_NAME = 'dns_entries=[{name: vault.raff.local, ip: 10.4.0.7}, {name: rafflab.internal, ip: 10.4.0.3}, {name: new.internal, ip: 10.4.0.9}]';

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, variant: 'resolved', fresh: true }, suite);
}, 300_000);
afterAll(() => teardownLab(), 60_000);

describe('dnsmasq on a systemd gateway with systemd-resolved', () => {
  let fresh: string;

  it('deploys: one dnsmasq, the packaged unit, on its listen addresses beside resolved', async () => {
    fresh = await on('gw1', `systemctl is-system-running --wait >/dev/null; ${UNIT_STATES}`);
    expect(fresh).toMatch(/^dnsmasq enabled failed\nsystemd-resolved enabled active\n\.\.\/run\/systemd\/resolve\/stub-resolv\.conf\n/);
    expect(fresh).not.toContain('internal.conf');
    expect(fresh).toMatch(/\n1\n$/);

    const r = await fleetCli(['deploy', lab.inventory, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.summary).toMatchObject({ hosts: 1, changed: 1, failed: 0 });

    const units = await on('gw1', 'systemctl is-active dnsmasq systemd-resolved; ps -C dnsmasq -o user=,ppid= | awk \'{ print $1, $2 }\'');
    // One dnsmasq, started by systemd (its parent is PID 1), as the user the firewall's rule names.
    expect(units).toBe('active\nactive\ndnsmasq 1\n');
    const sockets = (await on('gw1', DNS_SOCKETS)).trim().split('\n');
    expect(sockets).toEqual(expect.arrayContaining(['10.4.0.1:53 dnsmasq', '127.0.0.1:53 dnsmasq', '10.200.1.1:53 dnsmasq', '127.0.0.53%lo:53 systemd-resolve']));
    // Never the wildcard: that is what collides with resolved.
    expect(sockets.filter((s) => /^(0\.0\.0\.0|\*|\[::\]):53 /.test(s))).toEqual([]);
  });

  it('answers on 10.4.0.1 while resolved keeps 127.0.0.53 and stays the gateway\'s own resolver', async () => {
    expect(await on('gw1', 'dig +short +time=2 +tries=1 @10.4.0.1 vault.raff.local A')).toBe('10.4.0.7\n');
    expect(await on('gw1', 'dig +short +time=2 +tries=1 @127.0.0.1 rafflab.internal A')).toBe('10.4.0.3\n');
    // The package's resolvconf hook would have registered 127.0.0.1 with resolved: it did not.
    const own = await on('gw1', 'readlink /etc/resolv.conf; grep ^nameserver /etc/resolv.conf; resolvectl dns | grep -c 127.0.0.1 || true');
    expect(own).toBe('../run/systemd/resolve/stub-resolv.conf\nnameserver 127.0.0.53\n0\n');
    await connectClients(lab);
    for (const p of await provePaths(lab)) expect(p.problems, p.client).toEqual([]);
  });

  it('restarts dnsmasq only when its config changed', async () => {
    const pid = async () => (await on('gw1', 'systemctl show -p MainPID --value dnsmasq')).trim();
    const before = await pid();
    const again = await fleetCli(['deploy', lab.inventory, '--json']);
    expect(again.json.summary).toMatchObject({ ok: 1, changed: 0 });
    expect(await pid()).toBe(before);
    const changed = await fleetCli(['deploy', lab.inventory, '--json', '-e', EXTRA_NAME]);
    expect(changed.code, changed.stdout + changed.stderr).toBe(0);
    const ids = changed.json.hosts[0].resources.filter((x: { planned: string }) => x.planned === 'change').map((x: { id: string }) => x.id);
    expect(ids).toEqual(['file:/etc/dnsmasq.d/internal.conf', 'daemon:dnsmasq']);
    expect(await pid()).not.toBe(before);
    expect(await on('gw1', 'dig +short +time=2 +tries=1 @10.4.0.1 new.internal A')).toBe('10.4.0.9\n');
  });

  it('fleet status reads the unit: dnsmasq running with its main pid, the gateway healthy', async () => {
    const r = await fleetCli(['status', '-i', lab.inventory, '--json', '-e', EXTRA_NAME]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const h = r.json.hosts[0];
    expect(h.health.dnsmasq).toMatchObject({ running: true, answering: true, pid: Number((await on('gw1', 'systemctl show -p MainPID --value dnsmasq')).trim()) });
    expect(h.drift.count).toBe(0);
  });

  it('a teardown leaves dnsmasq and resolved as a fresh install has them', async () => {
    const r = await fleetCli(['rollback', 'gw1', '-i', lab.inventory, '--yes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await on('gw1', UNIT_STATES)).toBe(fresh);
  });
});
