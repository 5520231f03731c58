/**
 * The systemd lab itself (issue 22): `lab up --systemd` boots real Debian 12 gateways under
 * systemd-nspawn, each in its own network namespace and cgroup, reachable over SSH like the
 * namespace gateways; a reboot is a real one and wipes the kernel's state; the image variants
 * behave as their names say; `lab down` leaves the machine as it was.
 *
 * Everything a gateway can or cannot do is asked over SSH, as an operator (and fleet) meets it:
 * nsenter runs with this machine's full capabilities and would hide a missing one.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetCli } from './cli.js';
import { labStatus, rootNetSnapshot, snapshotGateway, sshRun, teardownLab, useLab, type LabState } from './harness.js';
import { tcpOpen } from '../../src/lab/gateway.js';
import { isAlive } from '../../src/lab/run.js';
import { labCgroupRoots } from '../../src/lab/cgroups.js';

/** Runs a script on a gateway over SSH as root and returns its stdout (fails the test on a non-zero exit). */
async function on(lab: LabState, gw: string, script: string, timeoutMs = 30_000): Promise<string> {
  const r = await sshRun(lab, gw, script, { timeoutMs });
  expect(r.code, `${gw}: ${script}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/** What must be gone after `down`: namespaces, fl-ctl, the lab's processes, cgroups and mounts. */
function leftovers(lab: LabState): string[] {
  const out: string[] = [];
  const ns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('fl-')) : [];
  if (ns.length) out.push(`namespaces: ${ns.join(' ')}`);
  if (existsSync('/sys/class/net/fl-ctl')) out.push('fl-ctl still exists');
  for (const g of lab.gateways) if (isAlive(g.initPid)) out.push(`${g.name}'s PID 1 (${g.initPid}) still alive`);
  for (const r of labCgroupRoots()) if (existsSync(r)) out.push(`cgroup ${r} still exists`);
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if ((cmd.includes(lab.stateDir) || cmd.includes('nspawn-supervise')) && isAlive(Number(entry))) out.push(`process ${entry}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(lab.stateDir) || l.includes('/run/netns/fl-') || l.includes(' overlay '));
  if (mounts.length) out.push(`mounts: ${mounts.join(' | ')}`);
  return out;
}

let rootBefore: string;

beforeAll(async () => {
  await teardownLab();
  rootBefore = await rootNetSnapshot();
}, 60_000);
afterAll(() => teardownLab(), 60_000);

describe('lab up --systemd (default image), two gateways', () => {
  let lab: LabState;

  beforeAll(async ({}, suite) => {
    lab = await useLab({ hosts: 2, systemd: true, fresh: true }, suite);
  }, 300_000);

  it('boots Debian 12 with systemd as PID 1, running, with ssh.service active and the lab addresses', async () => {
    expect(lab.systemd?.variant).toBe('default');
    expect(lab.gateways.map((g) => [g.name, g.wanIp])).toEqual([['gw1', '198.51.100.11'], ['gw2', '198.51.100.12']]);
    for (const g of lab.gateways) {
      const out = await on(lab, g.name, 'readlink /proc/1/exe; systemctl is-system-running --wait; systemctl is-active ssh.service; hostname; . /etc/os-release; echo "$VERSION_CODENAME"; ip -4 -o addr show dev ens5');
      const [exe, state, ssh, host, codename, addr] = out.split('\n');
      expect(exe).toBe('/usr/lib/systemd/systemd');
      expect(state).toBe('running');
      expect(ssh).toBe('active');
      expect(host).toBe(g.name);
      expect(codename).toBe('bookworm');
      expect(addr).toContain(`inet ${g.wanIp}/24`);
    }
    expect(readFileSync(lab.inventory, 'utf8')).toMatch(/^# fleet lab inventory/);
  });

  it('each gateway has its own machine-id, host key and cgroup', async () => {
    const ids = await Promise.all(lab.gateways.map((g) => on(lab, g.name, 'cat /etc/machine-id')));
    expect(ids[0]).toMatch(/^[0-9a-f]{32}\n$/);
    expect(ids[0]).not.toBe(ids[1]);
    const keys = readFileSync(lab.ssh.knownHostsPath, 'utf8').trim().split('\n').map((l) => l.split(' ')[2]);
    expect(new Set(keys).size).toBe(2);
    for (const g of lab.gateways) {
      // The gateway's PID 1 lives in its own payload cgroup in every hierarchy nspawn uses.
      const cg = readFileSync(`/proc/${g.initPid}/cgroup`, 'utf8');
      for (const line of cg.split('\n').filter((l) => /^\d+:(name=systemd)?:/.test(l))) expect(line).toContain(`/fleet-lab/${g.name}/payload`);
    }
  });

  it('the gateway can run its own network: lo up, iptables, sysctls, /dev/net/tun and a wireguard-go interface', async () => {
    const out = await on(
      lab,
      'gw1',
      [
        'ip -br link show lo | grep -q UP && echo lo-up',
        'iptables -N LABTEST && iptables -A LABTEST -s 10.99.0.0/16 -j DROP && iptables -S LABTEST | grep -c 10.99 && iptables -F LABTEST && iptables -X LABTEST',
        'sysctl -q -w net.ipv4.ip_forward=1 && sysctl -n net.ipv4.ip_forward && sysctl -q -w net.ipv4.ip_forward=0',
        'test -c /dev/net/tun && echo tun',
        'LOG_LEVEL=error wireguard-go wgt0 >/dev/null && wg genkey >/tmp/k && wg set wgt0 listen-port 51999 private-key /tmp/k && ip addr add 10.77.0.1/24 dev wgt0 && ip link set wgt0 up',
        'wg show wgt0 listen-port; ip -4 -o addr show dev wgt0 | grep -o "10.77.0.1/24"',
        'ip link del wgt0; rm -f /tmp/k',
      ].join('\n'),
    );
    expect(out.split('\n')).toEqual(['lo-up', '1', '1', 'tun', '51999', '10.77.0.1/24', '']);
  });

  it('snapshots are deterministic across logins and record the units', async () => {
    const a = await snapshotGateway(lab, 'gw2');
    await on(lab, 'gw2', 'true');
    expect(await snapshotGateway(lab, 'gw2')).toBe(a);
    expect(a).toMatch(/^== units\n(.+\n)*dnsmasq\.service active running\n(.+\n)*ssh\.service active running\n/m);
    expect(a).toMatch(/^== enabled units\n(.+\n)*networking\.service\n/m);
  });

  it('the non-root sudo user exists and logs in with the lab key', async () => {
    const r = await sshRun(lab, 'gw2', 'id -un; sudo -n id -u', { user: lab.ssh.becomeUser });
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['fleetop', '0']);
  });

  it('fleet lab reboot: a real reboot, a new PID 1 and boot id, a wiped network namespace, the disk kept', async () => {
    const before = await on(
      lab,
      'gw1',
      'cat /proc/sys/kernel/random/boot_id /etc/machine-id; echo kept >/etc/reboot-test; ip rule add fwmark 0x77 lookup 77; iptables -A INPUT -s 10.99.0.0/16 -j DROP; ip link add vt0 type veth peer name vt1; ip netns add reboot-test; sysctl -q -w net.ipv4.ip_forward=1',
    );
    const [bootId, machineId] = before.split('\n');
    const oldInit = lab.gateways[0]!.initPid;
    const r = await fleetCli(['lab', 'reboot', 'gw1', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.boot).toMatchObject({ systemState: 'running', failedUnits: [], ok: true });
    expect(r.json.boot.enabled).toEqual(expect.arrayContaining(['ssh.service', 'networking.service']));
    lab = labStatus();
    expect(lab.up).toBe(true);
    expect(lab.gateways[0]!.initPid).not.toBe(oldInit);
    expect(isAlive(oldInit)).toBe(false);
    const after = await on(lab, 'gw1', 'cat /proc/sys/kernel/random/boot_id /etc/machine-id /etc/reboot-test; ip rule | grep -c 0x77; iptables -S INPUT | grep -c 10.99; ip -o link | grep -c vt0; ip netns list | wc -l; sysctl -n net.ipv4.ip_forward; systemctl is-system-running');
    const [newBoot, newMachine, kept, rules, ipt, veth, netns, fwd, state] = after.split('\n');
    expect(newBoot).not.toBe(bootId);
    expect(newMachine).toBe(machineId);
    expect([kept, rules, ipt, veth, netns, fwd, state]).toEqual(['kept', '0', '0', '0', '0', '0', 'running']);
    // The same host key: strict checking still passes.
    expect((await on(lab, 'gw1', 'rm /etc/reboot-test; hostname')).trim()).toBe('gw1');
  });

  it('down removes every namespace, process, cgroup and mount and leaves the root namespace as it was', async () => {
    await teardownLab();
    expect(leftovers(lab)).toEqual([]);
    expect(await rootNetSnapshot()).toBe(rootBefore);
    expect(labStatus().up).toBe(false);
  });
});

describe('systemd image variants (one bare gateway each)', () => {
  it('resolved: systemd-resolved holds 127.0.0.53:53, and the packaged dnsmasq fails beside it as on Ubuntu', async ({ skip }) => {
    const lab = await useLab({ hosts: 1, bare: true, variant: 'resolved', fresh: true }, { skip });
    expect(lab.systemd?.variant).toBe('resolved');
    const out = await on(lab, 'gw1', 'systemctl is-active systemd-resolved; readlink /etc/resolv.conf; ss -Hlnup "sport = :53" | grep -o "127.0.0.53%lo:53.*systemd-resolve" | head -1; resolvectl dns | grep -o 198.51.100.3; systemctl is-system-running --wait; systemctl --failed --no-legend --plain | cut -d" " -f1');
    expect(out.split('\n')).toEqual(['active', '../run/systemd/resolve/stub-resolv.conf', expect.stringMatching(/^127\.0\.0\.53%lo:53 .*systemd-resolve$/), '198.51.100.3', 'degraded', 'dnsmasq.service', '']);
    // dnsmasq's Debian defaults bind the wildcard address, where resolved already is.
    expect(await on(lab, 'gw1', 'journalctl -b -u dnsmasq --no-pager -o cat')).toMatch(/failed to create listening socket for port 53: Address already in use/);
  });

  it('default-deny: the INPUT policy is DROP and only SSH comes in', async ({ skip }) => {
    const lab = await useLab({ hosts: 1, bare: true, variant: 'default-deny', fresh: true }, { skip });
    const out = await on(lab, 'gw1', 'iptables -S INPUT; systemctl is-active hardened-firewall.service dnsmasq.service; systemctl is-system-running --wait');
    expect(out).toMatch(/^-P INPUT DROP\n/);
    expect(out).toContain('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT');
    expect(out).toMatch(/active\nactive\nrunning\n$/);
    // The packaged dnsmasq listens on TCP 53 of every address: a hardened gateway drops the SYN.
    expect(await tcpOpen(lab.gateways[0]!.wanIp, 53, 1500)).toBe(false);
  });

  it('ufw: ufw is active and allows SSH', async ({ skip }) => {
    const lab = await useLab({ hosts: 1, bare: true, variant: 'ufw', fresh: true }, { skip });
    const out = await on(lab, 'gw1', 'ufw status; iptables -S INPUT | head -1; systemctl is-system-running --wait');
    expect(out).toMatch(/^Status: active\n/);
    expect(out).toMatch(/^22\/tcp\s+ALLOW\s+Anywhere/m);
    expect(out).toMatch(/-P INPUT DROP\nrunning\n$/);
    expect(await tcpOpen(lab.gateways[0]!.wanIp, 53, 1500)).toBe(false);
  });

  it('the default image, by contrast, lets the packaged dnsmasq answer on TCP 53', async ({ skip }) => {
    const lab = await useLab({ hosts: 1, bare: true, systemd: true, fresh: true }, { skip });
    expect(await on(lab, 'gw1', 'iptables -S INPUT; systemctl is-active dnsmasq')).toBe('-P INPUT ACCEPT\nactive\n');
    expect(await tcpOpen(lab.gateways[0]!.wanIp, 53, 1500)).toBe(true);
  });

  it('down after a crash (the record lost) still leaves the root namespace as it was', async () => {
    const lab = labStatus();
    expect(lab.up).toBe(true);
    // The lab's cgroups name every supervisor, nspawn and container process without the record.
    rmSync(`${lab.stateDir}/state.json`);
    await teardownLab();
    expect(leftovers(lab)).toEqual([]);
    expect(await rootNetSnapshot()).toBe(rootBefore);
  });
});
