/**
 * fleet's error vocabulary. Every error an operator can meet is a FleetError with a permanent
 * `code` from the catalogue (src/errors/catalogue.ts: its title, what happened, why, what to do,
 * its exit code), a message saying what happened here, and a `hint` saying what to do.
 * Only src/cli maps these to exit codes (src/cli/exit-codes.ts, through the catalogue).
 */
import { CATALOGUE, type ErrorCode } from './errors/catalogue.js';

export type { ErrorCode } from './errors/catalogue.js';

export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export function formatLocation(loc: SourceLocation): string {
  return loc.line ? `${loc.file}:${loc.line}${loc.column ? `:${loc.column}` : ''}` : loc.file;
}

export class FleetError extends Error {
  /** A code of the catalogue (a test checks every class's code is there). */
  readonly code: string = 'FLEET_ERROR';
  readonly title: string = CATALOGUE.FLEET_ERROR.title;
  hint?: string;
  location?: SourceLocation;
  constructor(message: string, opts: { hint?: string; location?: SourceLocation; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.location = opts.location;
  }
  /** One line for a terminal; `full()` adds the hint. */
  short(): string {
    return this.location ? `${formatLocation(this.location)}: ${this.message}` : this.message;
  }
  full(): string {
    return this.hint ? `${this.short()}\n  hint: ${this.hint}` : this.short();
  }
  toJSON(): Record<string, unknown> {
    return { code: this.code, title: this.title, message: this.message, hint: this.hint, location: this.location };
  }
}

export interface InventoryIssue {
  location: SourceLocation;
  host?: string;
  field?: string;
  message: string;
}

/** Bad inventory input: collects every issue, each with file:line:col, host and field. */
export class InventoryError extends FleetError {
  override readonly code = 'INVENTORY_INVALID' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.INVENTORY_INVALID.title;
  constructor(readonly issues: InventoryIssue[], opts: { hint?: string } = {}) {
    super(issues.map(formatIssue).join('\n'), { hint: opts.hint, location: issues[0]?.location });
  }
  override short(): string {
    return this.message;
  }
}

export function formatIssue(i: InventoryIssue): string {
  const where = formatLocation(i.location);
  const who = [i.host && `host ${i.host}`, i.field && `field ${i.field}`].filter(Boolean).join(', ');
  return `${where}: ${who ? `${who}: ` : ''}${i.message}`;
}

/** A file the operator named cannot be used: missing, unreadable, not a regular file, too large. */
export class InputFileError extends FleetError {
  override readonly code = 'INPUT_FILE_UNUSABLE' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.INPUT_FILE_UNUSABLE.title;
  constructor(
    readonly what: string,
    readonly path: string,
    why: string,
    opts: { hint?: string; cause?: unknown } = {},
  ) {
    super(`${what} ${path}: ${why}`, { hint: opts.hint ?? `give ${what} the path of a regular file`, cause: opts.cause });
  }
}

/** Arguments a module rejected (a role's task rendered to something invalid). */
export class ModuleArgsError extends FleetError {
  override readonly code = 'MODULE_ARGS_INVALID' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.MODULE_ARGS_INVALID.title;
}

/** A check exited outside its contract (0 holds, 1 does not): the probe itself failed. */
export class ProbeError extends FleetError {
  override readonly code = 'PROBE_FAILED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.PROBE_FAILED.title;
}

/** A remote step failed. `command` is the masked command: it never holds a secret. */
export class RemoteCommandError extends FleetError {
  override readonly code = 'REMOTE_COMMAND_FAILED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.REMOTE_COMMAND_FAILED.title;
  constructor(
    readonly host: string,
    readonly stepId: string | undefined,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
    opts: { hint?: string } = {},
  ) {
    super(
      `${host}${stepId ? ` ${stepId}` : ''}: exit ${exitCode ?? 'signal'}${stderrTail ? `: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
      { hint: opts.hint ?? exitHint(exitCode) },
    );
  }
}

function exitHint(code: number | null): string | undefined {
  if (code === 127) return 'a command was not found on the host: is the packages role in the run?';
  if (code === 126) return 'a command is not executable on the host';
  return undefined;
}

export type TransportFailure = 'refused' | 'unreachable' | 'timeout' | 'auth' | 'host-key-mismatch' | 'host-key-unknown' | 'closed' | 'sudo';

/** Could not reach or stay connected to a host. `reason` is machine-readable. */
export class TransportError extends FleetError {
  override readonly code = 'TRANSPORT_FAILED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.TRANSPORT_FAILED.title;
  constructor(
    readonly host: string,
    readonly reason: TransportFailure,
    message: string,
    opts: { hint?: string; cause?: unknown } = {},
  ) {
    super(`${host}: ${message}`, opts);
  }
}

/** Another run holds the host's lock. */
export class LockError extends FleetError {
  override readonly code = 'HOST_LOCKED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.HOST_LOCKED.title;
}

/** Undo steps that failed during a rollback: the host may not be in its pre-deploy state. */
export class RollbackError extends FleetError {
  override readonly code = 'ROLLBACK_FAILED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.ROLLBACK_FAILED.title;
  constructor(
    readonly host: string,
    readonly failures: { stepId: string; output: string }[],
  ) {
    super(`${host}: ${failures.length} undo step(s) failed: ${failures.map((f) => f.stepId).join(', ')}`, {
      hint: `inspect the host, then run 'fleet rollback ${host} --last' again`,
    });
  }
}

/** A bug in fleet. */
export class InternalError extends FleetError {
  override readonly code = 'INTERNAL' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.INTERNAL.title;
}

/** Wrong command-line usage (missing confirmation, conflicting flags). */
export class UsageError extends FleetError {
  override readonly code = 'USAGE' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.USAGE.title;
}

/** The host holds a run that stopped part-way: nothing else may change it until it is undone. */
export class UnfinishedRunError extends FleetError {
  override readonly code = 'RUN_UNFINISHED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.RUN_UNFINISHED.title;
}

/** A confirmed deploy's watchdog is armed on the host: that run may still be reverted. */
export class AwaitingConfirmationError extends FleetError {
  override readonly code = 'AWAITING_CONFIRMATION' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.AWAITING_CONFIRMATION.title;
}

/** fleet could not reach the host over a new connection after a deploy (the watchdog reverts it). */
export class LostAccessError extends FleetError {
  override readonly code = 'LOST_ACCESS' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.LOST_ACCESS.title;
}

/** The watchdog fleet waits for has not reverted the run yet. */
export class WatchdogPendingError extends FleetError {
  override readonly code = 'WATCHDOG_PENDING' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.WATCHDOG_PENDING.title;
}

/** An error fleet does not classify, met while working on a host (its cause is kept). */
export class HostFailedError extends FleetError {
  override readonly code = 'HOST_FAILED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.HOST_FAILED.title;
}

/** A rolling deploy's batch applied, but a host of it failed the health gate. */
export class BatchGateError extends FleetError {
  override readonly code = 'BATCH_GATE_FAILED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.BATCH_GATE_FAILED.title;
}

/** A host a rolling deploy did not start, because an earlier batch stopped the run. */
export class SerialStoppedError extends FleetError {
  override readonly code = 'SERIAL_STOPPED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.SERIAL_STOPPED.title;
}

/** fleet peer add/remove: the gateway did not take the change (the inventory is untouched). */
export class PeerNotAppliedError extends FleetError {
  override readonly code = 'PEER_NOT_APPLIED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.PEER_NOT_APPLIED.title;
}

/** fleet peer add/remove: the gateway took the change, the inventory file changed meanwhile. */
export class PeerInventoryChangedError extends FleetError {
  override readonly code = 'PEER_INVENTORY_CHANGED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.PEER_INVENTORY_CHANGED.title;
}

/** A program run on the controller itself (wg genkey) is missing or failed. */
export class ControllerToolError extends FleetError {
  override readonly code = 'CONTROLLER_TOOL_FAILED' satisfies ErrorCode;
  override readonly title: string = CATALOGUE.CONTROLLER_TOOL_FAILED.title;
}
