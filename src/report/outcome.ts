/** What a host's deploy result amounts to: its label and its resource counts (recap, --json, live view). */
import type { HostResult, HostStatus } from '../engine/fleet.js';
import type { Color } from './format.js';

export const statusColor: Record<HostStatus, Color> = { ok: 'green', changed: 'yellow', failed: 'red', unreachable: 'magenta', skipped: 'gray' };

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

/** A host's error without its leading `host: ` (TransportError and most engine errors start so), for lines that name the host already. */
export function withoutHost(host: string, text: string): string {
  return text.startsWith(`${host}: `) ? text.slice(host.length + 2) : text;
}
