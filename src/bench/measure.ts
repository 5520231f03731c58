/**
 * One measurement each: the floors (N parallel fresh SSH connections running `true`, with OpenSSH
 * and with fleet's own library) and a fleet CLI command run as its own process, as a user runs it,
 * with its wall time, CPU time, peak RSS and per-host round trips.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SshTransport } from '../transport/ssh.js';
import { sh } from '../shell/sh.js';
import type { LabState } from '../lab/index.js';

export interface Target {
  name: string;
  host: string;
  port: number;
}

export function targetsOf(lab: LabState): Target[] {
  return lab.gateways.map((g) => ({ name: g.name, host: g.wanIp, port: g.sshPort }));
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnCollect(argv: string[], env?: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: killed ? `${stderr}(killed: still running after ${timeoutMs / 1000} s; fewer --forks, or fewer hosts)\n` : stderr });
    });
  });
}

/** N parallel `ssh ... true`: fresh connections, the lab key, strict host keys, BatchMode, no multiplexing. */
export async function floorOpenssh(lab: LabState, targets: Target[]): Promise<number> {
  const t0 = performance.now();
  const results = await Promise.all(
    targets.map((t) =>
      spawnCollect([
        'ssh', '-F', '/dev/null',
        '-i', lab.ssh.keyPath, '-o', 'IdentitiesOnly=yes',
        '-o', `UserKnownHostsFile=${lab.ssh.knownHostsPath}`, '-o', 'GlobalKnownHostsFile=/dev/null',
        '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes',
        '-o', 'ControlMaster=no', '-o', 'ControlPath=none', '-o', 'ConnectTimeout=120',
        '-p', String(t.port), `${lab.ssh.user}@${t.host}`, 'true',
      ]),
    ),
  );
  const s = (performance.now() - t0) / 1000;
  const bad = results.map((r, i) => ({ r, t: targets[i]! })).filter(({ r }) => r.code !== 0);
  if (bad.length) throw new Error(`openssh floor: ${bad.length} of ${targets.length} failed, e.g. ${bad[0]!.t.name}: ${bad[0]!.r.stderr.trim()}`);
  return s;
}

/** N parallel SshTransport.connect + run(`true`) + close, in this process. */
export async function floorLibrary(lab: LabState, targets: Target[]): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    targets.map(async (t) => {
      const tr = await SshTransport.connect(t.name, {
        host: t.host,
        port: t.port,
        user: lab.ssh.user,
        keyFile: lab.ssh.keyPath,
        knownHostsFile: lab.ssh.knownHostsPath,
        become: false,
        connectTimeout: 120,
      });
      try {
        const r = await tr.run(sh`true`);
        if (r.code !== 0) throw new Error(`library floor: ${t.name}: true exited ${r.code}`);
      } finally {
        await tr.close();
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

export interface CliRun {
  /** Wall time of the whole process (node start to exit), seconds. */
  wallS: number;
  /** The command's own `seconds` from its --json (inventory load to the last host), when present. */
  innerS?: number;
  cpuS: number;
  userS: number;
  sysS: number;
  peakRssMb: number;
  code: number | null;
  /** Per-host round trips from the --json, max over hosts. */
  roundTripsMax: number;
  roundTripsMin: number;
  json: any;
  stderr: string;
}

const WRAPPER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rusage-wrapper.js');

/** Runs `fleet <args> --json` through the rusage wrapper. */
export async function fleetCommand(args: string[], okCodes: number[] = [0]): Promise<CliRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
  const rusageFile = path.join(dir, 'rusage.json');
  try {
    const env = { ...process.env, CI: 'true', NO_COLOR: '1', FLEET_BENCH_RUSAGE: rusageFile };
    const t0 = performance.now();
    const r = await spawnCollect([process.execPath, WRAPPER, ...args, '--json'], env);
    const wallS = (performance.now() - t0) / 1000;
    let json: any;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      throw new Error(`fleet ${args.join(' ')}: exit ${r.code}, no JSON on stdout:\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(0, 2000)}`);
    }
    if (!okCodes.includes(r.code ?? -1)) {
      const bad = (json.hosts ?? []).filter((h: any) => h.status === 'failed' || h.status === 'unreachable' || h.reachable === false);
      const why = bad.slice(0, 3).map((h: any) => {
        const failedSteps = (h.resources ?? []).filter((x: any) => x.applied === 'fail' || x.planned === 'error');
        return `${h.host}: ${JSON.stringify(h.error ?? h.unreachableReason ?? '').slice(0, 600)} ${JSON.stringify(failedSteps).slice(0, 800)} ${JSON.stringify(h.failure ?? '').slice(0, 1200)}`;
      });
      throw new Error(`fleet ${args.join(' ')}: exit ${r.code}; ${bad.length} hosts failed:\n${why.join('\n')}\n${r.stderr.slice(0, 1500)}`);
    }
    const ru = JSON.parse(readFileSync(rusageFile, 'utf8')) as { userS: number; sysS: number; maxRssKb: number };
    const trips = (json.hosts ?? []).map((h: any) => Number(h.roundTrips ?? NaN));
    return {
      wallS,
      innerS: typeof json.seconds === 'number' ? json.seconds : undefined,
      cpuS: ru.userS + ru.sysS,
      userS: ru.userS,
      sysS: ru.sysS,
      peakRssMb: ru.maxRssKb / 1024,
      code: r.code,
      roundTripsMax: trips.length ? Math.max(...trips) : NaN,
      roundTripsMin: trips.length ? Math.min(...trips) : NaN,
      json,
      stderr: r.stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
