/** Pure parts of the benchmark: argument parsing, statistics and ratios (unit-tested). */

export interface BenchArgs {
  hosts: number[];
  reps: number;
  json?: string;
  /** 'auto': the full lab (provider, clients, all seven roles) where N allows, else bare. */
  lab: 'auto' | 'full' | 'bare';
  /** Parallel hosts for fleet's commands (default: N, the same parallelism as the floor). */
  forks?: number;
  /** Roles to skip besides openvpn in a bare lab (e.g. wireguard past the lab's wireguard-go limit). */
  skipRoles?: string[];
  /** Round trips (ms) to measure at, each with a relay in front of every gateway's sshd (0: none). */
  rtts: number[];
}

export const FULL_LAB_MAX = 122;
/** Past 244 the bare lab is in the benchmark range 198.18.0.0/15 (src/lab/names.ts). */
export const BARE_LAB_MAX = 1000;

export class BenchUsageError extends Error {}

export function parseArgs(argv: string[]): BenchArgs {
  const out: BenchArgs = { hosts: [1, 10, 50], reps: 5, lab: 'auto', rtts: [0] };
  const need = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new BenchUsageError(`${flag} needs a value`);
    return v;
  };
  const posInt = (v: string, flag: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new BenchUsageError(`${flag}: expected a positive whole number, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = need(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--hosts': {
        const list = value().split(',').map((s) => posInt(s.trim(), '--hosts'));
        out.hosts = [...new Set(list)].sort((x, y) => x - y);
        break;
      }
      case '--reps':
        out.reps = posInt(value(), '--reps');
        break;
      case '--json':
        out.json = value();
        break;
      case '--lab': {
        const v = value();
        if (v !== 'auto' && v !== 'full' && v !== 'bare') throw new BenchUsageError(`--lab: expected auto, full or bare, got '${v}'`);
        out.lab = v;
        break;
      }
      case '--skip-roles':
        out.skipRoles = value().split(',').map((r) => r.trim()).filter(Boolean);
        break;
      case '--rtt':
        out.rtts = [...new Set(value().split(',').map((s) => rttOf(s.trim())))].sort((x, y) => x - y);
        break;
      case '--forks':
        out.forks = posInt(value(), '--forks');
        break;
      case '-h':
      case '--help':
        throw new BenchUsageError('usage');
      default:
        throw new BenchUsageError(`unknown argument '${a}'`);
    }
  }
  for (const n of out.hosts) {
    const max = out.lab === 'full' ? FULL_LAB_MAX : BARE_LAB_MAX;
    if (n > max) throw new BenchUsageError(`--hosts: ${n} is more than the ${out.lab === 'full' ? 'full' : 'bare'} lab holds (${max})`);
  }
  return out;
}

/** `0`, `50ms`, `0.05s` or `50` (milliseconds). */
function rttOf(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
  const ms = m ? Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1)) : NaN;
  if (!Number.isFinite(ms) || ms > 2000) throw new BenchUsageError(`--rtt: expected round trips like 0,50ms (up to 2000ms), got '${text}'`);
  return ms;
}

/** Whether the lab for N gateways is bare (no provider: the openvpn role is skipped). */
export function bareFor(n: number, lab: BenchArgs['lab']): boolean {
  return lab === 'bare' || (lab === 'auto' && n > FULL_LAB_MAX);
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function stat(xs: readonly number[]): Stat {
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

export function ratio(a: number, b: number): number {
  return b > 0 && Number.isFinite(a) ? a / b : NaN;
}

export interface RatioRun {
  hosts: number;
  floorOpenssh: number;
  /** fleet's own SSH library floor: the same handshakes without OpenSSH's process start and sntrup761 kex. */
  floorLibrary?: number;
  cold: number;
  converged: number;
  status: number;
}

export interface Ratios {
  perRun: { hosts: number; coldOverFloor: number; convergedOverFloor: number; statusOverFloor: number; convergedOverLibraryFloor?: number; statusOverLibraryFloor?: number }[];
  /** From the smallest to the largest N (undefined with a single N). */
  growth?: { from: number; to: number; floor: number; cold: number; converged: number; status: number };
}

/** Ratios against the OpenSSH floor measured in the same run, and growth from smallest to largest N. */
export function ratios(runs: readonly RatioRun[]): Ratios {
  const sorted = [...runs].sort((a, b) => a.hosts - b.hosts);
  const perRun = sorted.map((r) => ({
    hosts: r.hosts,
    coldOverFloor: ratio(r.cold, r.floorOpenssh),
    convergedOverFloor: ratio(r.converged, r.floorOpenssh),
    statusOverFloor: ratio(r.status, r.floorOpenssh),
    ...(r.floorLibrary !== undefined ? { convergedOverLibraryFloor: ratio(r.converged, r.floorLibrary), statusOverLibraryFloor: ratio(r.status, r.floorLibrary) } : {}),
  }));
  if (sorted.length < 2) return { perRun };
  const a = sorted[0]!;
  const b = sorted[sorted.length - 1]!;
  return {
    perRun,
    growth: {
      from: a.hosts,
      to: b.hosts,
      floor: ratio(b.floorOpenssh, a.floorOpenssh),
      cold: ratio(b.cold, a.cold),
      converged: ratio(b.converged, a.converged),
      status: ratio(b.status, a.status),
    },
  };
}

/** Rounds for the JSON document: seconds to ms precision, others to 2 decimals. */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
