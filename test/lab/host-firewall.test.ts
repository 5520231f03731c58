/**
 * Host firewalls (issue 22): where something filters INPUT, fleet opens exactly what the gateway
 * needs (WireGuard's UDP port on the WAN; DNS and ICMP from wg0) and a teardown leaves the
 * firewall as it was; where INPUT accepts everything, it writes nothing.
 *
 * - today's namespace gateways: gw1's INPUT set to DROP by the test (SSH allowed), gw2 left open;
 * - the systemd `default-deny` image (a hardened image's iptables-restore unit, INPUT DROP at
 *   boot): commented INPUT rules, back after a real reboot through the boot script;
 * - the systemd `ufw` image (ufw enabled, deny incoming, SSH allowed): ufw's own rules, shown by
 *   `ufw status`, kept by `ufw reload`.
 *
 * Everything on a gateway is read over SSH, as an operator would; the proofs are the clients'.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { provePaths } from '../../src/lab/proof.js';
import { fleetCli } from './cli.js';
import { connectClients, rebootGateway, sshRun, teardownLab, useLab, type LabState } from './harness.js';

afterAll(() => teardownLab(), 60_000);

async function on(lab: LabState, gw: string, script: string): Promise<string> {
  const r = await sshRun(lab, gw, script, { timeoutMs: 60_000 });
  expect(r.code, `${gw}: ${script}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/**
 * Every table's policies and rules (iptables -S: iptables-save would also list the empty tables
 * that nf_tables keeps once a rule was in them, which filter nothing).
 */
const IPTABLES = 'for t in filter nat mangle raw; do echo "*$t"; iptables -t $t -S; done';
/** What fleet added to INPUT: its rules, by comment. */
const FLEET_INPUT = "iptables -S INPUT | grep -F 'fleet: ' | sed 's/.*--comment \"fleet: \\(.*\\)\" -j ACCEPT$/\\1/; s/.*--comment \"fleet: \\(.*\\)\"$/\\1/'";

/** Which resources of the firewall modules a deploy planned to change. */
function changedFirewall(json: { hosts: { host: string; resources: { id: string; planned: string }[] }[] }, host: string): string[] {
  const h = json.hosts.find((x) => x.host === host)!;
  return h.resources.filter((r) => r.planned === 'change' && /^(input|ufw)-allow:/.test(r.id)).map((r) => r.id.replace(/ -m comment .*/, ''));
}

async function deployAndProve(lab: LabState): Promise<{ json: Parameters<typeof changedFirewall>[0] }> {
  const r = await fleetCli(['deploy', lab.inventory, '--json']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect((await connectClients(lab)).every((c) => !c.error)).toBe(true);
  await expectPaths(lab);
  return { json: r.json };
}

async function expectPaths(lab: LabState): Promise<void> {
  let proofs = await provePaths(lab);
  // A client's first handshake after its gateway came (back) up may take one retry.
  for (let i = 0; i < 5 && proofs.some((p) => !p.ok); i++) proofs = await provePaths(lab);
  for (const p of proofs) expect(p.problems, p.client).toEqual([]);
}

const WG_INPUT = 'input-allow:INPUT -i ens5 -p udp --dport 51821 -j ACCEPT';
const DNS_INPUT = ['input-allow:INPUT -i wg0 -p udp --dport 53 -j ACCEPT', 'input-allow:INPUT -i wg0 -p tcp --dport 53 -j ACCEPT'];
const ICMP_INPUT = 'input-allow:INPUT -i wg0 -p icmp -j ACCEPT';

describe('namespace gateways: gw1 with INPUT set to DROP, gw2 accepting everything', () => {
  let lab: LabState;
  const before: Record<string, string> = {};

  it('deploys both: gw1 gets four commented INPUT rules, gw2 none, and every path works', async ({ skip }) => {
    lab = await useLab({ hosts: 2, fresh: true, systemd: false }, { skip });
    await on(lab, 'gw1', 'iptables -A INPUT -i lo -j ACCEPT && iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT && iptables -A INPUT -p tcp --dport 22 -j ACCEPT && iptables -P INPUT DROP');
    for (const g of ['gw1', 'gw2']) before[g] = await on(lab, g, IPTABLES);

    const { json } = await deployAndProve(lab);
    expect(changedFirewall(json, 'gw1')).toEqual([WG_INPUT, ...DNS_INPUT, ICMP_INPUT]);
    expect(changedFirewall(json, 'gw2')).toEqual([]);
    expect((await on(lab, 'gw1', FLEET_INPUT)).trim().split('\n')).toEqual([
      'client ICMP in from wg0, through INPUT',
      'client DNS over tcp in from wg0, through INPUT',
      'client DNS over udp in from wg0, through INPUT',
      'WireGuard in on the WAN, through INPUT',
    ]);
    expect(await on(lab, 'gw2', 'iptables -S INPUT')).toBe('-P INPUT ACCEPT\n');
    expect(await on(lab, 'gw1', 'ping -c 1 -W 2 -I 10.4.0.1 10.4.0.1 >/dev/null && echo ok')).toBe('ok\n');
  });

  it('a second deploy changes nothing; a teardown leaves both firewalls exactly as they were', async () => {
    const again = await fleetCli(['deploy', lab.inventory, '--json']);
    expect(again.json.summary).toMatchObject({ changed: 0, failed: 0 });
    const r = await fleetCli(['rollback', 'gw1', 'gw2', '-i', lab.inventory, '--yes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const g of ['gw1', 'gw2']) expect(await on(lab, g, IPTABLES), g).toBe(before[g]);
  });
});

describe('systemd gateway, default-deny image: INPUT DROP from boot', () => {
  let lab: LabState;
  let before: string;

  it('deploys: commented INPUT rules, both halves and DNS work', async ({ skip }) => {
    lab = await useLab({ hosts: 1, variant: 'default-deny', fresh: true }, { skip });
    expect(await on(lab, 'gw1', 'systemctl is-active hardened-firewall; iptables -S INPUT | head -n 1')).toBe('active\n-P INPUT DROP\n');
    before = await on(lab, 'gw1', IPTABLES);
    const { json } = await deployAndProve(lab);
    expect(changedFirewall(json, 'gw1')).toEqual([WG_INPUT, ...DNS_INPUT, ICMP_INPUT]);
  });

  it('a real reboot: the firewall denies again, the boot script opens it again, every path works', async () => {
    lab = await rebootGateway(lab, 'gw1');
    expect((await on(lab, 'gw1', FLEET_INPUT)).trim().split('\n')).toHaveLength(4);
    expect((await connectClients(lab)).every((c) => !c.error)).toBe(true);
    await expectPaths(lab);
    const st = await fleetCli(['status', '-i', lab.inventory, '--json']);
    expect(st.json.hosts[0].drift.count).toBe(0);
  });

  it('a teardown leaves the firewall as the image had it', async () => {
    const r = await fleetCli(['rollback', 'gw1', '-i', lab.inventory, '--yes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await on(lab, 'gw1', IPTABLES)).toBe(before);
  });
});

describe('systemd gateway, ufw image: ufw enabled, deny incoming, SSH allowed', () => {
  let lab: LabState;
  const before: Record<string, string> = {};
  const UFW = 'ufw status verbose; cat /etc/ufw/user.rules /etc/ufw/user6.rules | grep -v "^#"';

  it('deploys through ufw: its own rules, with fleet\'s comments; both halves and DNS work', async ({ skip }) => {
    lab = await useLab({ hosts: 1, variant: 'ufw', fresh: true }, { skip });
    before.ufw = await on(lab, 'gw1', UFW);
    expect(before.ufw).toMatch(/^Status: active\n/);
    before.iptables = await on(lab, 'gw1', IPTABLES);
    const { json } = await deployAndProve(lab);
    // ICMP: ufw's own before.rules accept echo requests; ufw has no command for ICMP.
    expect(changedFirewall(json, 'gw1')).toEqual(['ufw-allow:udp/51821 in on ens5', 'ufw-allow:udp/53 in on wg0', 'ufw-allow:tcp/53 in on wg0']);
    const status = await on(lab, 'gw1', 'ufw status');
    expect(status).toMatch(/^51821\/udp on ens5 +ALLOW +Anywhere +# fleet: WireGuard in on the WAN, through ufw$/m);
    expect(status).toMatch(/^53\/udp on wg0 +ALLOW +Anywhere +# fleet: client DNS over udp in from wg0, through ufw$/m);
    expect(status).toMatch(/^53\/tcp on wg0 +ALLOW +Anywhere +# fleet: client DNS over tcp in from wg0, through ufw$/m);
    expect(await on(lab, 'gw1', FLEET_INPUT)).toBe('');
  });

  it('ufw reload keeps them: every path still works and a deploy changes nothing', async () => {
    await on(lab, 'gw1', 'ufw reload');
    await expectPaths(lab);
    const again = await fleetCli(['deploy', lab.inventory, '--json']);
    expect(again.json.summary).toMatchObject({ changed: 0, failed: 0 });
  });

  it('a teardown leaves ufw and the ruleset as they were', async () => {
    const r = await fleetCli(['rollback', 'gw1', '-i', lab.inventory, '--yes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await on(lab, 'gw1', UFW)).toBe(before.ufw);
    expect(await on(lab, 'gw1', IPTABLES)).toBe(before.iptables);
  });
});
