/**
 * Where fleet keeps its state on a host. The journal lives on the host, not the controller, so
 * that any controller can see an unfinished run and roll it back.
 *
 *   /var/lib/fleet/              0700
 *     lock/owner                 held by the running deploy or rollback (mkdir is the atomic lock)
 *     last-success               run id, user, controller and time of the last good deploy
 *     applied/<role>@<digest>    what the last good deploy applied in the role: each resource's
 *                                removal (src/engine/applied.ts); runs/<run>/applied.prev the
 *                                record before that run, put back when the run is reverted
 *     runs/<run-id>/
 *       meta                     who, when, what (no secrets)
 *       status                   running | complete | failed-rolled-back | rolled-back | interrupted
 *       log                      start K / ok K / skip K / fail K / reverted K, appended as it goes
 *       steps/K/id               the resource id of step K (a vaulted value as <vault:NAME>)
 *       steps/K/revert.sh        the step's revert fragment (no secrets, by the module contract;
 *                                one that needs a vaulted value only sources state/.fleet-revert.sh)
 *       steps/K/state/           what the step's apply saved for its revert (0700)
 *       steps/K/secret           a secret step (secret file, vaulted value): its state and outputs
 *                                are purged once no revert can need them (journal/vaulted-steps.ts)
 *       defer                    revert work that waits for every other revert (daemon restarts)
 */
export const DEFAULT_STATE_DIR = '/var/lib/fleet';

/** Every status a run's journal can hold (the shell writes these words to runs/<run>/status). */
export const RUN_STATUSES = ['running', 'complete', 'failed-rolled-back', 'rollback-failed', 'rolled-back', 'interrupted', 'teardown'] as const;

export type RunStatus = (typeof RUN_STATUSES)[number];

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Runs whose journals a host keeps (older ones go when a new run starts). */
export const RUN_HISTORY = 10;

/** Statuses of a run that stopped part-way: the host may be half-configured until rollback --last. */
export const UNFINISHED_STATUSES: readonly RunStatus[] = ['running', 'interrupted', 'rollback-failed'];
/** Statuses in which a run's armed watchdog may still have to revert it (commit-confirmed deploys). */
export const WATCHED_STATUSES: readonly RunStatus[] = ['complete', 'running', 'interrupted'];
