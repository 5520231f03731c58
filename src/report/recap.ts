/** The end-of-run recap: one row per host, then the failures with their reason. */
import type { HostResult } from '../engine/fleet.js';
import { formatLocation } from '../errors.js';
import { color, seconds, table } from './format.js';
import { hostJson, type ErrorJson, type HostJson } from './json.js';
import { statusColor, withoutHost } from './outcome.js';

export { hostCounts, statusLabel } from './outcome.js';

/** FleetError.short() of an error as --json carries it (an inventory error names its own locations). */
export function errorLine(e: ErrorJson): string {
  return e.location && e.code !== 'INVENTORY_INVALID' ? `${formatLocation(e.location)}: ${e.message}` : e.message;
}

export function recap(results: HostResult[], opts: { check?: boolean } = {}): string {
  return recapOf(results.map((r) => hostJson(r, !!opts.check)), opts);
}

/** The recap of deploy --json host entries: a run's own, or several shards' merged. */
export function recapOf(hosts: readonly HostJson[], opts: { check?: boolean } = {}): string {
  const rows = hosts.map((r) => [r.host, color(statusColor[r.status], r.label), String(r.ok), String(r.changed), String(r.failed), String(r.roundTrips), seconds(r.seconds)]);
  const out = [table(['HOST', 'STATUS', 'OK', opts.check ? 'TO CHANGE' : 'CHANGED', 'FAILED', 'TRIPS', 'TIME'], rows)];
  for (const r of hosts) {
    const f = r.failure;
    if (f) {
      out.push(`\n${color('red', `${r.host}: step ${f.id} failed`)} (${f.phase}, exit ${f.exitCode})`);
      if (f.output.trim()) out.push(f.output.trim().split('\n').slice(-8).map((l) => `    ${l}`).join('\n'));
      out.push(r.rollback === 'ok' ? `  rolled back: ${r.host} is back in its pre-deploy state` : `  ROLLBACK INCOMPLETE: ${(r.revertFailures ?? []).map((x) => x.step).join(', ')}; run 'fleet rollback ${r.host} --last'`);
    } else if (r.error) {
      out.push(`\n${color(statusColor[r.status], `${r.host}: ${withoutHost(r.host, errorLine(r.error))}`)}`);
      if (r.error.hint) out.push(`  hint: ${r.error.hint}`);
    }
  }
  const n = (s: string) => hosts.filter((r) => r.status === s).length;
  out.push(`\n${hosts.length} host(s): ${n('ok')} ok, ${n('changed')} ${opts.check ? 'would change' : 'changed'}, ${n('failed')} failed, ${n('unreachable')} unreachable${n('skipped') ? `, ${n('skipped')} skipped` : ''}`);
  return out.join('\n');
}
