/**
 * What fleet applied on a host, and what of it a run no longer wants. Every completed deploy
 * records, for each role it ran, the removal of each resource it holds there (removal.ts) in
 * $J/applied/<role> (journal/applied.sh); a revert of the run puts the record back as it was. The
 * next plan reads the record in the same round trip: a recorded resource of a role the run covers
 * that no desired resource names is a removal, shown and applied like any step.
 */
import { createHash } from 'node:crypto';
import { ProbeError } from '../errors.js';
import type { VaultedValue } from '../inventory/vaulted.js';
import { ROLE_ORDER, type RoleName } from '../roles/order.js';
import type { DesiredResource } from '../roles/tasks.js';
import { raw, sh, Shell } from '../shell/sh.js';
import type { PlanItem } from './plan.js';
import { markersOf, type Marker } from './protocol/markers.js';
import { carriedVaulted } from './journal/vaulted-steps.js';
import { removalFragments, removalResource } from './removal.js';

/** Why a recorded resource is removed. */
export const NO_LONGER_WANTED = 'applied by an earlier deploy, no longer wanted';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64') || '-';

/**
 * The record line of a desired resource, or undefined when a deploy would never remove it (one
 * that carries a vaulted value is never recorded: the record is fleet's state, journal/vaulted-steps.ts).
 */
export function appliedLine(d: DesiredResource, vaulted: readonly VaultedValue[] = []): string | undefined {
  if (d.removal !== undefined) return undefined;
  if (carriedVaulted(d.resource, vaulted).length) return undefined;
  const f = removalFragments(d.resource);
  if (!f) return undefined;
  const r = d.resource;
  const flags = `${r.secret ? 's' : '-'}${r.reachability ? 'r' : '-'}`;
  return [b64(r.id), b64(d.task), b64(r.title), flags, b64(f.check.text), b64(f.apply.text), b64(f.revert.text)].join(' ');
}

/**
 * The apply's last act: the record of each role the run covers, from its desired resources (a role
 * with none loses its record). `failStep` is the index a failure to write it reports, after which
 * the run is reverted like any failed step.
 */
export function recordApplied(
  desired: readonly DesiredResource[],
  roles: readonly RoleName[],
  recorded: ReadonlyMap<string, string>,
  failStep: number,
  vaulted: readonly VaultedValue[] = [],
): Shell {
  const lines = new Map<string, string[]>();
  for (const d of desired) {
    const line = appliedLine(d, vaulted);
    if (line) lines.set(d.role, [...(lines.get(d.role) ?? []), line]);
  }
  const writes = roles.flatMap((role) => {
    const mine = lines.get(role);
    const digest = mine && recordDigest(mine);
    // The host holds this record already: no need to send it again.
    if (digest === recorded.get(role)) return [];
    const old = sh`"$J/applied/"${role}@*`;
    if (!mine) return [sh`rm -f ${old}`];
    return [sh`printf '%s\\n' ${mine} > "$J/applied/.new" && rm -f ${old} && mv -f "$J/applied/.new" "$J/applied/"${`${role}@${digest}`}`];
  });
  const fail = `{ echo 'cannot record what fleet applied in $J/applied' > "$RUN/applied.err"; fleet_fail ${failStep} apply 1 "$RUN/applied.err"; }`;
  return Shell.join([raw(`fleet_applied_begin || ${fail}`), Shell.join(writes, ' &&\n'), raw(`[ $? -eq 0 ] || ${fail}`)]);
}

function recordDigest(lines: readonly string[]): string {
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/** The plan's read of the record: every recorded, no longer desired resource's removal check. */
export function removalProbe(desired: readonly DesiredResource[], roles: readonly RoleName[]): Shell {
  return sh`fleet_removals ${roles.join(' ')} ${desired.map((d) => b64(d.resource.id)).join(' ')}`;
}

export interface FoundRemovals {
  /** Roles the host holds a record of, and each record's digest. */
  recorded: Map<string, string>;
  /** The removals still to do (and any whose check broke), numbered from `first`. */
  items: PlanItem[];
}

export function parseRemovals(host: string, markers: Marker[], first: number): FoundRemovals {
  const recorded = new Map(markersOf(markers, 'applied').map((m) => [m.role, m.digest]));
  const items: PlanItem[] = [];
  for (const m of markersOf(markers, 'removal')) {
    if (m.code === 0) continue;
    const resource = removalResource(
      { id: m.id, module: m.id.split(':')[0] ?? '', title: m.title, secret: m.flags[0] === 's', reachability: m.flags[1] === 'r' },
      { check: raw(m.check), apply: raw(m.apply), revert: raw(m.revert) },
    );
    const item: PlanItem = {
      index: first + items.length,
      desired: { role: m.role, task: m.task, resource, removal: NO_LONGER_WANTED },
      state: m.code === 1 ? 'change' : 'error',
      current: resource.secret ? '' : m.output,
      because: NO_LONGER_WANTED,
    };
    if (item.state === 'error') {
      item.error = new ProbeError(`${host} ${m.id}: the check for its removal exited ${m.code ?? '?'}: ${m.stderr.trim() || 'no output'}`, {
        hint: 'the probe itself failed (not "absent"): is the tool installed and the host healthy?',
      });
    }
    items.push(item);
  }
  return { recorded, items };
}

/**
 * Where removals run. A role's removals follow its own desired steps (a changed kill switch is
 * added before the old one goes), in reverse of the order they were applied (a daemon stops before
 * its config goes). A role the host no longer uses at all is removed before a role it starts using
 * runs (one provider's upstream goes before the other's comes up), or at its own place when that
 * comes first.
 */
export function orderWithRemovals(items: readonly PlanItem[], found: FoundRemovals, order: readonly RoleName[] = ROLE_ORDER): PlanItem[] {
  const used = new Set(items.filter((i) => i.desired.removal === undefined).map((i) => i.desired.role));
  const pending = new Map<string, PlanItem[]>();
  for (const r of found.items) pending.set(r.desired.role, [r, ...(pending.get(r.desired.role) ?? [])]);
  const out: PlanItem[] = [];
  const flush = (role: string): void => {
    out.push(...(pending.get(role) ?? []));
    pending.delete(role);
  };
  const roles = [...order, ...[...pending.keys()].filter((r) => !order.includes(r))];
  for (const role of roles) {
    if (used.has(role) && !found.recorded.has(role) && found.recorded.size > 0) {
      for (const gone of roles) if (!used.has(gone)) flush(gone);
    }
    out.push(...items.filter((i) => i.desired.role === role));
    flush(role);
  }
  return out;
}
