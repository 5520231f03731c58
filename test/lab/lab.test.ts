/**
 * The lab itself (issue 3): what `lab up --hosts 3` builds is real and isolated, and `lab down`
 * leaves the machine exactly as it was. Runs as root; under CI=true it fails instead of skipping.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  clientExec, gatewayExec, labStatus, rebootGateway, rootNetSnapshot, snapshotGateway, sshRun, teardownLab, useLab, type LabState,
} from './harness.js';
import { labUp } from '../../src/lab/up.js';
import { isAlive, run } from '../../src/lab/run.js';

/** Everything that must be gone after `down`: namespaces, fl-ctl, processes, mounts. */
function leftovers(lab: LabState): string[] {
  const out: string[] = [];
  const ns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('fl-')) : [];
  if (ns.length) out.push(`namespaces: ${ns.join(' ')}`);
  if (existsSync('/sys/class/net/fl-ctl')) out.push('fl-ctl still exists');
  for (const pid of [...lab.gateways.map((g) => g.initPid), ...lab.clients.map((c) => c.initPid)]) {
    if (isAlive(pid)) out.push(`process ${pid} still alive`);
  }
  // Any live process whose command line mentions the state dir (dnsmasq, openvpn, the echo server).
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(lab.stateDir) && isAlive(Number(entry)) && Number(entry) !== process.pid) out.push(`process ${entry}: ${cmd}`);
    } catch {
      /* gone */
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(lab.stateDir) || l.includes('/run/netns/fl-'));
  if (mounts.length) out.push(`mounts: ${mounts.join(' | ')}`);
  return out;
}

describe('lab up --hosts 3', () => {
  let lab: LabState;
  let rootBefore: string;

  beforeAll(async ({}, suite) => {
    await teardownLab();
    rootBefore = await rootNetSnapshot();
    lab = await useLab({ hosts: 3, fresh: true }, suite);
  });

  afterAll(async () => {
    await teardownLab();
  });

  it('describes three gateways, six clients, the provider and the internet', () => {
    expect(lab.up).toBe(true);
    expect(lab.gateways.map((g) => [g.name, g.netns, g.wanIp])).toEqual([
      ['gw1', 'fl-gw1', '198.51.100.11'],
      ['gw2', 'fl-gw2', '198.51.100.12'],
      ['gw3', 'fl-gw3', '198.51.100.13'],
    ]);
    expect(lab.clients).toHaveLength(6);
    expect(lab.clients.filter((c) => c.half === 'direct').map((c) => c.address)).toEqual(['10.4.0.10', '10.4.0.10', '10.4.0.10']);
    expect(lab.clients.filter((c) => c.half === 'vpn').map((c) => c.address)).toEqual(['10.4.0.200', '10.4.0.200', '10.4.0.200']);
    expect(lab.provider?.ip).toBe('198.51.100.2');
    expect(lab.internet?.echoUrl).toBe('http://198.51.100.3/');
    expect(labStatus()).toEqual(lab);
    const inv = readFileSync(lab.inventory, 'utf8');
    expect(inv).toMatch(/^# fleet lab inventory/);
    for (const c of lab.clients) expect(inv).toContain(c.publicKey);
  });

  it('a fresh gateway is bare: no wg0, no extra ip rules, an empty ruleset, no daemons', async () => {
    const r = await gatewayExec(lab, 'gw3', 'ip link show wg0 >/dev/null 2>&1 && echo HAS-WG0; ip rule; echo ==; iptables-save; echo ==; nft list ruleset; echo ==; sysctl -n net.ipv4.ip_forward');
    expect(r.code).toBe(0);
    const [rules, ipt, nft, fwd] = r.stdout.split('==\n');
    expect(r.stdout).not.toContain('HAS-WG0');
    expect(rules!.trim().split('\n').map((l) => l.replace(/\s+/g, ' '))).toEqual(['0: from all lookup local', '32766: from all lookup main', '32767: from all lookup default']);
    expect(ipt!.trim()).toBe('');
    expect(nft!.trim()).toBe('');
    expect(fwd!.trim()).toBe('0');
    expect(await snapshotGateway(lab, 'gw3')).toMatch(/== processes\n$/);
  });

  it('SSH with the lab key and strict host key checking reaches every gateway', async () => {
    for (const g of lab.gateways) {
      const r = await sshRun(lab, g, 'hostname; id -u; echo $HOME');
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n').slice(0, 3)).toEqual([g.name, '0', '/root']);
    }
    // Strict checking is real: against an empty known_hosts the same login is refused.
    const bad = await sshRun(lab, 'gw1', 'true', { knownHosts: '/dev/null' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Host key verification failed|No .* host key is known/);
    // The non-root user with passwordless sudo.
    const become = await sshRun(lab, 'gw2', 'id -un; sudo -n id -u', { user: lab.ssh.becomeUser });
    expect(become.stdout.split('\n').slice(0, 2)).toEqual(['fleetop', '0']);
  });

  it("each gateway sees only its own namespaces, processes and /etc files", async () => {
    const setup = await gatewayExec(lab, 'gw1', 'ip netns add lab-iso && echo secret >/etc/wireguard/lab-iso && (setsid sleep 300 >/dev/null 2>&1 & echo $!)');
    expect(setup.code).toBe(0);
    const sleepPid = Number(setup.stdout.trim());
    try {
      const gw1 = await gatewayExec(lab, 'gw1', 'ip netns list; echo ==; ps -e -o args=; echo ==; cat /etc/wireguard/lab-iso; hostname');
      expect(gw1.stdout).toMatch(/^lab-iso/);
      expect(gw1.stdout).toContain('sleep 300');
      expect(gw1.stdout).toMatch(/secret\ngw1\n$/);
      // None of the machine's processes (this test runner, the lab's dnsmasq) are visible.
      expect(gw1.stdout).not.toMatch(/vitest|dnsmasq|process_api/);
      const gw2 = await gatewayExec(lab, 'gw2', 'ip netns list; echo ==; ps -e -o args=; echo ==; ls -A /etc/wireguard; hostname');
      expect(gw2.stdout).not.toContain('lab-iso');
      expect(gw2.stdout).not.toContain('sleep 300');
      expect(gw2.stdout).toMatch(/gw2\n$/);
      // Nor does the machine itself.
      expect(existsSync('/run/netns/lab-iso')).toBe(false);
      expect(existsSync('/etc/wireguard/lab-iso')).toBe(false);
    } finally {
      await gatewayExec(lab, 'gw1', `kill ${sleepPid}; ip netns del lab-iso; rm -f /etc/wireguard/lab-iso`);
    }
  });

  it("the clients' WireGuard interfaces exist, with their keys, addresses and routes", async () => {
    for (const c of lab.clients) {
      const r = await clientExec(lab, c, 'wg show wg0 public-key; ip -4 -o addr show dev wg0; ip -4 route; ls /run/wireguard');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(c.publicKey);
      expect(r.stdout).toContain(`inet ${c.address}/32`);
      expect(r.stdout).toMatch(/10\.4\.0\.0\/24 dev wg0/);
      expect(r.stdout).toMatch(/198\.51\.100\.3 dev wg0/);
      expect(r.stdout).toMatch(/default via 203\.0\.113\.1 dev eth0/);
      expect(r.stdout).toContain('wg0.sock');
    }
    // Their UAPI sockets live in private /run mounts, never in the machine's.
    expect(existsSync('/run/wireguard/wg0.sock')).toBe(false);
  });

  it('the provider accepts a TLS handshake from a gateway', async () => {
    const config = readFileSync(lab.provider!.clientConfig, 'utf8');
    expect(config).toMatch(/^remote 198\.51\.100\.2 1194$/m);
    expect(config).not.toMatch(/persist-tun/);
    // A throwaway client in gw2 (routes not pulled, so gw2's routing is untouched).
    const script = [
      'cat >/tmp/lab-ovpn.conf',
      'openvpn --config /tmp/lab-ovpn.conf --route-nopull --dev tun9 >/tmp/lab-ovpn.log 2>&1 &',
      'pid=$!',
      'i=0; while [ $i -lt 150 ] && ! grep -q "Initialization Sequence Completed" /tmp/lab-ovpn.log; do sleep 0.1; i=$((i+1)); done',
      'ip -4 -o addr show dev tun9',
      'kill $pid; wait $pid 2>/dev/null',
      'cat /tmp/lab-ovpn.log; rm -f /tmp/lab-ovpn.conf /tmp/lab-ovpn.log',
      'ip link show tun9 >/dev/null 2>&1 && echo TUN9-LEFT || true',
    ].join('\n');
    const r = await gatewayExec(lab, 'gw2', script, { input: config });
    expect(r.stdout).toContain('Initialization Sequence Completed');
    expect(r.stdout).toMatch(/inet 10\.8\.0\.\d+\/24/);
    expect(r.stdout).not.toContain('TUN9-LEFT');
  });

  it('the echo service answers with the caller\'s address', async () => {
    const fromController = await fetch(lab.internet!.echoUrl);
    expect((await fromController.text()).trim()).toBe(lab.controllerIp);
    const fromGw = await gatewayExec(lab, 'gw1', `curl -s -m 5 ${lab.internet!.echoUrl}`);
    expect(fromGw.stdout.trim()).toBe('198.51.100.11');
  });

  it('the lab internet has IPv6 inside the lab only: the echo service answers gateways over IPv6 with their WAN address', async () => {
    expect(lab.internet?.echoUrl6).toBe('http://[2001:db8:100::3]/');
    expect(lab.gateways.map((g) => g.wanIp6)).toEqual(['2001:db8:100::11', '2001:db8:100::12', '2001:db8:100::13']);
    const fromGw = await gatewayExec(lab, 'gw2', `curl -s -m 5 -6 ${lab.internet!.echoUrl6}; ip -6 route show default`);
    expect(fromGw.stdout.split('\n')[0]).toBe('2001:db8:100::12');
    expect(fromGw.stdout).toMatch(/^default via 2001:db8:100::3 dev ens5/m);
    // The provider has IPv6 on the lab internet too; over IPv4 the same service still unmaps callers.
    const fromProv = await run(['ip', 'netns', 'exec', lab.provider!.netns, 'curl', '-s', '-m', '5', lab.internet!.echoUrl6!]);
    expect(fromProv.stdout.trim()).toBe('2001:db8:100::2');
    expect((await gatewayExec(lab, 'gw2', `curl -s -m 5 ${lab.internet!.echoUrl}`)).stdout.trim()).toBe('198.51.100.12');
    // The controller's veth has no IPv6 address at all: nothing IPv6 crosses into the root namespace.
    expect((await run(['ip', '-6', 'addr', 'show', 'dev', 'fl-ctl'])).stdout.trim()).toBe('');
  });

  it('the lab DNS answers echo.lab.test and logs the source of each query', async () => {
    const r = await gatewayExec(lab, 'gw2', `dig +short +time=2 +tries=1 @${lab.internet!.dnsIp} ${lab.internet!.echoName}`);
    expect(r.stdout.trim()).toBe('198.51.100.3');
    const log = readFileSync(lab.internet!.dnsQueryLog, 'utf8');
    expect(log).toMatch(/query\[A\] echo\.lab\.test from 198\.51\.100\.12/);
  });

  it('snapshots are deterministic, and up again with the same options changes nothing', async () => {
    const a = await snapshotGateway(lab, 'gw1');
    expect(await snapshotGateway(lab, 'gw1')).toBe(a);
    const again = await labUp({ hosts: 3 });
    expect(again.gateways.map((g) => g.initPid)).toEqual(lab.gateways.map((g) => g.initPid));
    expect(await snapshotGateway(lab, 'gw1')).toBe(a);
  });

  it('a simulated reboot keeps /etc and /var but not /run, /tmp or kernel network state', async () => {
    const before = await snapshotGateway(lab, 'gw3');
    const setup = await gatewayExec(
      lab,
      'gw3',
      'echo kept >/etc/wireguard/reboot-test && mkdir -p /var/lib/fleet && echo kept >/var/lib/fleet/reboot-test && echo gone >/tmp/reboot-test && ip rule add fwmark 0x77 lookup 77 && iptables -A INPUT -s 10.99.0.0/16 -j DROP && ip netns add reboot-test',
    );
    expect(setup.code).toBe(0);
    const oldPid = lab.gateways[2]!.initPid;
    lab = await rebootGateway(lab, 'gw3');
    expect(lab.gateways[2]!.initPid).not.toBe(oldPid);
    expect(isAlive(oldPid)).toBe(false);
    const after = await gatewayExec(lab, 'gw3', 'cat /etc/wireguard/reboot-test /var/lib/fleet/reboot-test; ls -A /tmp; ip rule | grep -c 0x77; iptables-save | grep -c 10.99; ip netns list | wc -l');
    expect(after.stdout).toBe('kept\nkept\n0\n0\n0\n');
    // Same host key (strict checking still passes) and the same addresses.
    expect((await sshRun(lab, 'gw3', 'hostname')).stdout.trim()).toBe('gw3');
    await gatewayExec(lab, 'gw3', 'rm -rf /etc/wireguard/reboot-test /var/lib/fleet');
    expect(await snapshotGateway(lab, 'gw3')).toBe(before);
    expect(labStatus()).toEqual(lab);
  });

  it('down removes every namespace, veth, mount and process and restores the root namespace', async () => {
    await teardownLab();
    expect(leftovers(lab)).toEqual([]);
    expect(await rootNetSnapshot()).toBe(rootBefore);
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe(rootBefore.match(/ip_forward\n(\d)/)![1]);
    expect(existsSync(lab.inventory)).toBe(false);
    expect(labStatus().up).toBe(false);
    // A second down is harmless.
    await teardownLab();
  });
});

describe('lab up --bare', () => {
  let lab: LabState;
  let rootBefore: string;

  beforeAll(async ({}, suite) => {
    await teardownLab();
    rootBefore = await rootNetSnapshot();
    lab = await useLab({ hosts: 2, bare: true, fresh: true }, suite);
  });

  afterAll(async () => {
    await teardownLab();
  });

  it('has only the switch and gateways, reachable over SSH', async () => {
    expect(lab.bare).toBe(true);
    expect(lab.clients).toEqual([]);
    expect(lab.provider).toBeNull();
    expect(lab.internet).toBeNull();
    expect(readdirSync('/run/netns').filter((n) => n.startsWith('fl-')).sort()).toEqual(['fl-gw1', 'fl-gw2', 'fl-switch']);
    for (const g of lab.gateways) expect((await sshRun(lab, g, 'hostname')).stdout.trim()).toBe(g.name);
    const bareGw = await gatewayExec(lab, 'gw1', 'ip link show wg0 2>&1; ip rule | wc -l; iptables-save | wc -l');
    expect(bareGw.stdout).toMatch(/does not exist\.?\n3\n0\n$/);
  });

  it('a crashed lab (processes killed, record gone) is still cleaned up by down', async () => {
    // Simulate a crash: the gateways' processes die and the state record is lost.
    const netnsOfInit = readlinkSync(`/proc/${lab.gateways[0]!.initPid}/ns/net`);
    expect(netnsOfInit).toMatch(/^net:/);
    await run(['rm', '-f', `${lab.stateDir}/state.json`]);
    await teardownLab();
    expect(leftovers(lab)).toEqual([]);
    expect(await rootNetSnapshot()).toBe(rootBefore);
  });
});
