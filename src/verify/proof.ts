/**
 * What verify's markers prove about one gateway. Each problem names the half (or the DNS path)
 * it is about, in words an operator acts on.
 */
import type { HostVars } from '../inventory/schema.js';
import { decodeField, type Marker } from '../engine/script.js';
import { HALF_TAG, type VerifyPlan } from './script.js';
import type { Half } from './probe-address.js';

export interface HalfProof {
  half: Half;
  probeAddress: string;
  /** What the echo URL answered ('' when it could not be fetched). */
  echoSaw: string;
  /** What it must be ('not <wan>' for the VPN half when provider_exit_ip is unknown). */
  expected: string;
  /** name -> first A answer through the gateway ('' when none). */
  dns: Record<string, string>;
  ok: boolean;
  problems: string[];
}

export interface DnsPathProof {
  /** Packets of the DNS mark rules (dnsmasq's upstream queries) before and after the probe. */
  markedBefore: number;
  markedAfter: number;
  /** dnsmasq's packets to port 53 leaving by the WAN interface during the probe (a counting rule). */
  wanPackets: number;
  /** How the WAN side was watched, for the report. */
  method: string;
  ok: boolean;
  problems: string[];
}

export interface HostProof {
  halves: HalfProof[];
  dns?: DnsPathProof;
  /** Probe namespaces left after the probe's own cleanup (0 when it cleaned up). */
  leftovers?: number;
  problems: string[];
  ok: boolean;
}

const firstAnswer = (text: string): string => text.split('\n').map((l) => l.trim()).find((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l)) ?? '';

function echoProof(v: HostVars, half: Half, m: Marker | undefined, url: string): { saw: string; expected: string; problems: string[] } {
  const wan = v.wan_public_ip ?? v.wan_ip;
  const expected = half === 'direct' ? wan : (v.provider_exit_ip ?? `not ${wan}`);
  if (!m) return { saw: '', expected, problems: [`${half} half: the probe did not reach the echo step`] };
  const rc = Number(m.fields[1]);
  const saw = decodeField(m.fields[2]).trim();
  if (rc !== 0 || !saw) {
    const why = decodeField(m.fields[3]).trim().split('\n').slice(-1)[0] || `curl exit ${m.fields[1]}`;
    return { saw: '', expected, problems: [`${half} half: no answer from ${url} (${why})`] };
  }
  if (half === 'direct' && saw !== wan) return { saw, expected, problems: [`direct half: ${url} saw ${saw}, expected the WAN's public address ${wan}${v.wan_public_ip ? '' : ' (wan_ip; set wan_public_ip when the WAN is behind NAT)'}`] };
  if (half === 'vpn' && saw === wan) return { saw, expected, problems: [`vpn half: ${url} saw the WAN's address ${wan}: VPN-half traffic does not leave through the provider`] };
  if (half === 'vpn' && v.provider_exit_ip && saw !== v.provider_exit_ip) return { saw, expected, problems: [`vpn half: ${url} saw ${saw}, expected the provider's exit address ${v.provider_exit_ip} (provider_exit_ip)`] };
  return { saw, expected, problems: [] };
}

export function halfProof(v: HostVars, plan: VerifyPlan, half: Half, markers: Marker[]): HalfProof {
  const tag = HALF_TAG[half];
  const probe = plan.probes.find((p) => p.half === half)!;
  const echo = echoProof(v, half, markers.find((m) => m.kind === 'echo' && m.fields[0] === tag), plan.echoUrl);
  const problems = [...echo.problems];
  const dns: Record<string, string> = {};
  for (const { name, ip } of plan.names) {
    const m = markers.find((x) => x.kind === 'dns' && x.fields[0] === tag && x.fields[1] === name);
    dns[name] = m ? firstAnswer(decodeField(m.fields[2])) : '';
    if (dns[name] !== ip) problems.push(`${half} half: ${name} resolved to ${dns[name] || 'nothing'} through the gateway, expected ${ip}`);
  }
  return { half, probeAddress: probe.address, echoSaw: echo.saw, expected: echo.expected, dns, ok: problems.length === 0, problems };
}

export function dnsPathProof(v: HostVars, markers: Marker[]): DnsPathProof | undefined {
  const m = markers.find((x) => x.kind === 'dnscount');
  if (!m) return undefined;
  const [before, after, wan] = m.fields.map(Number) as [number, number, number];
  const method = `counting rule: mangle POSTROUTING -o ${v.wan_interface} --dport 53 (udp, tcp) -m owner --uid-owner ${v.dnsmasq_user}`;
  const problems: string[] = [];
  if (!(after > before)) problems.push(`upstream DNS: the DNS mark rule's packet counter did not rise (${before} -> ${after}): dnsmasq's upstream queries are not marked for the tunnel`);
  if (wan !== 0) problems.push(`upstream DNS: ${wan} packet(s) from dnsmasq to port 53 left by ${v.wan_interface} during the probe, outside the tunnel`);
  return { markedBefore: before, markedAfter: after, wanPackets: wan, method, ok: problems.length === 0, problems };
}

export function hostProof(v: HostVars, plan: VerifyPlan, markers: Marker[]): HostProof {
  const halves = plan.probes.map((p) => halfProof(v, plan, p.half, markers));
  const dns = dnsPathProof(v, markers);
  const cleaned = markers.find((m) => m.kind === 'cleaned');
  const leftovers = cleaned ? Number(cleaned.fields[0]) : undefined;
  const problems = [...halves.flatMap((h) => h.problems), ...(dns?.problems ?? ['upstream DNS: the probe did not reach the DNS count'])];
  if (leftovers) problems.push(`${leftovers} probe namespace(s) left after the probe's cleanup (the gateway's reaper removes them)`);
  return { halves, dns, leftovers, problems, ok: problems.length === 0 };
}
