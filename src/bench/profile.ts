/**
 * Where the time goes, on a converged lab: the SSH handshake, a bare round trip, the plan script's
 * round trip (one host alone, then all hosts at once over open connections), the plan script's
 * CPU on the gateway, and the fleet process's start-up (node + module loading, no host contacted).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabState } from '../lab/index.js';
import { loadInventory } from '../inventory/index.js';
import { renderDesired } from '../roles/tasks.js';
import { planHost } from '../engine/plan.js';
import { ROLE_ORDER } from '../roles/order.js';
import { raw, sh, type Shell } from '../shell/sh.js';
import { SshTransport } from '../transport/ssh.js';
import type { RunOptions, RunResult, Transport } from '../transport/types.js';
import { median } from './stats.js';

export interface Profile {
  /** SshTransport.connect alone (TCP + kex + auth), one host. */
  connectS: number;
  /** run(`true`) on an open connection: one round trip with no work. */
  trueRoundTripS: number;
  /** The converged plan script's round trip, one host alone. */
  planRoundTripS: number;
  /** CPU (user+sys) the plan script costs on the gateway (its shell and children). */
  planRemoteCpuS: number;
  /** The plan script on all N hosts at once over open connections: median and max round trip. */
  planParallelMedianS: number;
  planParallelMaxS: number;
  /** `fleet --version` through the same wrapper: node start-up and module loading. */
  startupS: number;
  startupCpuS: number;
}

class Recording implements Transport {
  scripts: string[] = [];
  constructor(private readonly inner: Transport) {}
  get host(): string {
    return this.inner.host;
  }
  get roundTrips(): number {
    return this.inner.roundTrips;
  }
  run(script: Shell, opts?: RunOptions): Promise<RunResult> {
    this.scripts.push(script.text);
    return this.inner.run(script, opts);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const WRAPPER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rusage-wrapper.js');

async function startup(): Promise<{ s: number; cpuS: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-'));
  const file = path.join(dir, 'rusage.json');
  try {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const c = spawn(process.execPath, [WRAPPER, '--version'], { stdio: 'ignore', env: { ...process.env, FLEET_BENCH_RUSAGE: file } });
      c.on('error', reject);
      c.on('close', () => resolve());
    });
    const s = (performance.now() - t0) / 1000;
    const ru = JSON.parse(readFileSync(file, 'utf8')) as { userS: number; sysS: number };
    return { s, cpuS: ru.userS + ru.sysS };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, (performance.now() - t0) / 1000];
}

export async function profileConverged(lab: LabState, skipRoles: string[]): Promise<Profile> {
  const inv = loadInventory(lab.inventory);
  const roles = ROLE_ORDER.filter((r) => !skipRoles.includes(r));
  const desired = renderDesired(inv.hosts, roles);
  const first = inv.hosts[0]!;

  const [t, connectS] = await timed(() => SshTransport.connect(first.name, first.connection));
  let trueRoundTripS: number;
  let planRoundTripS: number;
  let planRemoteCpuS = NaN;
  try {
    const trues: number[] = [];
    for (let i = 0; i < 5; i++) trues.push((await timed(() => t.run(sh`true`)))[1]);
    trueRoundTripS = median(trues);
    const rec = new Recording(t);
    const plans: number[] = [];
    for (let i = 0; i < 3; i++) plans.push((await timed(() => planHost(rec, desired.get(first.name) ?? [])))[1]);
    planRoundTripS = median(plans);
    const script = rec.scripts[0]!;
    // The same script in a child shell; `times` then reports the children's user and sys CPU.
    const res = await t.run(raw(`/bin/sh -s >/dev/null 2>&1 <<'FLEET_BENCH_EOF'\n${script}\nFLEET_BENCH_EOF\ntimes\n`));
    const lines = res.stdout.trim().split('\n');
    const child = lines[lines.length - 1] ?? '';
    const secs = [...child.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    if (secs.length === 2) planRemoteCpuS = secs[0]! + secs[1]!;
  } finally {
    await t.close();
  }

  // Every host at once, connections already open: the remote work under the lab's CPU contention.
  const conns = await Promise.all(inv.hosts.map((h) => SshTransport.connect(h.name, h.connection)));
  let par: number[];
  try {
    par = await Promise.all(conns.map(async (c) => (await timed(() => planHost(c, desired.get(c.host) ?? [])))[1]));
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
  const st = await startup();
  return {
    connectS,
    trueRoundTripS,
    planRoundTripS,
    planRemoteCpuS,
    planParallelMedianS: median(par),
    planParallelMaxS: Math.max(...par),
    startupS: st.s,
    startupCpuS: st.cpuS,
  };
}
