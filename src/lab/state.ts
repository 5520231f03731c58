/**
 * Where the lab keeps everything it makes, and the record of what it made. The record
 * (state.json) is written before each thing is created, so `down` can remove exactly that even
 * after a crash halfway through `up`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Half } from './names.js';
import type { SystemdVariant } from './image.js';

/** The package root (holds package.json), from src/lab (vitest) or dist/src/lab (built). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fleet') return dir;
      } catch {
        /* not ours: keep looking */
      }
    }
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the fleet package root above src/lab');
}

/** `<repo>/.fleet-lab`, or $FLEET_LAB_DIR. Always absolute. */
export function stateDir(): string {
  const env = process.env.FLEET_LAB_DIR;
  return path.resolve(env && env.trim() ? env : path.join(repoRoot(), '.fleet-lab'));
}

export function inventoryPath(): string {
  return path.join(repoRoot(), 'inventory', 'lab.yaml');
}

// ---- The public description of a running lab (`fleet lab status --json`) ----

export interface LabGateway {
  name: string;
  /** The gateway's network namespace (root view, `ip netns`). */
  netns: string;
  wanIp: string;
  /** Its WAN IPv6 address (absent in a benchmark-range lab, and in a record from before IPv6). */
  wanIp6?: string;
  sshPort: number;
  /**
   * PID (root pid namespace) of the gateway's init: PID 1 of its pid namespace (sshd; on a
   * systemd gateway, systemd, and a new one after each reboot).
   */
  initPid: number;
}

export interface LabClient {
  /** The inventory peer name: c<K>-direct or c<K>-vpn. */
  name: string;
  netns: string;
  gateway: string;
  /** WireGuard address (10.4.0.10 direct, 10.4.0.200 vpn). */
  address: string;
  /** And IPv6 (fd00:10:4::a, fd00:10:4:0:8000::c8); absent in a record from before IPv6. */
  address6?: string;
  /** Address on the lab switch (203.0.113.0/24). */
  underlayIp: string;
  half: Half;
  publicKey: string;
  /** PID (root view) of the client's init; enter its namespaces with nsenter -t. */
  initPid: number;
}

export interface LabProvider {
  netns: string;
  ip: string;
  /** Its own IPv6 address on the lab internet: where its tunnels' IPv6 exits (either protocol). */
  ip6?: string;
  port: number;
  /** The OpenVPN client config the gateways use (inline PKI, mode 0600). */
  clientConfig: string;
  /** The upstream the inventory uses (`lab up --provider`); absent in a record from before it: openvpn. */
  protocol?: 'openvpn' | 'wireguard';
  /** Where VPN-half clients exit for that protocol (ip for OpenVPN). */
  exitIp?: string;
  /** Provider A's WireGuard server beside OpenVPN (in every lab with a provider since failover; before, with `--provider wireguard` only). */
  wireguard?: { interface: string; port: number; exitIp: string; serverConfig: string; gatewayConfigs: Record<string, string> };
}

/** One of the lab's providers (A, B) in `lab status --json`'s `providers`. */
export interface LabProviderEntry {
  name: string;
  netns: string;
  /** The servers' address (OpenVPN's remote, WireGuard's endpoint). */
  ip: string;
  /** Where VPN-half clients exit through this provider with the lab's protocol (`lab up --provider`). */
  exit: string;
  openvpn: { port: number; exitIp: string; clientConfig: string };
  wireguard: { interface: string; port: number; exitIp: string; serverConfig: string; gatewayConfigs: Record<string, string> };
}

export interface LabInternet {
  netns: string;
  ip: string;
  /** Its IPv6 address (2001:db8:100::3). */
  ip6?: string;
  /** GET / answers the caller's source address as plain text. */
  echoUrl: string;
  /** The same service over IPv6. */
  echoUrl6?: string;
  dnsIp: string;
  /** A name the lab DNS answers (any *.lab.test answers the internet host). */
  echoName: string;
  /** dnsmasq's log: one `query[A] NAME from SOURCE` line per query. */
  dnsQueryLog: string;
}

export interface LabState {
  up: boolean;
  stateDir: string;
  inventory: string;
  hosts: number;
  bare: boolean;
  /** Set when the gateways boot Debian with systemd under systemd-nspawn (`lab up --systemd`). */
  systemd?: LabSystemd;
  controllerIp: string;
  ssh: { user: string; keyPath: string; knownHostsPath: string; becomeUser?: string };
  gateways: LabGateway[];
  /** null in a bare lab: provider A, as it always was. */
  provider: LabProvider | null;
  /** Every provider (A, then B); empty in a bare lab, absent in a record from before there were two. */
  providers?: LabProviderEntry[];
  /** null in a bare lab. */
  internet: LabInternet | null;
  /** Empty in a bare lab. */
  clients: LabClient[];
  /** Set when the gateways are reachable only through a bastion (`lab up --bastion`). */
  bastion?: LabBastion;
  /** The round trip a relay in front of each gateway's sshd adds (`lab up --rtt`); absent: none. */
  rttMs?: number;
  /** Set when the gateways are in the benchmark range 198.18.0.0/15 (a bare lab past 244 gateways). */
  benchRange?: boolean;
}

/** `lab up --bastion`: the gateways are reachable only through this jump host. */
export interface LabBastion {
  netns: string;
  ip: string;
  sshPort: number;
  user: string;
  /** `user@ip:port`, as proxy_jump or -J takes it. */
  jump: string;
  /** The bastion's sshd log: one `Connection from` line per accepted TCP connection. */
  logPath: string;
  initPid: number;
}

export interface LabSystemd {
  variant: SystemdVariant;
  /** The image's cache key and directory (src/lab/image.ts). */
  image: string;
  imageDir: string;
}

// ---- The private record (state.json) ----

export interface ProcRecord {
  role: string;
  pid: number;
  /** /proc/<pid>/stat start time: a reused pid is never mistaken for ours. */
  start: number;
}

export interface LabRecord {
  version: 1;
  stateDir: string;
  options: { hosts: number; bare: boolean; systemd?: SystemdVariant; bastion?: boolean; rttMs?: number; benchRange?: boolean; provider?: 'wireguard' };
  phase: 'building' | 'up';
  startedAt: string;
  /** Every namespace the lab made (recorded before `ip netns add`). */
  namespaces: string[];
  /** The root-namespace veth, once made (recorded before `ip link add`). */
  ctlVeth: string | null;
  processes: ProcRecord[];
  /** Generated files outside the state dir (inventory/lab.yaml). */
  files: string[];
  /** Filled in when `up` finishes. */
  status: LabState | null;
}

export function recordPath(dir = stateDir()): string {
  return path.join(dir, 'state.json');
}

export function readRecord(dir = stateDir()): LabRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(recordPath(dir), 'utf8')) as LabRecord;
    return rec.version === 1 ? rec : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic write (temp file + rename): a crash never leaves half a record. */
export function writeRecord(rec: LabRecord): void {
  mkdirSync(rec.stateDir, { recursive: true, mode: 0o700 });
  const file = recordPath(rec.stateDir);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(rec, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Paths inside the state dir. */
export function labPaths(dir = stateDir()) {
  return {
    dir,
    record: recordPath(dir),
    sshKey: path.join(dir, 'id_ed25519'),
    knownHosts: path.join(dir, 'known_hosts'),
    authorizedKeys: path.join(dir, 'authorized_keys'),
    logs: path.join(dir, 'logs'),
    gateways: path.join(dir, 'gateways'),
    gateway: (name: string) => path.join(dir, 'gateways', name),
    gatewayInit: path.join(dir, 'gateways', 'init.sh'),
    clients: path.join(dir, 'clients'),
    client: (name: string) => path.join(dir, 'clients', name),
    clientInit: path.join(dir, 'clients', 'init.sh'),
    provider: path.join(dir, 'provider'),
    clientConfig: path.join(dir, 'provider', 'client.ovpn'),
    /** Provider B's OpenVPN client config. */
    clientConfigB: path.join(dir, 'provider', 'client-B.ovpn'),
    internet: path.join(dir, 'internet'),
    dnsQueryLog: path.join(dir, 'internet', 'dns-queries.log'),
    bastion: path.join(dir, 'bastion'),
  };
}

/** Top-level entries of the state dir the lab creates; `down` removes these and nothing else. */
export const STATE_ENTRIES = ['state.json', 'state.json.tmp', 'id_ed25519', 'id_ed25519.pub', 'known_hosts', 'authorized_keys', 'logs', 'gateways', 'clients', 'provider', 'internet', 'bastion'];
