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
}

export const SEED_NAMES = { 'vault.raff.local': '10.4.0.7', 'rafflab.internal': '10.4.0.3' };

export async function echoFrom(lab: LabState, client: string | LabClient, timeoutS = 5): Promise<string> {
  const r = await clientExec(lab, client, `curl -s -m ${timeoutS} ${lab.internet!.echoUrl}`);
  return r.code === 0 ? r.stdout.trim() : '';
}

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
  const [vpnEcho, vpnLookup, directEcho] = await Promise.all([echoFrom(lab, vpn, 2), resolveFrom(lab, vpn, name, '10.4.0.1', 2), echoFrom(lab, direct, 3)]);
  const captured = await capture;
  return { packets: captured.stdout.trim(), ranFullWindow: captured.code === 124, vpnEcho, vpnLookup, upstreamSaw: upstreamQuerySources(lab, name), directEcho };
}
