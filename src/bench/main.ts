/**
 * `npm run bench -- --hosts 1,10,50 [--reps 5] [--json FILE] [--lab auto|full|bare] [--forks N] [--rtt 0,50ms]`
 *
 * For each N: brings up a fresh lab (the full lab with provider and clients where N <= 122 and
 * --lab is auto or full, so cold deploys run all seven roles; a --bare lab otherwise, where the
 * openvpn role is skipped because there is no provider), then per repetition measures the floors
 * (N parallel fresh SSH connections running `true`, OpenSSH and fleet's library), a cold deploy of
 * the bare gateways, a converged deploy, status and a full rollback (which leaves the gateways bare
 * for the next cold rep). Every fleet command runs as its own process, as a user runs it; its CPU
 * time and peak RSS come from the process's own rusage. The lab is taken down at the end, also on
 * error. With --rtt, every size is measured at each round trip, on a lab whose gateways sit behind a
 * delaying relay (`lab up --rtt`): the floor connects through the same relay as fleet does.
 * Run it inside the lab lock: `flock /tmp/fleet-lab.lock npm run bench -- ...`.
 */
import { writeFileSync } from 'node:fs';
import { labDown, labUp, type LabState } from '../lab/index.js';
import { BenchUsageError, bareFor, parseArgs, stat, type BenchArgs } from './stats.js';
import { fleetCommand, floorLibrary, floorOpenssh, targetsOf, type CliRun } from './measure.js';
import { jsonDocument, table, type RunStats } from './report.js';
import { profileConverged, type Profile } from './profile.js';

const USAGE = `usage: npm run bench -- --hosts 1,10,50 [--reps 5] [--json FILE] [--lab auto|full|bare] [--forks N] [--skip-roles a,b] [--rtt 0,50ms]
  --lab auto   full lab (all seven roles) up to 122 gateways, bare lab (openvpn skipped) above
  --forks N    fleet's parallelism (default: N, the floor's parallelism)
  --rtt LIST   round trips to measure at (a relay in each gateway delays its SSH traffic; 0: none)
Run it inside the lab lock: flock /tmp/fleet-lab.lock npm run bench -- --hosts 1,10,50`;

const log = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

async function warmUp(lab: LabState, targets: ReturnType<typeof targetsOf>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await floorOpenssh(lab, targets);
      return;
    } catch (err) {
      if (attempt === 3) throw err;
      log(`warm-up: ${(err as Error).message.split('\n')[0]}; again`);
    }
  }
}

async function benchOne(n: number, rttMs: number, args: BenchArgs): Promise<RunStats> {
  const bare = bareFor(n, args.lab);
  const at = rttMs ? ` at ${rttMs} ms` : '';
  log(`${n} gateways${at}: lab up (${bare ? 'bare' : 'full'}, fresh)`);
  const t0 = performance.now();
  const skipped = [...new Set([...(bare ? ['openvpn'] : []), ...(args.skipRoles ?? [])])];
  const wireguard = !skipped.includes('wireguard');
  const lab: LabState = await labUp({ hosts: n, bare, fresh: true, wireguard, rttMs, log: (m) => log(`  lab: ${m}`) });
  log(`${n} gateways${at}: lab up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const targets = targetsOf(lab);
  const inv = lab.inventory;
  const forks = String(args.forks ?? n);
  const roleArgs = skipped.length ? ['--skip-roles', skipped.join(',')] : [];
  // Generous timeouts: with hundreds of gateways on the controller's own cores, a handshake or the
  // confirm's reconnect can wait its turn longer than the defaults (10 s, 60 s). They only matter
  // when something fails; they never make a measured command slower.
  const conn = ['--forks', forks, '--connect-timeout', '120'];
  const deployArgs = ['--confirm-timeout', '900'];

  // One unmeasured pass so that neither the floor nor fleet pays for sshd's first fork, nor the
  // controller for its first ARP of each gateway: at 1,000 gateways on a busy machine one of those
  // can go unanswered (the first 1,000-gateway run lost gw52 so), so a gateway that failed here is
  // tried again on its own before anything is measured.
  await warmUp(lab, targets);

  const s = { floorOpenssh: [] as number[], floorLibrary: [] as number[], cold: [] as CliRun[], converged: [] as CliRun[], status: [] as CliRun[], rollback: [] as CliRun[] };
  let resourcesPerHost = 0;
  let profile: Profile | undefined;
  for (let rep = 1; rep <= args.reps; rep++) {
    const fo = await floorOpenssh(lab, targets);
    const fl = await floorLibrary(lab, targets);
    s.floorOpenssh.push(fo);
    s.floorLibrary.push(fl);

    const cold = await fleetCommand(['deploy', inv, ...roleArgs, ...conn, ...deployArgs]);
    const changed = cold.json.summary?.changed;
    if (changed !== n) throw new Error(`cold deploy rep ${rep}: ${changed} of ${n} hosts changed (expected all: were the gateways bare?)`);
    resourcesPerHost = Math.max(resourcesPerHost, ...(cold.json.hosts ?? []).map((h: any) => (Array.isArray(h.resources) ? h.resources.length : 0)));
    s.cold.push(cold);

    const conv = await fleetCommand(['deploy', inv, ...roleArgs, ...conn, ...deployArgs]);
    if (conv.json.summary?.changed !== 0) throw new Error(`converged deploy rep ${rep}: ${conv.json.summary?.changed} hosts changed (expected 0)`);
    s.converged.push(conv);

    // Status exits 2 when a gateway is unhealthy; in a bare lab OpenVPN cannot run, so 2 is
    // expected there. Every host must be reachable and in sync.
    const st = await fleetCommand(['status', '-i', inv, ...roleArgs, ...conn], bare ? [0, 2] : [0]);
    const outOfSync = (st.json.hosts ?? []).filter((h: any) => !h.reachable || !h.inSync);
    if (outOfSync.length) throw new Error(`status rep ${rep}: ${outOfSync.length} hosts unreachable or drifted, e.g. ${JSON.stringify(outOfSync[0]).slice(0, 800)}`);
    s.status.push(st);

    // Once per size, on the converged gateways: where the time goes.
    if (rep === args.reps) {
      try {
        profile = await profileConverged(lab, skipped);
      } catch (err) {
        log(`profile failed: ${(err as Error).message}`);
      }
    }

    const rb = await fleetCommand(['rollback', 'all', '-i', inv, '--yes', ...conn]);
    s.rollback.push(rb);

    log(
      `${n} gateways${at} rep ${rep}/${args.reps}: floor ssh ${fo.toFixed(2)} lib ${fl.toFixed(2)} | cold ${cold.wallS.toFixed(2)} converged ${conv.wallS.toFixed(2)} status ${st.wallS.toFixed(2)} rollback ${rb.wallS.toFixed(2)} s | cpu cold ${cold.cpuS.toFixed(2)} s rss ${cold.peakRssMb.toFixed(0)} MB`,
    );
  }
  const wall = (xs: CliRun[]) => stat(xs.map((x) => x.wallS));
  const cpu = (xs: CliRun[]) => stat(xs.map((x) => x.cpuS)).median;
  const rss = (xs: CliRun[]) => Math.max(...xs.map((x) => x.peakRssMb));
  const inner = (xs: CliRun[]) => stat(xs.map((x) => x.innerS ?? NaN)).median;
  const trips = (xs: CliRun[]) => Math.max(...xs.map((x) => x.roundTripsMax));
  return {
    hosts: n,
    rttMs,
    bare,
    roles: skipped.length ? `all but ${skipped.join(', ')}` : 'all seven',
    resourcesPerHost,
    reps: args.reps,
    floorOpenssh: stat(s.floorOpenssh),
    floorLibrary: stat(s.floorLibrary),
    cold: wall(s.cold),
    converged: wall(s.converged),
    status: wall(s.status),
    rollback: wall(s.rollback),
    roundTrips: { cold: trips(s.cold), converged: trips(s.converged), status: trips(s.status), rollback: trips(s.rollback) },
    cpuS: { cold: cpu(s.cold), converged: cpu(s.converged), status: cpu(s.status), rollback: cpu(s.rollback) },
    innerS: { cold: inner(s.cold), converged: inner(s.converged), status: inner(s.status), rollback: inner(s.rollback) },
    profile,
    rssMb: { cold: rss(s.cold), converged: rss(s.converged), status: rss(s.status), rollback: rss(s.rollback) },
  };
}

async function main(argv: string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof BenchUsageError) {
      process.stderr.write(`${err.message === 'usage' ? '' : `bench: ${err.message}\n`}${USAGE}\n`);
      return err.message === 'usage' ? 0 : 4;
    }
    throw err;
  }
  const runs: RunStats[] = [];
  let failed: unknown;
  try {
    for (const rtt of args.rtts) for (const n of args.hosts) runs.push(await benchOne(n, rtt, args));
  } catch (err) {
    failed = err;
  } finally {
    log('lab down');
    try {
      await labDown({ log: () => undefined });
    } catch (err) {
      log(`lab down failed: ${(err as Error).message}`);
    }
  }
  if (runs.length) {
    process.stdout.write(`${table(runs)}\n`);
    if (args.json) {
      writeFileSync(args.json, `${JSON.stringify(jsonDocument(runs), null, 2)}\n`);
      log(`wrote ${args.json}`);
    }
  }
  if (failed) {
    process.stderr.write(`bench failed: ${(failed as Error)?.stack ?? String(failed)}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
