/**
 * Proof that the gateways do what the seed promises, measured from the clients: the echo service
 * reports which address a client's traffic left from, and the internal and outside names resolve
 * through the gateway's dnsmasq. Used by the demo and the end-to-end tests.
 */
import { readFileSync } from 'node:fs';
import { clientExec, gatewayExec } from './exec.js';
import type { LabClient, LabState } from './state.js';

export interface PathProof {
  client: string;
  gateway: string;
  half: 'direct' | 'vpn';
  address: string;
  /** What the echo service saw as the source ('' when it could not be reached). */
  echoSaw: string;
  expected: string;
  /** name -> answer from the gateway's DNS ('' when none). */
  dns: Record<string, string>;
  /** The outside name this client looked up, and who the lab's upstream DNS saw asking. */
  outside: { name: string; answer: string; seenFrom: string[] };
  ok: boolean;
  problems: string[];
}

export interface ProofOptions {
  /** The gateways' DNS server as clients see it (the wg0 address). */
  dnsServer?: string;
  /** Internal names and the answers they must get. */
  internalNames?: Record<string, string>;
  /** Seconds to wait for each probe. */
  timeoutS?: number;
  /**
   * Prove IPv6 too (clients and gateways that have it): the direct half's echo over IPv6 sees the
   * gateway's WAN IPv6, the VPN half's the provider's IPv6 (or, with vpnIpv6Refused, is refused at
   * once), internal names resolve over IPv6.
   */
  ipv6?: boolean;
  /** The provider's tunnel has no IPv6: the VPN half's IPv6 must meet an immediate refusal. */
  vpnIpv6Refused?: boolean;
  /** The gateways' IPv6 DNS server as clients see it (the wg0 IPv6 address). */
  dnsServer6?: string;
}

export const SEED_NAMES = { 'vault.raff.local': '10.4.0.7', 'rafflab.internal': '10.4.0.3' };

export async function echoFrom(lab: LabState, client: string | LabClient, timeoutS = 5): Promise<string> {
  const r = await clientExec(lab, client, `curl -s -m ${timeoutS} ${lab.internet!.echoUrl}`);
  return r.code === 0 ? r.stdout.trim() : '';
}

/**
 * The echo over IPv6: what it saw, and curl's exit status. 7 (could not connect) within the
 * timeout is a refusal (an ICMPv6 unreachable came back); 28 is a timeout (nothing came back).
 */
export async function echoFrom6(lab: LabState, client: string | LabClient, timeoutS = 5): Promise<{ saw: string; code: number }> {
  const r = await clientExec(lab, client, `curl -s -m ${timeoutS} ${lab.internet!.echoUrl6}`);
  return { saw: r.code === 0 ? r.stdout.trim() : '', code: r.code ?? -1 };
}

/** Curl's exit status when the connection was refused by an ICMP(v6) unreachable. */
export const CURL_COULD_NOT_CONNECT = 7;

export async function resolveFrom(lab: LabState, client: string | LabClient, name: string, server: string, timeoutS = 3): Promise<string> {
  const r = await clientExec(lab, client, `dig +short +time=${timeoutS} +tries=1 @${server} ${name} A`);
  return r.code === 0 ? (r.stdout.trim().split('\n')[0] ?? '') : '';
}

/** Sources the lab's upstream DNS logged for queries of `name`. */
export function upstreamQuerySources(lab: LabState, name: string): string[] {
  let log = '';
  try {
    log = readFileSync(lab.internet!.dnsQueryLog, 'utf8');
  } catch {
    return [];
  }
  const re = new RegExp(`query\\[A\\] ${name.replace(/\./g, '\\.')} from (\\S+)`, 'g');
  return [...log.matchAll(re)].map((m) => m[1]!);
}

/** Where VPN-half clients exit: the upstream's exit address (OpenVPN's is the provider's own). */
export function providerExit(lab: LabState): string {
  return lab.provider!.exitIp ?? lab.provider!.ip;
}

/** Where VPN-half IPv6 exits: the provider's one IPv6 address, for either protocol. */
export function providerExit6(lab: LabState): string | undefined {
  return lab.provider?.ip6;
}

export async function proveClient(lab: LabState, c: LabClient, opts: ProofOptions = {}): Promise<PathProof> {
  const gw = lab.gateways.find((g) => g.name === c.gateway)!;
  const server = opts.dnsServer ?? '10.4.0.1';
  const expected = c.half === 'direct' ? gw.wanIp : providerExit(lab);
  const problems: string[] = [];
  const echoSaw = await echoFrom(lab, c, opts.timeoutS);
  if (echoSaw !== expected) problems.push(`echo saw ${echoSaw || 'nothing'}, expected ${expected}`);
  const dns: Record<string, string> = {};
  for (const [name, want] of Object.entries(opts.internalNames ?? SEED_NAMES)) {
    dns[name] = await resolveFrom(lab, c, name, server, opts.timeoutS);
    if (dns[name] !== want) problems.push(`${name} resolved to ${dns[name] || 'nothing'}, expected ${want}`);
  }
  const outsideName = `${c.name}-${Date.now().toString(36)}.${lab.internet!.echoName.split('.').slice(1).join('.')}`;
  const answer = await resolveFrom(lab, c, outsideName, server, opts.timeoutS);
  if (answer !== lab.internet!.ip) problems.push(`${outsideName} resolved to ${answer || 'nothing'}, expected ${lab.internet!.ip}`);
  if (opts.ipv6 && c.address6 && gw.wanIp6) problems.push(...(await proveIpv6(lab, c, gw.wanIp6, opts)));
  const seenFrom = upstreamQuerySources(lab, outsideName);
  // DNS privacy: dnsmasq's upstream queries leave through the provider, never from the WAN address.
  if (answer && !seenFrom.every((s) => s === providerExit(lab))) problems.push(`upstream DNS saw the query from ${seenFrom.join(', ')}, expected only ${providerExit(lab)}`);
  return {
    client: c.name,
    gateway: c.gateway,
    half: c.half,
    address: c.address,
    echoSaw,
    expected,
    dns,
    outside: { name: outsideName, answer, seenFrom },
    ok: problems.length === 0,
    problems,
  };
}

/** The IPv6 half of a client's proof (see ProofOptions.ipv6): its problems. */
async function proveIpv6(lab: LabState, c: LabClient, wanIp6: string, opts: ProofOptions): Promise<string[]> {
  const problems: string[] = [];
  const echo6 = await echoFrom6(lab, c, opts.timeoutS);
  if (c.half === 'direct' && echo6.saw !== wanIp6) problems.push(`echo over IPv6 saw ${echo6.saw || `nothing (curl exit ${echo6.code})`}, expected ${wanIp6}`);
  const exit6 = opts.vpnIpv6Refused ? undefined : providerExit6(lab);
  if (c.half === 'vpn' && exit6 && echo6.saw !== exit6) problems.push(`echo over IPv6 from the VPN half saw ${echo6.saw || `nothing (curl exit ${echo6.code})`}, expected the provider's ${exit6}`);
  if (c.half === 'vpn' && !exit6 && echo6.code !== CURL_COULD_NOT_CONNECT) problems.push(`echo over IPv6 from the VPN half: curl exit ${echo6.code}${echo6.saw ? ` (saw ${echo6.saw})` : ''}, expected a refusal (exit ${CURL_COULD_NOT_CONNECT})`);
  for (const [name, want] of Object.entries(opts.internalNames ?? SEED_NAMES)) {
    const got = await resolveFrom(lab, c, name, opts.dnsServer6 ?? 'fd00:10:4::1', opts.timeoutS);
    if (got !== want) problems.push(`${name} resolved over IPv6 to ${got || 'nothing'}, expected ${want}`);
  }
  return problems;
}

export async function provePaths(lab: LabState, opts: ProofOptions & { gateways?: string[] } = {}): Promise<PathProof[]> {
  const clients = lab.clients.filter((c) => !opts.gateways || opts.gateways.includes(c.gateway));
  return Promise.all(clients.map((c) => proveClient(lab, c, opts)));
}

export function proofTable(proofs: PathProof[]): string {
  const rows = proofs.map((p) => [
    p.client,
    p.half,
    p.address,
    p.echoSaw || '-',
    p.expected,
    Object.values(p.dns).every(Boolean) && p.outside.answer ? Object.values(p.dns).join(' ') : '-',
    p.ok ? '✓' : `✗ ${p.problems.join('; ')}`,
  ]);
  const header = ['CLIENT', 'HALF', 'ADDRESS', 'ECHO SAW', 'EXPECTED', 'DNS', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export interface LeakCheck {
  /** What tcpdump printed: each line is a packet that must not have left. */
  packets: string;
  /** The capture ran its whole window (a tcpdump that failed to start prints nothing either). */
  ranFullWindow: boolean;
  /** The VPN-half client's echo and outside-name lookup during the window ('' = nothing came back). */
  vpnEcho: string;
  vpnLookup: string;
  /** Sources the upstream DNS saw asking for that name. */
  upstreamSaw: string[];
  /** The direct-half client's echo during the same window. */
  directEcho: string;
  /** The same over IPv6, where the clients have it: the VPN half's curl status, the direct half's echo. */
  vpnEcho6?: { saw: string; code: number };
  directEcho6?: string;
}

/**
 * A capture on a gateway's WAN while its VPN-half client tries the echo service and an outside
 * name, and its direct-half client the echo service. `filter` selects what must not appear there:
 * the VPN half's addresses and DNS (port 53), never the tunnel's own packets to the provider.
 */
export async function vpnHalfLeaks(lab: LabState, gateway: string, opts: { filter: string; wan?: string; seconds?: number }): Promise<LeakCheck> {
  const seconds = opts.seconds ?? 6;
  const vpn = lab.clients.find((c) => c.gateway === gateway && c.half === 'vpn')!;
  const direct = lab.clients.find((c) => c.gateway === gateway && c.half === 'direct')!;
  const gw = lab.gateways.find((g) => g.name === gateway)!;
  const capture = gatewayExec(lab, gw.name, `timeout ${seconds} tcpdump -n -l -i ${opts.wan ?? 'ens5'} '${opts.filter}'`, { timeoutMs: (seconds + 10) * 1000 });
  await new Promise((r) => setTimeout(r, 1000));
  const name = `leak-${Date.now().toString(36)}.${lab.internet!.echoName.split('.').slice(1).join('.')}`;
  const six = !!(vpn.address6 && gw.wanIp6 && lab.internet!.echoUrl6);
  const [vpnEcho, vpnLookup, directEcho, vpnEcho6, directEcho6] = await Promise.all([
    echoFrom(lab, vpn, 2), resolveFrom(lab, vpn, name, '10.4.0.1', 2), echoFrom(lab, direct, 3),
    six ? echoFrom6(lab, vpn, 2) : undefined, six ? echoFrom6(lab, direct, 3).then((e) => e.saw) : undefined,
  ]);
  const captured = await capture;
  return { packets: captured.stdout.trim(), ranFullWindow: captured.code === 124, vpnEcho, vpnLookup, upstreamSaw: upstreamQuerySources(lab, name), directEcho, ...(six ? { vpnEcho6, directEcho6 } : {}) };
}
