/**
 * Rollback on demand. Three kinds:
 *  - last:     finish undoing an unfinished run (a lost connection, a killed controller);
 *  - previous: undo the newest successful deploy from its journal (back to the state before it);
 *  - teardown: the full wg0-down: every managed resource's undo, in reverse role order, each
 *              guarded by its own check, so a partly deployed or already clean host succeeds.
 * Each is one round trip and holds the host's lock.
 */
import type { DesiredResource } from '../roles/tasks.js';
import type { Transport } from '../transport/types.js';
import { journalFacts, lockError, parseKeyValues } from './journal.js';
import { hasMarker, markerOf, markersOf, newToken, parseMarkers, type Marker } from './protocol/markers.js';
import { revertRunScript, teardownScript, type RunMeta, type ScriptContext } from './script.js';

export interface RevertOutcome {
  kind: 'last' | 'previous' | 'teardown';
  /** The run undone (last/previous). */
  run?: string;
  /** Nothing to do: no run, or the newest run is not in the state this kind undoes. */
  notApplicable?: string;
  ok: boolean;
  undone: number;
  /** Steps left as deployed: their secret backups were purged once the run was confirmed. */
  kept?: string[];
  /** --break-lock broke this dead owner's lock (its owner record). */
  brokeLock?: Record<string, string>;
  failures: { step: string; output: string }[];
}

function throwIfLocked(host: string, markers: Marker[], opts: { breakLock?: boolean }): void {
  const lock = journalFacts(markers).lock;
  if (lock) throw lockError(host, lock, opts);
}

function brokeLock(markers: Marker[]): Pick<RevertOutcome, 'brokeLock'> {
  const m = markerOf(markers, 'brokelock');
  return m ? { brokeLock: parseKeyValues(m.owner) } : {};
}

export async function revertRun(t: Transport, which: 'last' | 'previous', meta: RunMeta, ctx: Omit<ScriptContext, 'token'> = {}, opts: { breakLock?: boolean } = {}): Promise<RevertOutcome> {
  const token = newToken();
  const res = await t.run(revertRunScript({ ...ctx, token }, meta, which, opts));
  const markers = parseMarkers(token, res.stdout);
  throwIfLocked(t.host, markers, opts);
  const out: RevertOutcome = { kind: which, ok: false, undone: 0, failures: [], ...brokeLock(markers) };
  if (hasMarker(markers, 'norun')) out.notApplicable = 'the host has no journal (never deployed by fleet)';
  const na = markerOf(markers, 'notapplicable');
  if (na)
    out.notApplicable =
      which === 'last'
        ? `the newest run ${na.run} is ${na.status}, not unfinished: nothing to finish (use --previous to undo it)`
        : `the newest run ${na.run} is ${na.status}, not a completed deploy`;
  out.run = markerOf(markers, 'reverting')?.run;
  out.undone = markersOf(markers, 'reverted').length;
  out.failures = markersOf(markers, 'revertfail');
  const kept = markersOf(markers, 'kept').map((k) => k.step);
  if (kept.length) out.kept = kept;
  out.ok = markerOf(markers, 'rolledback')?.result === 'ok';
  if (out.notApplicable) out.ok = true;
  return out;
}

export async function teardown(t: Transport, desired: DesiredResource[], meta: RunMeta, ctx: Omit<ScriptContext, 'token'> = {}, opts: { breakLock?: boolean } = {}): Promise<RevertOutcome> {
  const token = newToken();
  const res = await t.run(teardownScript({ ...ctx, token }, meta, desired.map((d) => d.resource), opts));
  const markers = parseMarkers(token, res.stdout);
  throwIfLocked(t.host, markers, opts);
  const out: RevertOutcome = { kind: 'teardown', ok: hasMarker(markers, 'complete'), undone: 0, failures: [], ...brokeLock(markers) };
  for (const u of markersOf(markers, 'undo')) {
    if (u.result === 'ok') out.undone++;
    else out.failures.push({ step: (u.index === undefined ? 'a resource an earlier deploy applied' : desired[u.index]?.resource.id) ?? String(u.index), output: u.output });
  }
  return out;
}
