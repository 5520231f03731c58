/**
 * Runs an operation over many hosts in parallel (p-limit, --forks), one connection per host.
 * Desired state is rendered for every host BEFORE any host is contacted, so bad input changes
 * nothing anywhere. Per host: connect -> preflight (plan, gates; check stops here) -> apply (with
 * in-script rollback) -> confirm -> report (the stages: deploy-stages.ts). Other hosts go on after a failure unless --fail-fast or --max-fail-percent.
 */
import os from 'node:os';
import pLimit from 'p-limit';
import { FleetError, HostFailedError, TransportError } from '../errors.js';
import type { Host } from '../inventory/index.js';
import type { DesiredResource } from '../roles/tasks.js';
import { JumpPool } from '../transport/jump-pool.js';
import { SshTransport, type SshOptions } from '../transport/ssh.js';
import type { Transport } from '../transport/types.js';
import type { ApplyOutcome, StepResult } from './apply.js';
import { deployHost } from './deploy-stages.js';
import { newRunId } from './layout.js';
import type { HostPlan } from './plan.js';
import type { RunMeta, ScriptContext } from './script.js';
import type { ConfirmResult, LostAccess } from './watchdog.js';

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
  /** A rolling deploy's batch (1-based) the host was in (--serial). */
  batch?: number;
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
  /** Test-only fault injection (the CLI reads FLEET_TEST_FAIL_STEP / FLEET_TEST_PAUSE_STEP). */
  faults?: { failStep?: string; pauseStep?: string };
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

/**
 * Deploys every host: one run id, one bastion pool for every connection of the run (the hosts',
 * their confirms' and reconnects'), closed at the end.
 */
export async function deployFleet(hosts: Host[], desired: Map<string, DesiredResource[]>, opts: DeployOptions): Promise<HostResult[]> {
  const meta = runMeta(opts.roles);
  const jumps = new JumpPool();
  const ssh: SshOptions = { ...opts.ssh, jumps };
  const connect = opts.connect ?? defaultConnect(ssh);
  try {
    return await forEachHost(hosts, { ...opts, ssh, connect }, (host, t, started) => deployHost({ host, t, started, meta, opts, connect }, desired.get(host.name) ?? []));
  } finally {
    await jumps.close();
  }
}
