/** --json: one machine-readable document per run. Secrets never appear (resources carry none). */
import type { HostResult } from '../engine/fleet.js';
import { hostCounts, statusLabel } from './recap.js';

export function hostJson(r: HostResult, check: boolean): Record<string, unknown> {
  return {
    host: r.host,
    status: r.status,
    label: statusLabel(r, check),
    ...hostCounts(r),
    roundTrips: r.roundTrips,
    seconds: Number(r.seconds.toFixed(3)),
    error: r.error?.toJSON(),
    journal: r.plan?.facts,
    resources: r.plan?.items.map((i) => {
      const step = r.apply?.steps.find((s) => s.item.index === i.index);
      return {
        id: i.desired.resource.id,
        role: i.desired.role,
        task: i.desired.task,
        planned: i.state,
        because: i.because,
        applied: step?.outcome,
        error: i.error?.message,
      };
    }),
    failure: r.apply?.failure,
    rollback: r.apply?.rollback,
    revertFailures: r.apply?.revertFailures,
    runId: r.apply?.runId,
    confirm: r.confirm,
  };
}

export function fleetJson(command: string, results: HostResult[], opts: { check?: boolean; seconds: number }): string {
  const count = (s: string) => results.filter((r) => r.status === s).length;
  return JSON.stringify(
    {
      command,
      check: !!opts.check,
      seconds: Number(opts.seconds.toFixed(3)),
      summary: { hosts: results.length, ok: count('ok'), changed: count('changed'), failed: count('failed'), unreachable: count('unreachable'), skipped: count('skipped') },
      hosts: results.map((r) => hostJson(r, !!opts.check)),
    },
    null,
    2,
  );
}
