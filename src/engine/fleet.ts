/**
 * Runs an operation over many hosts in parallel (p-limit, --forks), one connection per host.
 * Desired state is rendered for every host BEFORE any host is contacted, so bad input changes
 * nothing anywhere. Per host: connect -> plan -> (check stops here) -> apply (with in-script
 * rollback) -> report. Other hosts go on after a failure unless --fail-fast or --max-fail-percent.
 */
import os from 'node:os';
import pLimit from 'p-limit';
import { AwaitingConfirmationError, FleetError, HostFailedError, TransportError, UnfinishedRunError } from '../errors.js';
import type { Host } from '../inventory/index.js';
import type { DesiredResource } from '../roles/tasks.js';
import { SshTransport, type SshOptions } from '../transport/ssh.js';
import type { Transport } from '../transport/types.js';
import { applyHost, type ApplyOutcome, type StepResult } from './apply.js';
import { isUnfinished, lockError } from './journal.js';
import { newRunId } from './layout.js';
import { changes, planHost, type HostPlan } from './plan.js';
import type { RunMeta, ScriptContext } from './script.js';
import { awaitWatchdog, confirmRun, lostAccessError, needsWatchdog, type ConfirmResult, type LostAccess } from './watchdog.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped';

export interface HostResult {
  host: string;
  status: HostStatus;
  plan?: HostPlan;
  apply?: ApplyOutcome;
  error?: FleetError;
  /** Commit-confirmed deploy (watchdog.ts): on a second connection, connect + 1 round trip. */
  confirm?: { result: ConfirmResult | 'lost-access'; roundTrips: number; seconds: number; lostAccess?: LostAccess };
  roundTrips: number;
  seconds: number;
}

export type FleetEvent =
  | { kind: 'phase'; host: string; phase: 'connecting' | 'planning' | 'applying' | 'done' }
  | { kind: 'planned'; host: string; plan: HostPlan }
  | { kind: 'step'; host: string; step: StepResult }
  | { kind: 'result'; host: string; result: HostResult };

export interface FleetOptions {
  forks?: number;
  failFast?: boolean;
  maxFailPercent?: number;
  ssh?: SshOptions;
  onEvent?: (e: FleetEvent) => void;
  /** Opens the host's transport; tests may pass their own. */
  connect?: (host: Host) => Promise<Transport>;
  scriptContext?: Omit<ScriptContext, 'token'>;
}

export interface DeployOptions extends FleetOptions {
  check?: boolean;
  breakLock?: boolean;
  roles: string[];
  /**
   * Seconds the on-host watchdog waits for fleet's confirm before it reverts the run (watchdog.ts);
   * 0 or undefined: no watchdog (--no-confirm).
   */
  confirmTimeout?: number;
}

export function runMeta(roles: string[]): RunMeta {
  return { runId: newRunId(), user: os.userInfo().username, controller: os.hostname(), roles };
}

export function defaultConnect(ssh: SshOptions = {}) {
  return (host: Host): Promise<Transport> => SshTransport.connect(host.name, host.connection, ssh);
}

/**
 * Connects to each host (bounded parallelism), runs `work`, always closes. `failed` turns an error
 * (including a failed connect, when `t` is undefined) into that host's result. `skipIfStopped` is
 * asked before each host starts (a result means: do not start it); hosts already running finish.
 */
export async function withEachHost<R>(
  hosts: Host[],
  opts: Pick<FleetOptions, 'forks' | 'ssh' | 'connect'>,
  work: (host: Host, t: Transport, started: number) => Promise<R>,
  failed: (host: Host, err: unknown, t: Transport | undefined, started: number) => R,
  skipIfStopped: (host: Host) => R | undefined = () => undefined,
): Promise<R[]> {
  const limit = pLimit(Math.max(1, opts.forks ?? Math.min(hosts.length, 50)));
  const connect = opts.connect ?? defaultConnect(opts.ssh);
  return Promise.all(
    hosts.map((host) =>
      limit(async (): Promise<R> => {
        const skipped = skipIfStopped(host);
        if (skipped !== undefined) return skipped;
        const started = performance.now();
        let t: Transport | undefined;
        try {
          t = await connect(host);
          return await work(host, t, started);
        } catch (err) {
          return failed(host, err, t, started);
        } finally {
          await t?.close().catch(() => undefined);
        }
      }),
    ),
  );
}

/** withEachHost with deploy's result shape, progress events and failure policy. */
export async function forEachHost(
  hosts: Host[],
  opts: FleetOptions,
  work: (host: Host, t: Transport, started: number) => Promise<HostResult>,
): Promise<HostResult[]> {
  let failures = 0;
  let stopped = false;
  const finish = (host: Host, result: HostResult): HostResult => {
    if (result.status === 'failed' || result.status === 'unreachable') {
      failures++;
      if (opts.failFast) stopped = true;
      if (opts.maxFailPercent !== undefined && (failures / hosts.length) * 100 > opts.maxFailPercent) stopped = true;
    }
    opts.onEvent?.({ kind: 'phase', host: host.name, phase: 'done' });
    opts.onEvent?.({ kind: 'result', host: host.name, result });
    return result;
  };
  return withEachHost<HostResult>(
    hosts,
    {
      ...opts,
      connect: (host) => {
        opts.onEvent?.({ kind: 'phase', host: host.name, phase: 'connecting' });
        return (opts.connect ?? defaultConnect(opts.ssh))(host);
      },
    },
    async (host, t, started) => finish(host, await work(host, t, started)),
    (host, err, t, started) =>
      finish(host, {
        host: host.name,
        status: err instanceof TransportError && !t ? 'unreachable' : 'failed',
        error: err instanceof FleetError ? err : new HostFailedError(`${host.name}: ${(err as Error).message}`, { cause: err }),
        roundTrips: t?.roundTrips ?? 0,
        seconds: (performance.now() - started) / 1000,
      }),
    (host) => {
      if (!stopped) return undefined;
      const skipped: HostResult = { host: host.name, status: 'skipped', roundTrips: 0, seconds: 0 };
      opts.onEvent?.({ kind: 'result', host: host.name, result: skipped });
      return skipped;
    },
  );
}

function watchdogNote(plan: HostPlan, run: string): string {
  const w = plan.facts.watchdogs?.find((x) => x.run === run && x.state === 'armed' && x.process === 'live');
  return w ? `; its watchdog reverts it${w.deadline ? ` at ${new Date(w.deadline * 1000).toISOString()}` : ' once the apply stops'}` : '';
}

export async function deployFleet(hosts: Host[], desired: Map<string, DesiredResource[]>, opts: DeployOptions): Promise<HostResult[]> {
  const meta = runMeta(opts.roles);
  // Test-only hooks for fault-injection tests; deliberately not in --help.
  const failStep = process.env.FLEET_TEST_FAIL_STEP;
  const pauseStep = process.env.FLEET_TEST_PAUSE_STEP;
  return forEachHost(hosts, opts, async (host, t, started) => {
    const done = (r: Omit<HostResult, 'host' | 'roundTrips' | 'seconds'>): HostResult => ({
      host: host.name,
      roundTrips: t.roundTrips,
      seconds: (performance.now() - started) / 1000,
      ...r,
    });
    opts.onEvent?.({ kind: 'phase', host: host.name, phase: 'planning' });
    const plan = await planHost(t, desired.get(host.name) ?? [], opts.scriptContext);
    opts.onEvent?.({ kind: 'planned', host: host.name, plan });
    const probeError = plan.items.find((i) => i.error)?.error;
    if (probeError) return done({ status: 'failed', plan, error: probeError });
    if (plan.facts.lock?.state === 'live') {
      return done({ status: 'failed', plan, error: lockError(host.name, plan.facts.lock, opts) });
    }
    if (isUnfinished(plan.facts)) {
      const l = plan.facts.latest!;
      return done({
        status: 'failed',
        plan,
        error: new UnfinishedRunError(`${host.name}: run ${l.run} is unfinished (${l.status}): the host may be half-configured${watchdogNote(plan, l.run)}`, {
          hint: `run 'fleet rollback ${host.name} --last' to undo it, then deploy again`,
        }),
      });
    }
    const armed = plan.facts.watchdogs?.find((w) => w.state === 'armed' && w.process === 'live');
    if (armed) {
      return done({
        status: 'failed',
        plan,
        error: new AwaitingConfirmationError(`${host.name}: run ${armed.run} awaits confirmation: its watchdog reverts it${armed.deadline ? ` at ${new Date(armed.deadline * 1000).toISOString()}` : ''}`, {
          hint: 'a controller lost access or was killed after that deploy; deploy again once the watchdog has fired (fleet status shows it)',
        }),
      });
    }
    const todo = changes(plan);
    if (opts.check || todo.length === 0) return done({ status: opts.check && todo.length ? 'changed' : 'ok', plan });
    opts.onEvent?.({ kind: 'phase', host: host.name, phase: 'applying' });
    const guardS = opts.confirmTimeout && needsWatchdog(todo) ? opts.confirmTimeout : undefined;
    let armedNow = false;
    const connect = opts.connect ?? defaultConnect(opts.ssh);
    const lost = async (why: string, waitS?: number): Promise<HostResult> => {
      const t0 = performance.now();
      const found = await awaitWatchdog(host, connect, plan, meta.runId, guardS!, opts.scriptContext, waitS);
      return done({
        status: 'failed',
        plan,
        error: lostAccessError(host.name, meta.runId, guardS!, why, found),
        confirm: { result: 'lost-access', roundTrips: 0, seconds: (performance.now() - t0) / 1000, lostAccess: found },
      });
    };
    let apply: ApplyOutcome;
    try {
      apply = await applyHost(t, plan, meta, opts.scriptContext, {
        breakLock: opts.breakLock,
        failStep,
        pauseStep,
        onStep: (step) => opts.onEvent?.({ kind: 'step', host: host.name, step }),
        watchdog: guardS ? { timeoutS: guardS } : undefined,
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
    if (apply.unfinished) {
      return done({
        status: 'failed',
        plan,
        apply,
        error: new UnfinishedRunError(`${host.name}: run ${apply.unfinished.run} is unfinished (${apply.unfinished.status})`, {
          hint: `run 'fleet rollback ${host.name} --last' first`,
        }),
      });
    }
    if (apply.failure) return done({ status: 'failed', plan, apply, error: apply.failure.error });
    const changed = apply.steps.some((s) => s.outcome === 'ok');
    if (guardS && apply.watchdogArmed) {
      // Prove the host is still reachable through the new rules: a NEW connection, then confirm.
      const t0 = performance.now();
      let c: Transport | undefined;
      let result: ConfirmResult;
      try {
        c = await connect(host);
        result = await confirmRun(c, meta.runId, opts.scriptContext);
      } catch (err) {
        const r = await lost(err instanceof FleetError ? err.message : String(err));
        return { ...r, apply };
      } finally {
        await c?.close().catch(() => undefined);
      }
      const confirm = { result, roundTrips: 1, seconds: (performance.now() - t0) / 1000 };
      if (result === 'fired') {
        // The host did not answer (the apply's own connection stalled too) until the watchdog had
        // reverted the run: that is lost access, already reverted. Check what came back now.
        const r = await lost(`${host.name} did not answer until the watchdog fired after ${guardS}s (a slow link would need a longer --confirm-timeout)`, 0);
        return { ...r, apply };
      }
      return done({ status: changed ? 'changed' : 'ok', plan, apply, confirm });
    }
    return done({ status: changed ? 'changed' : 'ok', plan, apply });
  });
}
