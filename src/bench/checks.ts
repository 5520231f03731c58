/**
 * `node dist/src/bench/checks.js [--bare]`: the cost of each check of the converged plan on one
 * lab gateway, by module: wall time and processes started (the gateway's last-pid counter), against
 * the whole plan script, and how many of them the plan proved from the facts it gathers once
 * (src/modules/facts.ts). Brings up a one-gateway lab, deploys it, measures, takes the lab down.
 * Run it inside the lab lock. A profiling aid for the benchmark's findings, not part of `npm test`.
 */
import { labDown, labUp } from '../lab/index.js';
import { loadInventory } from '../inventory/index.js';
import { renderDesired } from '../roles/tasks.js';
import { planHost } from '../engine/plan.js';
import { ROLE_ORDER } from '../roles/order.js';
import { Shell, raw } from '../shell/sh.js';
import { SshTransport } from '../transport/ssh.js';
import { fleetCommand } from './measure.js';
import { median } from './stats.js';

const bare = process.argv.includes('--bare');
const skip = bare ? ['openvpn'] : [];
try {
  const lab = await labUp({ hosts: 1, bare, fresh: true });
  await fleetCommand(['deploy', lab.inventory, ...(bare ? ['--skip-roles', 'openvpn'] : [])]);
  const inv = loadInventory(lab.inventory);
  const host = inv.hosts[0]!;
  const desired = renderDesired([host], ROLE_ORDER.filter((r) => !skip.includes(r))).get(host.name) ?? [];
  const t = await SshTransport.connect(host.name, host.connection);
  try {
    const now = raw(`a=$(date +%s%N); p0=$(cut -d' ' -f5 /proc/loadavg)`);
    const parts: Shell[] = [raw(`export FLEET_NO_BOOT_HOOKS=1`)];
    parts.push(now, raw(`out=$( ( : ) 2>/dev/null; printf . ); b=$(date +%s%N); p1=$(cut -d' ' -f5 /proc/loadavg); echo "PROF -1 $((b-a)) $((p1-p0))"`));
    desired.forEach((d, i) => {
      parts.push(now, raw(`out=$( (`), d.resource.check, raw(`) 2>/dev/null; printf . ); b=$(date +%s%N); p1=$(cut -d' ' -f5 /proc/loadavg); echo "PROF ${i} $((b-a)) $((p1-p0))"`));
    });
    const runs: Map<number, { ns: number[]; forks: number[] }> = new Map();
    for (let rep = 0; rep < 5; rep++) {
      const res = await t.run(Shell.join(parts));
      for (const line of res.stdout.split('\n')) {
        const m = /^PROF (-?\d+) (\d+) (\d+)$/.exec(line);
        if (!m) continue;
        const k = Number(m[1]);
        const e = runs.get(k) ?? { ns: [], forks: [] };
        e.ns.push(Number(m[2]));
        e.forks.push(Number(m[3]));
        runs.set(k, e);
      }
    }
    const base = runs.get(-1)!;
    const baseMs = median(base.ns) / 1e6;
    const baseForks = median(base.forks);
    const byModule = new Map<string, { n: number; ms: number; forks: number }>();
    let totalMs = 0;
    let totalForks = 0;
    desired.forEach((d, i) => {
      const e = runs.get(i);
      if (!e) return;
      const ms = Math.max(0, median(e.ns) / 1e6 - baseMs);
      const forks = Math.max(0, median(e.forks) - baseForks);
      totalMs += ms;
      totalForks += forks;
      const m = byModule.get(d.resource.module) ?? { n: 0, ms: 0, forks: 0 };
      m.n++;
      m.ms += ms;
      m.forks += forks;
      byModule.set(d.resource.module, m);
    });
    const plans: number[] = [];
    let proved = new Map<string, number>();
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const plan = await planHost(t, desired);
      plans.push(performance.now() - t0);
      proved = new Map();
      for (const item of plan.items) if (item.proved) proved.set(item.desired.resource.module, (proved.get(item.desired.resource.module) ?? 0) + 1);
    }
    // The plan script's CPU on the gateway: run it in a child shell, then `times` (children's user and sys).
    const rec: string[] = [];
    await planHost({ host: t.host, roundTrips: 0, run: (sc) => (rec.push(sc.text), t.run(sc)), close: async () => undefined }, desired);
    const cpus: number[] = [];
    const planForks: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.run(
        raw(`p0=$(cut -d' ' -f5 /proc/loadavg)\n/bin/sh -s >/dev/null 2>&1 <<'FLEET_BENCH_EOF'\n${rec[0]}\nFLEET_BENCH_EOF\np1=$(cut -d' ' -f5 /proc/loadavg)\necho "FORKS $((p1 - p0 - 2))"\ntimes\n`),
      );
      const forks = /^FORKS (\d+)$/m.exec(res.stdout);
      if (forks) planForks.push(Number(forks[1]));
      const last = res.stdout.trim().split('\n').pop() ?? '';
      const secs = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      if (secs.length === 2) cpus.push((secs[0]! + secs[1]!) * 1000);
    }
    const trues: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await t.run(raw('true'));
      trues.push(performance.now() - t0);
    }
    console.log(`one ${bare ? 'bare (no openvpn)' : 'full'} gateway, ${desired.length} resources, converged; medians of 5`);
    console.log(`plan script round trip ${median(plans).toFixed(0)} ms; empty round trip ${median(trues).toFixed(0)} ms; sum of the checks alone ${totalMs.toFixed(0)} ms, ${totalForks} processes`);
    console.log(`plan script CPU on the gateway ${median(cpus).toFixed(0)} ms (user+sys of the script and its children), ${median(planForks)} processes`);
    console.log('each check run alone (the plan proves most of them from the facts it gathers once instead):');
    console.log('module                 n  proved   ms  processes');
    for (const [k, v] of [...byModule.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
      console.log(`${k.padEnd(20)} ${String(v.n).padStart(3)} ${String(proved.get(k) ?? 0).padStart(7)} ${v.ms.toFixed(0).padStart(4)} ${String(v.forks).padStart(10)}`);
    }
  } finally {
    await t.close();
  }
} finally {
  await labDown({ log: () => undefined });
}
