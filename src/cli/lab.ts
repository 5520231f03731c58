/**
 * `fleet lab`: the built-in lab (simulated gateways, provider, internet and clients on this
 * machine). Errors are FleetErrors (LabError, LabPrereqError); main maps them to exit codes.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { labUp } from '../lab/up.js';
import { labDown } from '../lab/down.js';
import { formatStatus, labProblems, labStatus } from '../lab/status.js';
import { connectClients } from '../lab/clients.js';
import { LabError } from '../lab/errors.js';
import { rebootGateway, type BootResult } from '../lab/reboot.js';
import { DEFAULT_HOSTS, MAX_BENCH_HOSTS } from '../lab/names.js';
import { parseRtt } from '../lab/rtt.js';
import { setProviderRunning } from '../lab/providers.js';
import { EXIT } from './exit-codes.js';
import { SYSTEMD_VARIANTS, isSystemdVariant, type SystemdVariant } from '../lab/image.js';

function hostsArg(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > MAX_BENCH_HOSTS) throw new InvalidArgumentError(`expected a number of gateways from 1 to ${MAX_BENCH_HOSTS}`);
  return n;
}

function rttArg(v: string): number {
  try {
    return parseRtt(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--rtt: /, ''));
  }
}

function variantArg(v: string): SystemdVariant {
  if (!isSystemdVariant(v)) throw new InvalidArgumentError(`expected one of ${SYSTEMD_VARIANTS.join(', ')}`);
  return v;
}

const progress = (quiet: boolean) => (msg: string) => {
  if (!quiet) process.stderr.write(`lab: ${msg}\n`);
};

export function registerLabCommand(program: Command): void {
  const lab = program
    .command('lab')
    .description('the built-in lab: simulated gateways, an OpenVPN provider, an internet and WireGuard clients on this machine (root)')
    .addHelpText(
      'after',
      `
Everything runs in network namespaces named fl-*; the only change to this machine's own network is
the veth fl-ctl holding 198.51.100.1/24. State lives in .fleet-lab/ (or $FLEET_LAB_DIR).

Examples:
  sudo fleet lab up --hosts 3
  sudo fleet deploy inventory/lab.yaml
  sudo fleet lab connect
  sudo fleet lab status --json | jq -r '.gateways[].wanIp'
  sudo fleet lab down`,
    );

  registerLabUp(lab);
  registerLabDown(lab);
  registerLabStatus(lab);
  registerLabConnect(lab);
  registerLabReboot(lab);
  registerLabProvider(lab);
}

function providerArg(v: string): 'openvpn' | 'wireguard' {
  if (v === 'openvpn' || v === 'wireguard') return v;
  throw new InvalidArgumentError('expected openvpn or wireguard');
}

function registerLabUp(lab: Command): void {
  lab
    .command('up')
    .description('build the lab and write inventory/lab.yaml (safe to run again)')
    .option('-n, --hosts <n>', `number of gateways (1-${MAX_BENCH_HOSTS}; above 122 needs --bare; above 244 they are in 198.18.0.0/15)`, hostsArg, DEFAULT_HOSTS)
    .option('--bare', 'only the switch and the gateways with sshd: no clients, provider or internet services (for benchmarks)')
    .option('--fresh', 'tear down and rebuild even when the same lab is already up')
    .option('--systemd', 'gateways boot Debian 12 with systemd under systemd-nspawn (as real gateways run)')
    .option('--systemd-variant <variant>', `the systemd gateways' image: ${SYSTEMD_VARIANTS.join(', ')} (implies --systemd)`, variantArg)
    .option('--bastion', 'put a bastion (198.51.100.4, sshd) between this machine and the gateways: they are reachable only through it')
    .option('--rtt <time>', "a WAN distance: a relay in each gateway delays its SSH traffic by this round trip (50ms, 0.1s)", rttArg)
    .option('--provider <protocol>', "the gateways' upstream in inventory/lab.yaml: openvpn (the default) or wireguard (a WireGuard server beside OpenVPN, exiting at 198.51.100.5)", providerArg, 'openvpn')
    .option('--json', 'print the lab status as JSON when done')
    .option('-q, --quiet', 'no progress lines')
    .addHelpText(
      'after',
      `
Builds: a switch (198.51.100.0/24), gateways gw1..gwN at 198.51.100.11.. (each with its own
network, mount, uts and pid namespace and sshd), an OpenVPN provider at 198.51.100.2, an internet
host at 198.51.100.3 (HTTP echo and DNS), and two WireGuard clients per gateway (10.4.0.10 and
10.4.0.200). Checks first for root, /dev/net/tun and the packages it needs.

A bare lab of more than 244 gateways (up to 1,000, for benchmarks) puts them in 198.18.0.0/15
(198.18.1.1 onwards), and fl-ctl holds 198.18.0.1/15 as well, for that lab only.

With --bastion this machine's veth ends in a bastion namespace (198.51.100.4, sshd allowing TCP
forwarding only) instead of on the switch: the gateways are reachable only through it, and
inventory/lab.yaml reaches them with proxy_jump: root@198.51.100.4:22.

With --rtt 50ms each gateway's sshd listens on 127.0.0.1:2222 inside it, and a relay on its SSH
port passes every chunk of data on after half the round trip, in each direction (this kernel has
no netem): fleet, and the benchmark's SSH floor, see gateways 50 ms away.

With --systemd each gateway is a booted Debian 12 (systemd as PID 1, journald, ssh.service, the
distribution's units) under systemd-nspawn, in the same network namespace with the same address
and inventory. Its image is built once with mmdebstrap from this machine's Debian mirror and
cached in /var/cache/fleet-lab ($FLEET_LAB_IMAGE_CACHE). Variants:
  default       Debian 12 as a cloud image boots it
  resolved      systemd-resolved runs and holds 127.0.0.53:53
  default-deny  a hardened image: INPUT policy DROP, SSH allowed
  ufw           ufw enabled, SSH allowed

Examples:
  sudo fleet lab up                 # 3 gateways with clients
  sudo fleet lab up --hosts 50 --bare
  sudo fleet lab up --bastion       # gateways only through a jump host
  sudo fleet lab up --rtt 50ms      # gateways 50 ms away
  sudo fleet lab up --fresh --json
  sudo fleet lab up --systemd
  sudo fleet lab up --systemd-variant ufw --hosts 1
  sudo fleet lab up --provider wireguard   # provider_protocol: wireguard`,
    )
    .action(async (opts: { hosts: number; bare?: boolean; fresh?: boolean; systemd?: boolean; systemdVariant?: SystemdVariant; bastion?: boolean; rtt?: number; provider: 'openvpn' | 'wireguard'; json?: boolean; quiet?: boolean }) => {
      const started = Date.now();
      const state = await labUp({
        hosts: opts.hosts,
        bare: !!opts.bare,
        fresh: !!opts.fresh,
        systemd: !!opts.systemd,
        variant: opts.systemdVariant,
        bastion: !!opts.bastion,
        rttMs: opts.rtt,
        provider: opts.provider,
        log: progress(!!opts.quiet || !!opts.json),
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${formatStatus(state)}\n\nlab up in ${((Date.now() - started) / 1000).toFixed(1)} s. Next: fleet deploy ${state.inventory}${state.clients.length ? ', then fleet lab connect' : ''}\n`);
    });
}

function registerLabDown(lab: Command): void {
  lab
    .command('down')
    .description('remove every namespace, veth, process and file the lab made (also after a crash)')
    .option('-q, --quiet', 'no summary')
    .addHelpText('after', '\nExamples:\n  sudo fleet lab down\n  FLEET_LAB_DIR=/tmp/lab2 sudo fleet lab down')
    .action(async (opts: { quiet?: boolean }) => {
      const r = await labDown({ log: progress(!!opts.quiet) });
      if (opts.quiet) return;
      if (r.foreignOwner) {
        process.stdout.write(`lab down: the running lab belongs to ${r.foreignOwner}; only this state dir's files were removed\n`);
        return;
      }
      process.stdout.write(`lab down: ${r.namespaces.length} namespace(s), ${r.killed} process(es)${r.removedCtl ? ', fl-ctl' : ''} removed\n`);
    });
}

function registerLabStatus(lab: Command): void {
  lab
    .command('status')
    .description('what is up: gateways, provider, internet, clients and how to reach them')
    .option('--json', 'print the machine-readable description (tests and benchmarks read this)')
    .addHelpText('after', "\nExit code: 0 when the lab is up and healthy, 2 otherwise.\n\nExamples:\n  sudo fleet lab status\n  sudo fleet lab status --json | jq '.clients[] | {name, netns, address}'")
    .action((opts: { json?: boolean }) => {
      const s = labStatus();
      if (opts.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      else {
        process.stdout.write(`${formatStatus(s)}\n`);
        const problems = s.up ? [] : labProblems();
        if (problems.length) process.stdout.write(`problems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
      }
      if (!s.up) process.exitCode = EXIT.HOSTS_FAILED;
    });
}

function registerLabConnect(lab: Command): void {
  lab
    .command('connect')
    .description("point each client's WireGuard peer at its gateway (run after fleet deploy)")
    .option('--json', 'print the result per gateway as JSON')
    .addHelpText(
      'after',
      `
Reads each deployed gateway's WireGuard public key (wg show wg0 public-key, inside the gateway)
and sets it as the only peer of the gateway's two clients, with endpoint <wan ip>:<wg_port from
inventory/lab.yaml>, allowed IPs 10.4.0.0/24 and the echo host, keepalive 5 s.

Examples:
  sudo fleet deploy inventory/lab.yaml && sudo fleet lab connect`,
    )
    .action(async (opts: { json?: boolean }) => {
      const s = labStatus();
      if (!s.up) throw new LabError('the lab is not up', { hint: 'fleet lab up' });
      if (s.clients.length === 0) throw new LabError('this lab has no clients (it was built with --bare)', { hint: 'fleet lab up --fresh' });
      const results = await connectClients(s);
      if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else for (const r of results) process.stdout.write(r.error ? `${r.gateway}: not connected: ${r.error}\n` : `${r.gateway}: ${r.clients.join(', ')} -> ${r.publicKey}\n`);
      if (results.some((r) => r.error)) process.exitCode = EXIT.HOSTS_FAILED;
    });
}

function registerLabReboot(lab: Command): void {
  lab
    .command('reboot')
    .argument('<gateway>', 'the lab gateway, e.g. gw1')
    .description("reboot a gateway: its runtime state is wiped, its disk kept, and it boots again (systemd gateways: a real systemctl reboot)")
    .option('--no-boot', 'namespace gateways: only wipe, leave the gateway as a machine that came up with nothing enabled')
    .option('--json', 'print what the boot did as JSON')
    .addHelpText(
      'after',
      `
Kills every process of the gateway, deletes and recreates its network namespace (links, addresses,
routes, rules, iptables, sysctls, nested namespaces are gone) and restarts its init: /run and /tmp
start empty, /etc and /var/lib are kept. Then the boot: lab gateways have no systemd, so a unit
fleet enabled is a marker file /etc/fleet/enabled/<unit> on the gateway; for wg-quick@wg0 the boot
runs \`wg-quick up wg0\`, whose PostUp runs fleet's generated /etc/wireguard/wg0-up.sh.

A systemd gateway (lab up --systemd) reboots for real: \`systemctl reboot\` over SSH; while it is
down its network namespace is made anew (as a reboot wipes the kernel's state); it comes back by
its own enabled units. This waits for \`systemctl is-system-running\` to say running or degraded
and names the failed units. A powered-off systemd gateway is powered on.

Exit code: 0 when everything enabled came up (systemd: running), 2 otherwise.

Examples:
  sudo fleet lab reboot gw1 && sudo fleet status -i inventory/lab.yaml --limit gw1
  sudo fleet lab reboot gw2 --json | jq '.boot.failedUnits'`,
    )
    .action(async (gateway: string, opts: { boot: boolean; json?: boolean }) => {
      const s = labStatus();
      // A systemd lab with a powered-off gateway is not "up", and reboot is how it powers on.
      if (!s.up && !(s.systemd && s.gateways.length)) throw new LabError('the lab is not up', { hint: 'fleet lab up' });
      let booted: BootResult | undefined;
      const started = Date.now();
      await rebootGateway(s, gateway, { boot: opts.boot, onBoot: (r) => (booted = r) });
      const seconds = (Date.now() - started) / 1000;
      if (opts.json) process.stdout.write(`${JSON.stringify({ gateway, seconds, boot: booted ?? null }, null, 2)}\n`);
      else {
        process.stdout.write(`${gateway}: rebooted in ${seconds.toFixed(1)} s\n`);
        if (booted) {
          if (!booted.enabled.length) process.stdout.write(`${gateway}: nothing enabled at boot (not deployed?)\n`);
          for (const l of booted.lines) process.stdout.write(`  ${l}\n`);
        }
      }
      if (booted && !booted.ok) process.exitCode = EXIT.HOSTS_FAILED;
    });
}

function registerLabProvider(lab: Command): void {
  lab
    .command('provider')
    .argument('<action>', 'stop or start')
    .argument('<name>', 'the provider: A or B')
    .description("take one of the lab's providers off the network (stop) or bring it back (start), as an outage looks from a gateway")
    .addHelpText(
      'after',
      `
The lab has two providers, A (198.51.100.2; every single-provider inventory uses it) and B
(198.51.100.6, exiting at 198.51.100.7), each with an OpenVPN and a WireGuard server. stop sets the
provider namespace's link down: its servers keep running with their keys, but nothing reaches
them; start brings the link and its routes back. fleet lab status --json lists both (providers).

Examples:
  sudo fleet lab provider stop A    # a gateway with provider_endpoints [A, B] fails over to B
  sudo fleet lab provider start A`,
    )
    .action(async (action: string, name: string) => {
      if (action !== 'stop' && action !== 'start') throw new LabError(`expected stop or start, got ${action}`);
      const plan = await setProviderRunning(labStatus(), name, action === 'start');
      process.stdout.write(`provider ${plan.name}: ${action === 'start' ? 'started' : 'stopped'}\n`);
    });
}
