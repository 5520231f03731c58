/** The end-of-run recap: one row per host, then the failures with their reason. */
import type { HostResult } from '../engine/fleet.js';
import { color, seconds, table } from './format.js';

const statusColor = { ok: 'green', changed: 'yellow', failed: 'red', unreachable: 'magenta', skipped: 'gray' } as const;

export function hostCounts(r: HostResult): { ok: number; changed: number; failed: number } {
  const planned = r.plan?.items ?? [];
  const applied = r.apply?.steps ?? [];
  const changed = r.apply ? (r.apply.failure ? 0 : applied.filter((s) => s.outcome === 'ok').length) : planned.filter((i) => i.state === 'change').length;
  const failed = r.apply?.failure ? 1 : planned.filter((i) => i.state === 'error').length;
  return { ok: planned.length - changed - failed, changed, failed };
}

export function statusLabel(r: HostResult, check: boolean): string {
  if (r.confirm?.result === 'lost-access') return 'lost access: reverting';
  if (r.status === 'failed' && r.apply?.failure) return r.apply.rollback === 'ok' ? 'failed, rolled back' : 'failed, ROLLBACK INCOMPLETE';
  if (check && r.status === 'changed') return 'would change';
  return r.status;
}

export function recap(results: HostResult[], opts: { check?: boolean } = {}): string {
  const rows = results.map((r) => {
    const c = hostCounts(r);
    const label = statusLabel(r, !!opts.check);
    return [r.host, color(statusColor[r.status], label), String(c.ok), String(c.changed), String(c.failed), String(r.roundTrips), seconds(r.seconds)];
  });
  const out = [table(['HOST', 'STATUS', 'OK', opts.check ? 'TO CHANGE' : 'CHANGED', 'FAILED', 'TRIPS', 'TIME'], rows)];
  for (const r of results) {
    const f = r.apply?.failure;
    if (f) {
      out.push(`\n${color('red', `${r.host}: step ${f.id} failed`)} (${f.phase}, exit ${f.exitCode})`);
      if (f.output.trim()) out.push(f.output.trim().split('\n').slice(-8).map((l) => `    ${l}`).join('\n'));
      out.push(r.apply!.rollback === 'ok' ? `  rolled back: ${r.host} is back in its pre-deploy state` : `  ROLLBACK INCOMPLETE: ${r.apply!.revertFailures.map((x) => x.step).join(', ')}; run 'fleet rollback ${r.host} --last'`);
    } else if (r.error) {
      out.push(`\n${color(statusColor[r.status], `${r.host}: ${r.error.short()}`)}`);
      if (r.error.hint) out.push(`  hint: ${r.error.hint}`);
    }
  }
  const n = (s: string) => results.filter((r) => r.status === s).length;
  out.push(`\n${results.length} host(s): ${n('ok')} ok, ${n('changed')} ${opts.check ? 'would change' : 'changed'}, ${n('failed')} failed, ${n('unreachable')} unreachable${n('skipped') ? `, ${n('skipped')} skipped` : ''}`);
  return out.join('\n');
}
