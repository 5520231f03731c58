/**
 * Running things inside lab nodes, for tests and `fleet lab connect`: no SSH, straight into the
 * node's namespaces with nsenter on its init pid. `snapshotGateway` captures everything a deploy
 * may change on a gateway as one deterministic string, so a rollback test can compare before and
 * after for equality.
 */
import { LabError } from './errors.js';
import { enter, type RunResult } from './run.js';
import { shellAsset } from '../shell/asset.js';
import type { LabClient, LabGateway, LabState } from './state.js';

export type { RunResult } from './run.js';
export { connectClients, type ConnectResult } from './clients.js';

export function findGateway(state: LabState, gw: string | LabGateway): LabGateway {
  const name = typeof gw === 'string' ? gw : gw.name;
  const g = state.gateways.find((x) => x.name === name);
  if (!g) throw new LabError(`no gateway ${name} in the lab (has: ${state.gateways.map((x) => x.name).join(', ') || 'none'})`);
  return g;
}

export function findClient(state: LabState, client: string | LabClient): LabClient {
  const name = typeof client === 'string' ? client : client.name;
  const c = state.clients.find((x) => x.name === name || x.netns === name);
  if (!c) throw new LabError(`no client ${name} in the lab (has: ${state.clients.map((x) => x.name).join(', ') || 'none'})`);
  return c;
}

export interface ExecOptions {
  /** Written to the script's stdin. */
  input?: string;
  /** SIGKILL the script after this long (default 60 s). */
  timeoutMs?: number;
}

/** Runs `sh -c script` as root inside all of the gateway's namespaces. Resolves with any exit code. */
export function gatewayExec(state: LabState, gw: string | LabGateway, script: string, opts: ExecOptions = {}): Promise<RunResult> {
  const g = findGateway(state, gw);
  return enter(g.initPid, script, { input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000 });
}

/** Runs `sh -c script` inside all of a client's namespaces (`c1-direct`, or its netns `fl-c1d`). */
export function clientExec(state: LabState, client: string | LabClient, script: string, opts: ExecOptions = {}): Promise<RunResult> {
  const c = findClient(state, client);
  return enter(c.initPid, script, { input: opts.input, timeoutMs: opts.timeoutMs ?? 60_000 });
}

/** Directories of managed files whose content, mode and owner the snapshot records. */
export const SNAPSHOT_DIRS = ['/etc/wireguard', '/etc/dnsmasq.d', '/etc/openvpn', '/etc/netns', '/etc/fleet'];

const SNAPSHOT_SCRIPT = shellAsset(import.meta.url, 'snapshot.sh');

function sections(out: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let cur = '';
  for (const line of out.split('\n')) {
    if (line.startsWith('@@')) {
      cur = line.slice(2);
      m.set(cur, []);
    } else if (cur) m.get(cur)!.push(line);
  }
  return m;
}

/** iptables-save without comments, counters or the (empty) table's implicit noise. */
export function normalizeIptables(lines: string[]): string[] {
  return lines
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/\s*\[\d+:\d+\]$/, '').replace(/ -c \d+ \d+/, ''));
}

/** `ip -d -o link` without what changes on every create: ifindex, peer ifindex, MACs, netnsid. */
export function normalizeLinks(lines: string[]): string[] {
  return lines
    .filter((l) => l.trim())
    .map((l) =>
      l
        .replace(/^\d+:\s+/, '')
        .replace(/@if\d+:/, '@if:')
        .replace(/\\\s+/g, ' ')
        .replace(/link\/(ether|none|loopback)\s+\S+(\s+brd\s+\S+)?/g, 'link/$1')
        .replace(/ link-netns(id)? \S+/g, '')
        .replace(/ (permaddr|perm_addr) \S+/g, '')
        .replace(/ (addrgenmode|numtxqueues|numrxqueues|gso_max_size|gso_max_segs|tso_max_size|tso_max_segs|gro_max_size|gso_ipv4_max_size|gro_ipv4_max_size|parentbus|parentdev) \S+/g, '')
        .replace(/ (promiscuity|allmulti) \d+/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .sort();
}

function normalizeAddrs(lines: string[]): string[] {
  return lines
    .filter((l) => l.trim())
    .map((l) => l.replace(/^\d+:\s+/, '').replace(/\\\s+/g, ' ').replace(/valid_lft \S+ preferred_lft \S+/, '').replace(/\s+/g, ' ').trim())
    .sort();
}

interface PsLine {
  pid: number;
  ppid: number;
  comm: string;
  args: string;
}

/**
 * Daemons only: not sshd (the listener's title counts sessions), not any SSH session's processes,
 * not the snapshot's own shell or anything else entered from outside (nsenter: parent pid 0), not
 * `sessionPids` (on a systemd gateway, what lives in user.slice: a login's session scope and the
 * user manager that lingers a few seconds after it; and the helper that removes the user's runtime
 * dir once the last login has ended).
 */
export function normalizeProcesses(lines: string[], selfPid: number, sessionPids: ReadonlySet<number> = new Set()): string[] {
  const ps: PsLine[] = [];
  for (const l of lines) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(l);
    if (m) ps.push({ pid: Number(m[1]), ppid: Number(m[2]), comm: m[3]!, args: m[4]!.trim() });
  }
  const byPid = new Map(ps.map((p) => [p.pid, p]));
  // Walk up to PID 1 (the gateway's sshd listener, which adopts every daemon): anything below an
  // sshd session, the snapshot's shell, or another process entered from outside is not a daemon.
  const excluded = (p: PsLine): boolean => {
    for (let cur: PsLine | undefined = p, hops = 0; cur && cur.pid !== 1 && hops < 64; cur = byPid.get(cur.ppid), hops++) {
      if (cur.pid === selfPid || cur.comm === 'sshd' || cur.ppid === 0 || sessionPids.has(cur.pid)) return true;
    }
    return p.pid === 1;
  };
  return ps.filter((p) => !excluded(p)).map((p) => `${p.comm} ${p.args}`).sort();
}

/**
 * `systemctl list-units --all --type=service` as `UNIT ACTIVE SUB`: the services that run, ran
 * (exited) or failed. Not those inactive (systemd loads and forgets those as they are referred
 * to), nor the units a login makes and removes (the user manager and its runtime dir).
 */
export function normalizeUnits(lines: string[]): string[] {
  return lines
    .map((l) => l.trim().replace(/^●\s*/, '').split(/\s+/))
    .filter((f) => f.length >= 4 && !(f[2] === 'inactive' && f[3] === 'dead') && !/^(user|user-runtime-dir)@/.test(f[0]!))
    .map((f) => `${f[0]} ${f[2]} ${f[3]}`)
    .sort();
}

/** A deterministic text snapshot of what a deploy may change on the gateway (systemd gateways: and their units). */
export async function snapshotGateway(state: LabState, gw: string | LabGateway): Promise<string> {
  const g = findGateway(state, gw);
  const r = await enter(g.initPid, SNAPSHOT_SCRIPT, { args: SNAPSHOT_DIRS, timeoutMs: 60_000 });
  if (r.code !== 0) throw new LabError(`snapshot of ${typeof gw === 'string' ? gw : gw.name} failed (exit ${r.code}): ${r.stderr.trim()}`);
  const s = sections(r.stdout);
  const self = Number((r.stdout.match(/^@@self (\d+)$/m) ?? [])[1] ?? -1);
  const out: string[] = [];
  for (const t of ['filter', 'nat', 'mangle', 'raw', 'security']) {
    out.push(`== iptables ${t}`, ...normalizeIptables(s.get(`iptables ${t}`) ?? []));
  }
  for (const t of ['filter', 'nat', 'mangle', 'raw', 'security']) {
    out.push(`== ip6tables ${t}`, ...normalizeIptables(s.get(`ip6tables ${t}`) ?? []));
  }
  const squeezed = (name: string) => (s.get(name) ?? []).filter((l) => l.trim()).map((l) => l.replace(/\s+/g, ' ').trim());
  out.push('== sysctl', ...(s.get('sysctl') ?? []).filter((l) => l.trim()));
  out.push('== ip rule', ...squeezed('rule'));
  out.push('== ip -6 rule', ...squeezed('rule6'));
  out.push('== ip route', ...squeezed('route').sort());
  // Link-local routes come and go with the links (recorded below), with addresses made at random.
  out.push('== ip -6 route', ...squeezed('route6').filter((l) => !l.includes('fe80:')).sort());
  out.push('== ip -6 addr', ...normalizeAddrs(s.get('addr6') ?? []));
  out.push('== ip link', ...normalizeLinks(s.get('link') ?? []));
  out.push('== ip addr', ...normalizeAddrs(s.get('addr') ?? []));
  out.push('== ip netns', ...(s.get('netns') ?? []).filter((l) => l.trim()).map((l) => l.replace(/ \(id: \d+\)$/, '')).sort());
  out.push('== files', ...(s.get('files') ?? []).filter((l) => l.trim()));
  const sessions = new Set((s.get('usercg') ?? []).filter((l) => /^\d+$/.test(l)).map(Number));
  out.push('== processes', ...normalizeProcesses(s.get('ps') ?? [], self, sessions));
  if (s.has('units')) out.push('== units', ...normalizeUnits(s.get('units') ?? []));
  if (s.has('enabled')) out.push('== enabled units', ...(s.get('enabled') ?? []).filter((l) => l.trim()));
  if (s.has('unitfiles')) out.push('== unit files', ...(s.get('unitfiles') ?? []).filter((l) => l.trim()));
  return `${out.join('\n')}\n`;
}
