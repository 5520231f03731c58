/** The benchmark's table and its JSON document. */
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { ratios, round, type Ratios, type Stat } from './stats.js';
import type { Profile } from './profile.js';

export interface RunStats {
  hosts: number;
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

export function jsonDocument(runs: RunStats[]): Record<string, unknown> {
  const r = ratios(runs.map((x) => ({ hosts: x.hosts, floorOpenssh: x.floorOpenssh.median, floorLibrary: x.floorLibrary.median, cold: x.cold.median, converged: x.converged.median, status: x.status.median })));
  return {
    machine: machine(),
    runs: runs.map((x) => ({
      hosts: x.hosts,
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
    ratios: roundRatios(r),
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
  const head = ['hosts', 'lab', 'floor ssh', 'floor lib', 'cold', 'converged', 'status', 'rollback', 'trips c/cv/st', 'cpu s (cold)', 'cpu ms/host', 'rss MB'];
  const rows = runs.map((x) => [
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
  const r = ratios(runs.map((x) => ({ hosts: x.hosts, floorOpenssh: x.floorOpenssh.median, floorLibrary: x.floorLibrary.median, cold: x.cold.median, converged: x.converged.median, status: x.status.median })));
  out.push('');
  out.push('ratios to the OpenSSH floor of the same run:');
  for (const p of r.perRun) out.push(`  ${String(p.hosts).padStart(4)} hosts: converged/floor ${p.convergedOverFloor.toFixed(2)}  status/floor ${p.statusOverFloor.toFixed(2)}  cold/floor ${p.coldOverFloor.toFixed(2)}  (library floor: converged ${p.convergedOverLibraryFloor?.toFixed(2)} status ${p.statusOverLibraryFloor?.toFixed(2)})`);
  if (r.growth) {
    const g = r.growth;
    out.push(`growth ${g.from} -> ${g.to} hosts: floor ${g.floor.toFixed(2)}x  converged ${g.converged.toFixed(2)}x  status ${g.status.toFixed(2)}x  cold ${g.cold.toFixed(2)}x`);
  }
  const profiled = runs.filter((x) => x.profile);
  if (profiled.length) {
    out.push('');
    out.push('profile (converged gateways): connect = handshake of one host; rt = round trip of `true`; plan = the converged');
    out.push('plan script, one host alone, its CPU on the gateway, and on all N at once over open connections; start = fleet --version');
    for (const x of profiled) {
      const p = x.profile!;
      const ms = (v: number): string => `${(v * 1000).toFixed(0)}ms`;
      out.push(
        `  ${String(x.hosts).padStart(4)} hosts: connect ${ms(p.connectS)}  rt ${ms(p.trueRoundTripS)}  plan ${ms(p.planRoundTripS)} (remote cpu ${ms(p.planRemoteCpuS)})  plan on all ${ms(p.planParallelMedianS)} median, ${ms(p.planParallelMaxS)} max  start ${ms(p.startupS)} (cpu ${ms(p.startupCpuS)})`,
      );
    }
  }
  return out.join('\n');
}
