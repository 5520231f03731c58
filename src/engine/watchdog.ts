/**
 * Commit-confirmed deploys (issue 10): a deploy that cuts the controller off undoes itself.
 *
 * Arming (no extra round trip): the apply script, after taking the host lock and creating the
 * run's journal, writes a standalone script `runs/<run>/watchdog.sh` (the same prelude, lock and
 * `fleet_revert_run` as every script; its body is rollback/watchdog.sh) and starts it with `setsid`, its fds on /dev/null, so it
 * survives the SSH session and the controller. Its state lives in /var/lib/fleet/watchdog/<run>/:
 *
 *   armed      exists while the watchdog may fire
 *   pid        the watchdog's pid (a session and process-group leader)
 *   timeout    --confirm-timeout in seconds; deadline: epoch seconds when it fires
 *   fired      it fired (the revert's output is in fire.out); confirmed/disarmed: it did not
 *
 * The watchdog waits for the apply script to exit, then `timeout` seconds, then takes the host
 * lock (waiting for any deploy or rollback in progress; a stale lock is taken over) and renames
 * `armed` to `fired`; only if that rename succeeds does it revert the run from its journal.
 *
 * Confirming: fleet opens a NEW SSH connection (so it goes through the new rules) and renames
 * `armed` to `confirmed`, then kills the watchdog's process group. Race argument: confirm and fire
 * both rename the same file and rename(2) is atomic, so exactly one of them succeeds; the loser
 * sees ENOENT and does nothing (a confirm that loses reports `fired`; a watchdog that loses
 * exits without touching anything). The kill is only tidiness: a watchdog that is not killed
 * finds no `armed` and exits. A failed step's in-script rollback, `rollback --last/--previous` and
 * teardown disarm the same way (`fleet_disarm`).
 *
 * Cost: connect + 1 round trip per host whose changes touch reachability (a resource that says
 * so: links, addresses, routes, rules, iptables, the WireGuard interface), on a second connection; a converged deploy arms nothing and pays nothing.
 */
import { LostAccessError, TransportError, WatchdogPendingError } from '../errors.js';
import type { Host } from '../inventory/index.js';
import { raw, sh, Shell } from '../shell/sh.js';
import type { Transport } from '../transport/types.js';
import { planHost, type HostPlan, type PlanItem } from './plan.js';
import { ARM, CONFIRM, WATCHDOG } from './rollback/shell.js';
import { WATCHED_STATUSES, type RunStatus } from './layout.js';
import { newToken, parseMarkers, type MarkerKind } from './protocol/markers.js';
import { prelude, type ScriptContext } from './script.js';

export const DEFAULT_CONFIRM_TIMEOUT_S = 60;

export function needsWatchdog(todo: PlanItem[]): boolean {
  return todo.some((i) => i.desired.resource.reachability === true);
}

/** The standalone watchdog (runs as root on the host, with no controller). $1: the apply script's pid. */
export function watchdogScript(ctx: ScriptContext, runId: string, timeoutS: number): Shell {
  const t = Math.max(1, Math.floor(timeoutS));
  return Shell.join([
    raw('#!/bin/sh'),
    prelude(ctx),
    sh`R=${runId}; RUN="$J/runs/$R"; WD="$J/watchdog/$R"; TIMEOUT=${String(t)} ARMED_WHILE=${WATCHED_STATUSES.join(' ')}`,
    raw(WATCHDOG),
  ]);
}

/** The apply script's arming fragment: runs after the lock and the run's journal exist. */
export function watchdogArm(ctx: ScriptContext, runId: string, timeoutS: number): Shell {
  const script = watchdogScript({ ...ctx, token: newToken() }, runId, timeoutS);
  return Shell.join([
    sh`WD="$J/watchdog/"${runId}`,
    raw(`mkdir -p "$WD" && chmod 700 "$J/watchdog" "$WD" || { fleet_mark error "$(echo cannot create the watchdog dir | fleet_field)"; exit 3; }`),
    sh`printf '%s' ${Buffer.from(script.text).toString('base64')} | base64 -d > "$RUN/watchdog.sh"`,
    sh`echo ${String(Math.max(1, Math.floor(timeoutS)))} > "$WD/timeout"`,
    raw(ARM),
  ]);
}

/** Confirm over a new connection: win the rename, then stop the watchdog. */
export function confirmScript(ctx: ScriptContext, runId: string): Shell {
  return Shell.join([
    prelude(ctx),
    sh`WD="$J/watchdog/"${runId}; RUN="$J/runs/"${runId}`,
    raw(CONFIRM),
  ]);
}

/** The confirm script's answers (each a marker kind). */
export const CONFIRM_RESULTS = ['confirmed', 'fired', 'nowatchdog'] as const satisfies readonly MarkerKind[];
export type ConfirmResult = (typeof CONFIRM_RESULTS)[number];

export async function confirmRun(t: Transport, runId: string, ctx: Omit<ScriptContext, 'token'> = {}): Promise<ConfirmResult> {
  const token = newToken();
  const res = await t.run(confirmScript({ ...ctx, token }, runId));
  const m = parseMarkers(token, res.stdout).find((x) => (CONFIRM_RESULTS as readonly string[]).includes(x.kind));
  if (!m) throw new TransportError(t.host, 'closed', `the confirm script did not answer (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return m.kind as ConfirmResult;
}

/** What fleet found when it came back after losing access. */
export interface LostAccess {
  /** The host answered SSH again. */
  back: boolean;
  /** The watchdog reverted the run (the journal says rolled-back and the watchdog fired). */
  reverted: boolean;
  /** Every resource's check gives what it gave before the deploy. */
  equalToBefore: boolean;
  differs: string[];
  reason?: string;
}

const WATCHED: ReadonlySet<string> = new Set(WATCHED_STATUSES);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * After access was lost: wait out the watchdog (timeout + a margin), reconnect (retrying for a
 * while), re-plan read-only and compare each resource with the pre-deploy plan.
 */
export async function awaitWatchdog(
  host: Host,
  connect: (h: Host) => Promise<Transport>,
  before: HostPlan,
  runId: string,
  timeoutS: number,
  ctx: Omit<ScriptContext, 'token'> = {},
  waitS = timeoutS + 3,
): Promise<LostAccess> {
  await sleep(waitS * 1000);
  const until = Date.now() + 20_000;
  let lastErr: unknown;
  while (Date.now() < until) {
    let t: Transport | undefined;
    try {
      t = await connect(host);
      const plan = await planHost(t, before.items.map((i) => i.desired), ctx);
      const wd = plan.facts.watchdogs?.find((w) => w.run === runId);
      const latest = plan.facts.latest;
      const unsettled = latest?.run === runId && WATCHED.has(latest.status);
      if (wd?.state === 'armed' || unsettled || plan.facts.lock?.owner.user === 'watchdog') {
        // not fired yet, or still reverting (a slow host): give it a moment
        lastErr = new WatchdogPendingError('the watchdog has not fired yet');
        await t.close().catch(() => undefined);
        t = undefined;
        await sleep(1000);
        continue;
      }
      const differs = plan.items.filter((i, k) => i.state !== before.items[k]?.state).map((i) => i.desired.resource.id);
      return {
        back: true,
        reverted: latest?.run === runId && latest.status === ('rolled-back' satisfies RunStatus) && wd?.state === 'fired',
        equalToBefore: differs.length === 0,
        differs,
      };
    } catch (err) {
      lastErr = err;
      await sleep(1000);
    } finally {
      await t?.close().catch(() => undefined);
    }
  }
  return { back: false, reverted: false, equalToBefore: false, differs: [], reason: (lastErr as Error)?.message };
}

export function lostAccessError(host: string, runId: string, timeoutS: number, why: string, found: LostAccess): LostAccessError {
  const outcome = !found.back
    ? `${host} did not answer again within ${timeoutS}s + 23s (${found.reason ?? 'no answer'})`
    : found.reverted && found.equalToBefore
      ? `the watchdog reverted run ${runId}: ${host} is back and equal to its pre-deploy state`
      : found.reverted
        ? `the watchdog reverted run ${runId}; ${host} is back but differs from its pre-deploy state in ${found.differs.length} resource(s): ${found.differs.slice(0, 5).join(', ')}`
        : `${host} is back but run ${runId} was not reverted by the watchdog`;
  return new LostAccessError(`lost access: reverting (${why}); ${outcome}`, {
    hint: found.back
      ? 'a change in this deploy cut the controller off (check routing and firewall variables against the address fleet connects from); the host is reachable again'
      : `the host keeps the journal: once it answers, run 'fleet status' and, if needed, 'fleet rollback ${host} --last'`,
  });
}

