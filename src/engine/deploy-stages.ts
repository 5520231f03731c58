/**
 * One host's deploy in plain stages, each given the host's open connection (the caller,
 * deployFleet, owns it):
 *
 *   preflight  plan, then the gates: a probe error, a live lock, an unfinished run, an armed
 *              watchdog of an earlier run; --check and a converged host stop here;
 *   apply      the one round trip that journals, applies and verifies (in-script rollback);
 *   confirm    commit-confirmed: a NEW connection proves the host is reachable through the new
 *              rules and disarms the watchdog, or fleet waits out the watchdog's revert.
 */
import { AwaitingConfirmationError, FleetError, TransportError, UnfinishedRunError } from '../errors.js';
import type { Host } from '../inventory/index.js';
import { vaultedValues } from '../inventory/vaulted.js';
import type { DesiredResource } from '../roles/tasks.js';
import type { Transport } from '../transport/types.js';
import { applyHost, type ApplyOutcome } from './apply.js';
import type { DeployOptions, HostResult } from './fleet.js';
import { isUnfinished, lockError } from './journal.js';
import { changes, planHost, type HostPlan } from './plan.js';
import type { RunMeta } from './script.js';
import { awaitWatchdog, confirmRun, lostAccessError, needsWatchdog } from './watchdog.js';

/** What every stage of one host's deploy works with. */
export interface HostRun {
  host: Host;
  /** The host's connection, opened and closed by the caller. */
  t: Transport;
  started: number;
  meta: RunMeta;
  opts: DeployOptions;
  /** Opens a further connection to a host (the confirm's, the reconnect after lost access). */
  connect: (host: Host) => Promise<Transport>;
}

type Outcome = Omit<HostResult, 'host' | 'roundTrips' | 'seconds'>;

export function hostResult(run: HostRun, r: Outcome): HostResult {
  return { host: run.host.name, roundTrips: run.t.roundTrips, seconds: (performance.now() - run.started) / 1000, ...r };
}

function watchdogNote(plan: HostPlan, run: string): string {
  const w = plan.facts.watchdogs?.find((x) => x.run === run && x.state === 'armed' && x.process === 'live');
  return w ? `; its watchdog reverts it${w.deadline ? ` at ${new Date(w.deadline * 1000).toISOString()}` : ' once the apply stops'}` : '';
}

/** Why the plan must not be applied (the first gate that stops it), or undefined. */
export function gateError(host: string, plan: HostPlan, opts: { breakLock?: boolean } = {}): FleetError | undefined {
  const probeError = plan.items.find((i) => i.error)?.error;
  if (probeError) return probeError;
  if (plan.facts.lock?.state === 'live') return lockError(host, plan.facts.lock, opts);
  if (isUnfinished(plan.facts)) {
    const l = plan.facts.latest!;
    return new UnfinishedRunError(`${host}: run ${l.run} is unfinished (${l.status}): the host may be half-configured${watchdogNote(plan, l.run)}`, {
      hint: `run 'fleet rollback ${host} --last' to undo it, then deploy again`,
    });
  }
  const armed = plan.facts.watchdogs?.find((w) => w.state === 'armed' && w.process === 'live');
  if (armed) {
    return new AwaitingConfirmationError(`${host}: run ${armed.run} awaits confirmation: its watchdog reverts it${armed.deadline ? ` at ${new Date(armed.deadline * 1000).toISOString()}` : ''}`, {
      hint: 'a controller lost access or was killed after that deploy; deploy again once the watchdog has fired (fleet status shows it)',
    });
  }
  return undefined;
}

/** Plan and gates: the plan to apply, or the host's result when it stops here. */
export async function preflight(run: HostRun, desired: DesiredResource[]): Promise<{ plan: HostPlan; stop?: HostResult }> {
  const { host, opts } = run;
  opts.onEvent?.({ kind: 'phase', host: host.name, phase: 'planning' });
  const plan = await planHost(run.t, desired, opts.scriptContext, undefined, { prune: opts.roles });
  opts.onEvent?.({ kind: 'planned', host: host.name, plan });
  const error = gateError(host.name, plan, opts);
  if (error) return { plan, stop: hostResult(run, { status: 'failed', plan, error }) };
  const todo = changes(plan);
  if (opts.check || todo.length === 0) return { plan, stop: hostResult(run, { status: opts.check && todo.length ? 'changed' : 'ok', plan }) };
  return { plan };
}

/** Seconds the watchdog waits for the confirm, when this plan needs one. */
export function confirmSeconds(plan: HostPlan, opts: DeployOptions): number | undefined {
  return opts.confirmTimeout && needsWatchdog(changes(plan)) ? opts.confirmTimeout : undefined;
}

/** The apply round trip (arming the watchdog first when `guardS` is set). */
export async function applyStage(run: HostRun, plan: HostPlan, guardS: number | undefined): Promise<ApplyOutcome> {
  const { host, opts } = run;
  opts.onEvent?.({ kind: 'phase', host: host.name, phase: 'applying' });
  let armedNow = false;
  try {
    return await applyHost(run.t, plan, run.meta, opts.scriptContext, {
      breakLock: opts.breakLock,
      failStep: opts.faults?.failStep,
      pauseStep: opts.faults?.pauseStep,
      onStep: (step) => opts.onEvent?.({ kind: 'step', host: host.name, step }),
      watchdog: guardS ? { timeoutS: guardS } : undefined,
      vaulted: vaultedValues(host.vars),
      onArmed: () => {
        armedNow = true;
      },
    });
  } catch (err) {
    // The connection died mid-apply after the watchdog was armed: the host keeps the journal
    // (rollback --last finishes it from any controller) and the watchdog reverts it if nobody does.
    if (guardS && armedNow && err instanceof TransportError) {
      err.message += `; its watchdog reverts it ${guardS}s after the apply stops unless 'fleet rollback ${host.name} --last' does first`;
    }
    throw err;
  }
}

/** The host's result from a finished apply (no confirm needed, or before it). */
export function appliedResult(run: HostRun, plan: HostPlan, apply: ApplyOutcome): HostResult {
  if (apply.unfinished) {
    return hostResult(run, {
      status: 'failed',
      plan,
      apply,
      error: new UnfinishedRunError(`${run.host.name}: run ${apply.unfinished.run} is unfinished (${apply.unfinished.status})`, {
        hint: `run 'fleet rollback ${run.host.name} --last' first`,
      }),
    });
  }
  if (apply.failure) return hostResult(run, { status: 'failed', plan, apply, error: apply.failure.error });
  return hostResult(run, { status: apply.steps.some((s) => s.outcome === 'ok') ? 'changed' : 'ok', plan, apply });
}

/** After access was lost: wait out the watchdog, come back, and say what came back. */
async function lostAccess(run: HostRun, plan: HostPlan, apply: ApplyOutcome, guardS: number, why: string, waitS?: number): Promise<HostResult> {
  const t0 = performance.now();
  const found = await awaitWatchdog(run.host, run.connect, plan, run.meta.runId, guardS, run.opts.scriptContext, waitS);
  return hostResult(run, {
    status: 'failed',
    plan,
    apply,
    error: lostAccessError(run.host.name, run.meta.runId, guardS, why, found),
    confirm: { result: 'lost-access', roundTrips: 0, seconds: (performance.now() - t0) / 1000, lostAccess: found },
  });
}

/** Commit-confirmed: a NEW connection (through the new rules), then the confirm round trip. */
export async function confirmStage(run: HostRun, plan: HostPlan, apply: ApplyOutcome, guardS: number): Promise<HostResult> {
  const t0 = performance.now();
  let c: Transport | undefined;
  let result;
  try {
    c = await run.connect(run.host);
    result = await confirmRun(c, run.meta.runId, run.opts.scriptContext);
  } catch (err) {
    return lostAccess(run, plan, apply, guardS, err instanceof FleetError ? err.message : String(err));
  } finally {
    await c?.close().catch(() => undefined);
  }
  if (result === 'fired') {
    // The host did not answer (the apply's own connection stalled too) until the watchdog had
    // reverted the run: that is lost access, already reverted. Check what came back now.
    return lostAccess(run, plan, apply, guardS, `${run.host.name} did not answer until the watchdog fired after ${guardS}s (a slow link would need a longer --confirm-timeout)`, 0);
  }
  return { ...appliedResult(run, plan, apply), confirm: { result, roundTrips: 1, seconds: (performance.now() - t0) / 1000 } };
}

/** One host's deploy: preflight, apply, and confirm when the apply armed a watchdog. */
export async function deployHost(run: HostRun, desired: DesiredResource[]): Promise<HostResult> {
  const { plan, stop } = await preflight(run, desired);
  if (stop) return stop;
  const guardS = confirmSeconds(plan, run.opts);
  const apply = await applyStage(run, plan, guardS);
  if (apply.unfinished || apply.failure || !guardS || !apply.watchdogArmed) return appliedResult(run, plan, apply);
  return confirmStage(run, plan, apply, guardS);
}
