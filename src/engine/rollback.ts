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
import { journalFacts, lockError } from './journal.js';
import { decodeField, newToken, parseMarkers, revertRunScript, teardownScript, type RunMeta, type ScriptContext } from './script.js';

export interface RevertOutcome {
  kind: 'last' | 'previous' | 'teardown';
  /** The run undone (last/previous). */
  run?: string;
  /** Nothing to do: no run, or the newest run is not in the state this kind undoes. */
  notApplicable?: string;
  ok: boolean;
  undone: number;
  failures: { step: string; output: string }[];
}

function throwIfLocked(host: string, markers: ReturnType<typeof parseMarkers>): void {
  const lock = journalFacts(markers).lock;
  if (lock) throw lockError(host, lock);
}

export async function revertRun(t: Transport, which: 'last' | 'previous', meta: RunMeta, ctx: Omit<ScriptContext, 'token'> = {}, opts: { breakLock?: boolean } = {}): Promise<RevertOutcome> {
  const token = newToken();
  const res = await t.run(revertRunScript({ ...ctx, token }, meta, which, opts));
  const markers = parseMarkers(token, res.stdout);
  throwIfLocked(t.host, markers);
  const out: RevertOutcome = { kind: which, ok: false, undone: 0, failures: [] };
  for (const m of markers) {
    if (m.kind === 'norun') out.notApplicable = 'the host has no journal (never deployed by fleet)';
    if (m.kind === 'notapplicable')
      out.notApplicable =
        which === 'last'
          ? `the newest run ${m.fields[0]} is ${m.fields[1]}, not unfinished: nothing to finish (use --previous to undo it)`
          : `the newest run ${m.fields[0]} is ${m.fields[1]}, not a completed deploy`;
    if (m.kind === 'reverting') out.run = m.fields[0];
    if (m.kind === 'reverted') out.undone++;
    if (m.kind === 'revertfail') out.failures.push({ step: m.fields[0] ?? '?', output: decodeField(m.fields[1]) });
    if (m.kind === 'rolledback') out.ok = m.fields[0] === 'ok';
  }
  if (out.notApplicable) out.ok = true;
  return out;
}

export async function teardown(t: Transport, desired: DesiredResource[], meta: RunMeta, ctx: Omit<ScriptContext, 'token'> = {}, opts: { breakLock?: boolean } = {}): Promise<RevertOutcome> {
  const token = newToken();
  const res = await t.run(teardownScript({ ...ctx, token }, meta, desired.map((d) => d.resource), opts));
  const markers = parseMarkers(token, res.stdout);
  throwIfLocked(t.host, markers);
  const out: RevertOutcome = { kind: 'teardown', ok: markers.some((m) => m.kind === 'complete'), undone: 0, failures: [] };
  for (const m of markers.filter((x) => x.kind === 'undo')) {
    const d = desired[Number(m.fields[0])];
    if (m.fields[1] === 'ok') out.undone++;
    else out.failures.push({ step: d?.resource.id ?? String(m.fields[0]), output: decodeField(m.fields[2]) });
  }
  return out;
}
