/**
 * What `lab up` checks before it builds anything: root, /dev/net/tun, every program it runs (with
 * the Debian package that ships it), where the state dir is, and that the lab's address ranges are
 * free in the root namespace. It says exactly what is missing and the one command that installs it.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { CLIENT_NET, CTL_VETH, LAB_NET } from './names.js';
import { LabPrereqError } from './errors.js';
import { run } from './run.js';
import { repoRoot } from './state.js';
import { cidrContains, isIPv4, parseCidr } from '../types/net.js';

/**
 * program → Debian package. `lab` = needed by `up`; `test` = needed by the lab tests; `systemd` =
 * needed by `up --systemd` (the gateways' image is built with mmdebstrap, booted with nspawn).
 */
const PROGRAMS: { bin: string; pkg: string; for: 'lab' | 'test' | 'systemd' }[] = [
  { bin: 'ip', pkg: 'iproute2', for: 'lab' },
  { bin: 'iptables', pkg: 'iptables', for: 'lab' },
  { bin: 'iptables-save', pkg: 'iptables', for: 'lab' },
  { bin: 'sshd', pkg: 'openssh-server', for: 'lab' },
  { bin: 'ssh', pkg: 'openssh-client', for: 'lab' },
  { bin: 'ssh-keygen', pkg: 'openssh-client', for: 'lab' },
  { bin: 'wg', pkg: 'wireguard-tools', for: 'lab' },
  { bin: 'wg-quick', pkg: 'wireguard-tools', for: 'lab' },
  { bin: 'wireguard-go', pkg: 'wireguard-go', for: 'lab' },
  { bin: 'openvpn', pkg: 'openvpn', for: 'lab' },
  { bin: 'dnsmasq', pkg: 'dnsmasq', for: 'lab' },
  { bin: 'openssl', pkg: 'openssl', for: 'lab' },
  { bin: 'nsenter', pkg: 'util-linux', for: 'lab' },
  { bin: 'unshare', pkg: 'util-linux', for: 'lab' },
  { bin: 'mount', pkg: 'mount', for: 'lab' },
  { bin: 'useradd', pkg: 'passwd', for: 'lab' },
  { bin: 'sudo', pkg: 'sudo', for: 'lab' },
  { bin: 'ps', pkg: 'procps', for: 'lab' },
  { bin: 'sysctl', pkg: 'procps', for: 'lab' },
  { bin: 'sha256sum', pkg: 'coreutils', for: 'lab' },
  { bin: 'curl', pkg: 'curl', for: 'test' },
  { bin: 'dig', pkg: 'dnsutils', for: 'test' },
  { bin: 'tcpdump', pkg: 'tcpdump', for: 'test' },
  { bin: 'ping', pkg: 'iputils-ping', for: 'test' },
  { bin: 'nft', pkg: 'nftables', for: 'test' },
  { bin: 'tmux', pkg: 'tmux', for: 'test' },
  { bin: 'zbarimg', pkg: 'zbar-tools', for: 'test' },
  { bin: 'systemd-nspawn', pkg: 'systemd-container', for: 'systemd' },
  { bin: 'mmdebstrap', pkg: 'mmdebstrap', for: 'systemd' },
  { bin: 'flock', pkg: 'util-linux', for: 'systemd' },
  { bin: 'tar', pkg: 'tar', for: 'systemd' },
];

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findProgram(bin: string): string | undefined {
  for (const dir of SEARCH) {
    const p = path.join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function installCommand(): string {
  let script = 'src/lab/install-deps.sh';
  try {
    script = path.relative(process.cwd(), path.join(repoRoot(), 'src', 'lab', 'install-deps.sh')) || script;
  } catch {
    /* keep the repo-relative form */
  }
  return `sudo sh ${script}`;
}

/** Directories the gateways mount over privately: a state dir below them would be hidden. */
const FORBIDDEN_STATE_PARENTS = ['/run', '/var/run', '/proc', '/sys', '/dev'];

export interface PreflightResult {
  missing: string[];
  /** Missing packages (for the install hint). */
  packages: string[];
}

/**
 * Collects every problem (not just the first). `withTests` also checks the test tools, `systemd`
 * what systemd gateways need.
 */
export async function preflight(opts: { stateDir: string; withTests?: boolean; systemd?: boolean }): Promise<PreflightResult> {
  const missing: string[] = [];
  const packages = new Set<string>();
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    missing.push('root: the lab creates network namespaces; run it as root (sudo)');
  }
  try {
    if (!statSync('/dev/net/tun').isCharacterDevice()) throw new Error('not a character device');
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    missing.push('/dev/net/tun: the TUN device (wireguard-go and OpenVPN need it); load the tun module (modprobe tun)');
  }
  for (const p of PROGRAMS) {
    if (p.for === 'test' && !opts.withTests) continue;
    if (p.for === 'systemd' && !opts.systemd) continue;
    if (!findProgram(p.bin)) {
      missing.push(`${p.bin} (Debian package ${p.pkg})`);
      packages.add(p.pkg);
    }
  }
  const sd = path.resolve(opts.stateDir);
  for (const parent of FORBIDDEN_STATE_PARENTS) {
    if (sd === parent || sd.startsWith(`${parent}/`)) {
      missing.push(`state dir ${sd} is under ${parent}, which gateways mount privately: set FLEET_LAB_DIR elsewhere`);
    }
  }
  if (/\s/.test(sd)) {
    // ssh reads UserKnownHostsFile as a whitespace-separated list: such a path cannot be given.
    missing.push(`state dir "${sd}" contains whitespace, which ssh cannot take as a known_hosts path: set FLEET_LAB_DIR elsewhere`);
  }
  if (findProgram('ip')) missing.push(...(await addressConflicts()));
  return { missing, packages: [...packages] };
}

/** Throws LabPrereqError listing everything missing, with the install command as the hint. */
export async function assertPreflight(opts: { stateDir: string; withTests?: boolean; systemd?: boolean }): Promise<void> {
  const r = await preflight(opts);
  if (r.missing.length === 0) return;
  const hint = r.packages.length
    ? `install the missing packages (${r.packages.join(' ')}) with: ${installCommand()}`
    : undefined;
  throw new LabPrereqError(r.missing, { hint });
}

interface IpAddr {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** The lab's ranges must not already be in use in the root namespace (except by our own veth). */
async function addressConflicts(): Promise<string[]> {
  const r = await run(['ip', '-j', '-4', 'addr', 'show']);
  if (r.code !== 0) return [];
  const out: string[] = [];
  let links: IpAddr[] = [];
  try {
    links = JSON.parse(r.stdout) as IpAddr[];
  } catch {
    return [];
  }
  for (const link of links) {
    if (link.ifname === CTL_VETH) continue;
    for (const a of link.addr_info ?? []) {
      for (const net of [LAB_NET, CLIENT_NET]) {
        if (inNet(a.local, net)) out.push(`address ${a.local} on ${link.ifname} is inside the lab's range ${net}: the lab cannot run on this machine as configured`);
      }
    }
  }
  return out;
}

function inNet(ip: string, net: string): boolean {
  const c = parseCidr(net);
  return !!c && isIPv4(ip) && cidrContains(c, ip);
}
