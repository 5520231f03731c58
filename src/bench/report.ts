/** The benchmark's table and its JSON document. */
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { ratios, round, type Ratios, type Stat } from './stats.js';
import type { Profile } from './profile.js';

export interface RunStats {
  hosts: number;
  /** The round trip a relay added in front of each gateway's sshd (0: none). */
  rttMs: number;
  bare: boolean;
  roles: string;
  resourcesPerHost: number;
  reps: number;
  floorOpenssh: Stat;
  floorLibrary: Stat;
  cold: Stat;
  converged: Stat;
  status: Stat;
  rollback: Stat;
  roundTrips: { cold: number; converged: number; status: number; rollback: number };
  /** CPU seconds (user+sys) of the fleet process, per command (median over reps). */
  cpuS: { cold: number; converged: number; status: number; rollback: number };
  /** Peak RSS (MB) of the fleet process, per command (max over reps). */
  rssMb: { cold: number; converged: number; status: number; rollback: number };
  /** The command's own --json `seconds` (inventory load to the last host: no node start-up), median. */
  innerS: { cold: number; converged: number; status: number; rollback: number };
  profile?: Profile;
}

export function machine(): Record<string, unknown> {
  const cpu = os.cpus();
  const v = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  const ssh = `${v.stdout ?? ''}${v.stderr ?? ''}`.trim();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memGiB: round(os.totalmem() / 2 ** 30, 1),
    kernel: os.release(),
    node: process.version,
    openssh: ssh,
    at: new Date().toISOString(),
  };
}

/** The runs of each round trip, smallest first: ratios and growth are taken within one distance. */
function byRtt(runs: RunStats[]): [number, RunStats[]][] {
  const rtts = [...new Set(runs.map((x) => x.rttMs))].sort((a, b) => a - b);
  return rtts.map((rtt) => [rtt, runs.filter((x) => x.rttMs === rtt)]);
}

function ratiosOf(runs: RunStats[]): Ratios {
  return ratios(runs.map((x) => ({ hosts: x.hosts, floorOpenssh: x.floorOpenssh.median, floorLibrary: x.floorLibrary.median, cold: x.cold.median, converged: x.converged.median, status: x.status.median })));
}

export function jsonDocument(runs: RunStats[]): Record<string, unknown> {
  const groups = byRtt(runs);
  const r = ratiosOf(groups[0]?.[1] ?? []);
  return {
    machine: machine(),
    runs: runs.map((x) => ({
      hosts: x.hosts,
      rttMs: x.rttMs,
      floorOpenssh: round(x.floorOpenssh.median),
      floorLibrary: round(x.floorLibrary.median),
      cold: round(x.cold.median),
      converged: round(x.converged.median),
      status: round(x.status.median),
      rollback: round(x.rollback.median),
      roundTrips: { cold: x.roundTrips.cold, converged: x.roundTrips.converged, status: x.roundTrips.status },
      // The heaviest command (cold deploy); every command's figure is in `detail`.
      controllerCpuS: round(x.cpuS.cold),
      peakRssMb: round(Math.max(x.rssMb.cold, x.rssMb.converged, x.rssMb.status, x.rssMb.rollback), 1),
      detail: {
        lab: x.bare ? 'bare' : 'full',
        roles: x.roles,
        resourcesPerHost: x.resourcesPerHost,
        reps: x.reps,
        seconds: Object.fromEntries((['floorOpenssh', 'floorLibrary', 'cold', 'converged', 'status', 'rollback'] as const).map((k) => [k, { median: round(x[k].median), min: round(x[k].min), max: round(x[k].max) }])),
        roundTripsRollback: x.roundTrips.rollback,
        cpuS: mapRound(x.cpuS, 3),
        rssMb: mapRound(x.rssMb, 1),
        cpuMsPerHost: mapRound(per(x.cpuS, x.hosts, 1000), 1),
        innerSeconds: mapRound(x.innerS, 3),
        profile: x.profile ? mapRound(x.profile as unknown as Record<string, number>, 3) : undefined,
      },
    })),
    // The smallest round trip's (the only one without --rtt); each distance's in ratiosByRtt.
    ratios: roundRatios(r),
    ratiosByRtt: Object.fromEntries(groups.map(([rtt, xs]) => [String(rtt), roundRatios(ratiosOf(xs))])),
  };
}

function per(o: Record<string, number>, n: number, scale: number): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, (v * scale) / n]));
}
function mapRound(o: Record<string, number>, d: number): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, d)]));
}
function roundRatios(r: Ratios): Ratios {
  return {
    perRun: r.perRun.map((p) => mapRound(p, 2) as Ratios['perRun'][number]),
    growth: r.growth ? (mapRound(r.growth, 2) as Ratios['growth']) : undefined,
  };
}

const f = (s: Stat): string => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;

export function table(runs: RunStats[]): string {
  const withRtt = runs.some((x) => x.rttMs > 0);
  const head = [...(withRtt ? ['rtt'] : []), 'hosts', 'lab', 'floor ssh', 'floor lib', 'cold', 'converged', 'status', 'rollback', 'trips c/cv/st', 'cpu s (cold)', 'cpu ms/host', 'rss MB'];
  const rows = runs.map((x) => [
    ...(withRtt ? [`${x.rttMs}ms`] : []),
    String(x.hosts),
    x.roles === 'all seven' ? 'full' : x.roles === 'all but openvpn' ? 'bare*' : `bare, ${x.roles}`,
    f(x.floorOpenssh),
    f(x.floorLibrary),
    f(x.cold),
    f(x.converged),
    f(x.status),
    f(x.rollback),
    `${x.roundTrips.cold}/${x.roundTrips.converged}/${x.roundTrips.status}`,
    x.cpuS.cold.toFixed(2),
    ((x.cpuS.cold * 1000) / x.hosts).toFixed(0),
    Math.max(x.rssMb.cold, x.rssMb.converged, x.rssMb.status, x.rssMb.rollback).toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(head), ...rows.map(line)];
  out.push('');
  out.push('seconds: median (min–max) over reps, wall time of the whole fleet process (node start to exit);');
  out.push('floor: N parallel fresh connections running `true` (OpenSSH client / fleet\'s SshTransport).');
  if (runs.some((x) => x.bare)) out.push('bare*: a --bare lab has no OpenVPN provider, so the openvpn role is skipped there (six roles).');
  if (withRtt) out.push('rtt: the round trip a relay in each gateway adds to its SSH traffic (the floor goes through it too).');
  out.push('');
  out.push('ratios to the OpenSSH floor of the same run:');
  for (const [rtt, xs] of byRtt(runs)) out.push(...ratioLines(ratiosOf(xs), withRtt ? `${rtt}ms ` : ''));
  const profiled = runs.filter((x) => x.profile);
  if (profiled.length) {
    out.push('');
    out.push('profile (converged gateways): connect = handshake of one host; rt = round trip of `true`; plan = the converged');
    out.push('plan script, one host alone, its CPU on the gateway, and on all N at once over open connections; start = fleet --version');
    for (const x of profiled) {
      const p = x.profile!;
      const ms = (v: number): string => `${(v * 1000).toFixed(0)}ms`;
      out.push(
        `  ${x.rttMs ? `${x.rttMs}ms ` : ''}${String(x.hosts).padStart(4)} hosts: connect ${ms(p.connectS)}  rt ${ms(p.trueRoundTripS)}  plan ${ms(p.planRoundTripS)} (remote cpu ${ms(p.planRemoteCpuS)})  plan on all ${ms(p.planParallelMedianS)} median, ${ms(p.planParallelMaxS)} max  start ${ms(p.startupS)} (cpu ${ms(p.startupCpuS)})`,
      );
    }
  }
  return out.join('\n');
}

/** The ratio lines of one distance (`prefix` names it when there are several). */
function ratioLines(r: Ratios, prefix: string): string[] {
  const out = r.perRun.map(
    (p) =>
      `  ${prefix}${String(p.hosts).padStart(4)} hosts: converged/floor ${p.convergedOverFloor.toFixed(2)}  status/floor ${p.statusOverFloor.toFixed(2)}  cold/floor ${p.coldOverFloor.toFixed(2)}  (library floor: converged ${p.convergedOverLibraryFloor?.toFixed(2)} status ${p.statusOverLibraryFloor?.toFixed(2)})`,
  );
  if (r.growth) {
    const g = r.growth;
    out.push(`  ${prefix}growth ${g.from} -> ${g.to} hosts: floor ${g.floor.toFixed(2)}x  converged ${g.converged.toFixed(2)}x  status ${g.status.toFixed(2)}x  cold ${g.cold.toFixed(2)}x`);
  }
  return out;
}
