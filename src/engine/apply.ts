/**
 * Apply: ONE round trip that journals and applies the planned changes in order, verifies each,
 * and on the first failure reverts every started step in reverse (the host returns to its
 * pre-deploy state). Progress markers stream back as the steps run.
 */
import { InternalError, RemoteCommandError, TransportError } from '../errors.js';
import type { VaultedValue } from '../inventory/vaulted.js';
import type { Transport } from '../transport/types.js';
import { recordApplied } from './applied.js';
import { journalFacts, lockError, parseKeyValues } from './journal.js';
import { applySteps, changes, type HostPlan, type PlanItem } from './plan.js';
import { watchdogArm } from './watchdog.js';
import { fieldsOf, hasMarker, markerOf, MarkerStream, newToken, type Marker } from './protocol/markers.js';
import { applyScript, type RunMeta, type ScriptContext } from './script.js';

export type StepOutcome = 'ok' | 'skip' | 'fail' | 'pending';

export interface StepResult {
  item: PlanItem;
  outcome: StepOutcome;
}

/** The phases a step can fail in (the fail marker's phase). */
export const STEP_PHASES = ['apply', 'verify', 'probe'] as const;

export interface StepFailure {
  index: number;
  id: string;
  /** apply: the apply exited non-zero; verify: it ran but the check still fails; probe: the check broke. */
  phase: (typeof STEP_PHASES)[number];
  exitCode: number;
  output: string;
  /** The failure as an error (its message names host, step and exit; its output's tail). Absent in merged --json documents. */
  error?: RemoteCommandError;
}

export interface ApplyOutcome {
  runId: string;
  steps: StepResult[];
  failure?: StepFailure;
  /** 'ok': every started step reverted; 'failed': some revert failed (see revertFailures). */
  rollback?: 'ok' | 'failed';
  revertFailures: { step: string; output: string }[];
  /** The run armed a confirmed-deploy watchdog (watchdog.ts) that fleet must confirm. */
  watchdogArmed?: boolean;
  /** Set when the run never started because the host holds an unfinished run. */
  unfinished?: { run: string; status: string };
  /** --break-lock broke this dead owner's lock (its owner record). */
  brokeLock?: Record<string, string>;
}

export interface ApplyOptions {
  breakLock?: boolean;
  /** Test-only fault injection (FLEET_TEST_FAIL_STEP): resource id or 1-based position among changes. */
  failStep?: string;
  /** Test-only (FLEET_TEST_PAUSE_STEP=<step>:<seconds>): sleep before that step's apply. */
  pauseStep?: string;
  onStep?: (step: StepResult) => void;
  /** Arm a commit-confirmed watchdog in this same round trip (watchdog.ts). */
  watchdog?: { timeoutS: number };
  /** Called when the script reports the watchdog armed (before the run completes). */
  onArmed?: () => void;
  /** The host's vaulted values, kept out of its journal (journal/vaulted-steps.ts). */
  vaulted?: readonly VaultedValue[];
}

export async function applyHost(t: Transport, plan: HostPlan, meta: RunMeta, ctx: Omit<ScriptContext, 'token'> = {}, opts: ApplyOptions = {}): Promise<ApplyOutcome> {
  const todo = applySteps(plan);
  const steps: StepResult[] = todo.map((item) => ({ item, outcome: 'pending' }));
  const byIndex = new Map(steps.map((s) => [s.item.index, s]));
  const token = newToken();
  // Fault injection counts the changes (a step only re-checked is not one).
  const positions = new Map(changes(plan).map((item, n) => [item.index, String(n + 1)]));
  const script = applyScript(
    { ...ctx, token },
    meta,
    todo.map((item) => {
      const matches = (step: string | undefined) => step !== undefined && (step === item.desired.resource.id || step === positions.get(item.index));
      const [pauseAt, pauseFor] = (opts.pauseStep ?? '').split(/:(?=\d+$)/);
      return {
        index: item.index,
        resource: item.desired.resource,
        injectFailure: matches(opts.failStep),
        pauseSeconds: matches(pauseAt || undefined) ? Number(pauseFor ?? 30) : undefined,
      };
    }),
    {
      breakLock: opts.breakLock,
      watchdog: opts.watchdog ? watchdogArm({ ...ctx, token }, meta.runId, opts.watchdog.timeoutS) : undefined,
      record: plan.prune ? recordApplied(plan.items.map((i) => i.desired), plan.prune, plan.recorded ?? new Map(), plan.items.length, opts.vaulted) : undefined,
      vaulted: opts.vaulted,
    },
  );
  let armed = false;
  const stream = new MarkerStream(token, (m) => {
    if (m.kind === 'armed' && !armed) {
      armed = true;
      opts.onArmed?.();
    }
    if (m.kind !== 'step') return;
    const step = fieldsOf('step', m);
    const s = step.index === undefined ? undefined : byIndex.get(step.index);
    if (s) {
      s.outcome = step.outcome === 'skip' ? 'skip' : 'ok';
      opts.onStep?.(s);
    }
  });
  const res = await t.run(script, { onStdout: (chunk) => stream.push(chunk) });
  const markers = stream.end(res.stdout);
  const outcome: ApplyOutcome = { runId: meta.runId, steps, revertFailures: [], watchdogArmed: armed };
  const lock = journalFacts(markers).lock;
  if (lock) throw lockError(t.host, lock, opts);
  const broke = markerOf(markers, 'brokelock');
  if (broke) outcome.brokeLock = parseKeyValues(broke.owner);
  const unfinished = markerOf(markers, 'unfinished');
  if (unfinished) {
    outcome.unfinished = unfinished;
    return outcome;
  }
  collectFailure(t.host, markers, outcome, byIndex);
  if (!outcome.failure && !hasMarker(markers, 'complete')) {
    const err = markerOf(markers, 'error');
    if (!err && (hasMarker(markers, 'step') || hasMarker(markers, 'pause')) && res.code !== 0) {
      throw new TransportError(t.host, 'closed', `the connection was lost mid-apply (run ${meta.runId}); the host keeps the journal of how far it got`, {
        hint: `run 'fleet rollback ${t.host} --last' to undo it, then deploy again`,
      });
    }
    throw new InternalError(
      `${t.host}: the apply script ended without completing (exit ${res.code})${err ? `: ${err.message}` : ''}: ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  return outcome;
}

function collectFailure(host: string, markers: Marker[], outcome: ApplyOutcome, byIndex: Map<number, StepResult>): void {
  for (const m of markers) {
    if (m.kind === 'fail') {
      const f = fieldsOf('fail', m);
      const index = f.index ?? -1;
      const s = byIndex.get(index);
      if (s) s.outcome = 'fail';
      const id = s?.item.desired.resource.id ?? String(index);
      const phase = (STEP_PHASES as readonly string[]).includes(f.phase) ? (f.phase as StepFailure['phase']) : 'apply';
      const exitCode = f.code ?? Number.NaN;
      const error = new RemoteCommandError(host, id, `${phase}: ${s?.item.desired.resource.title ?? id}`, exitCode, f.output);
      outcome.failure = { index, id, phase, exitCode, output: f.output, error };
    }
    if (m.kind === 'revertfail') outcome.revertFailures.push(fieldsOf('revertfail', m));
    if (m.kind === 'rolledback') outcome.rollback = fieldsOf('rolledback', m).result === 'ok' ? 'ok' : 'failed';
  }
}
