/**
 * `fleet deploy --serial`: the deploy in batches (engine/batches.ts), each batch gated by the
 * status of its hosts (engine/status-fleet.ts); with --verify the batch's proofs are part of it.
 */
import { runInBatches, splitBatches, type GateVerdict } from '../engine/batches.js';
import { withEachHost, type DeployOptions, type HostResult } from '../engine/fleet.js';
import { gateVerdict, statusFleet } from '../engine/status-fleet.js';
import type { Host } from '../inventory/index.js';
import type { SerialJson } from '../report/json.js';
import type { Progress } from '../report/live.js';
import type { DesiredResource } from '../roles/tasks.js';
import { raw } from '../shell/sh.js';
import type { SerialArg } from './rolling-args.js';

export interface RollingContext {
  desired: Map<string, DesiredResource[]>;
  deployOpts: DeployOptions;
  deployAndVerify: (batch: Host[]) => Promise<HostResult[]>;
  progress: Progress;
  check: boolean;
}

/**
 * Test-only (the lab's gate test; deliberately not in --help): a shell command run on each host of
 * the first batch just before its gate, to make drift the gate must catch.
 */
async function beforeGateHook(hosts: Host[], batch: number, opts: DeployOptions): Promise<void> {
  const cmd = process.env.FLEET_TEST_BEFORE_GATE;
  if (!cmd || batch !== 1) return;
  await withEachHost(hosts, opts, async (_h, t) => void (await t.run(raw(cmd))), () => undefined);
}

async function healthGate(hosts: Host[], batch: number, ctx: RollingContext): Promise<GateVerdict[]> {
  await beforeGateHook(hosts, batch, ctx.deployOpts);
  const reports = await statusFleet(hosts, ctx.desired, { forks: ctx.deployOpts.forks, ssh: ctx.deployOpts.ssh, prune: ctx.deployOpts.roles });
  return reports.map(gateVerdict);
}

export async function rollingDeploy(hosts: Host[], serial: SerialArg, ctx: RollingContext): Promise<{ results: HostResult[]; serial: SerialJson }> {
  const batches = splitBatches(hosts, serial.steps);
  const run = await runInBatches(
    batches,
    { failFast: ctx.deployOpts.failFast, maxFailPercent: ctx.deployOpts.maxFailPercent, skipGate: ctx.check, failsGate: (r) => r.error?.code === 'VERIFY_FAILED' },
    {
      run: (batch, index) => {
        ctx.progress.onEvent({ kind: 'batch', index, count: batches.length, hosts: batch.map((h) => h.name) });
        return ctx.deployAndVerify(batch);
      },
      gate: (batch, index) => healthGate(batch, index, ctx),
      onSkipped: (skipped) => {
        for (const r of skipped) ctx.progress.onEvent({ kind: 'result', host: r.host, result: r });
      },
    },
  );
  return { results: run.results, serial: { spec: serial.spec, batches: run.batches, stopped: run.stopped } };
}
