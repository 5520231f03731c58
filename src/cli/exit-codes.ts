/** The only place errors become exit codes (documented in `fleet --help`). */
import type { HostResult } from '../engine/fleet.js';
import { FleetError, InputFileError, InventoryError, ModuleArgsError } from '../errors.js';

export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  HOSTS_FAILED: 2,
  HOSTS_UNREACHABLE: 3,
  BAD_INPUT: 4,
  INTERRUPTED: 130,
} as const;

export const EXIT_HELP = `Exit codes:
  0    every host ok (for status: healthy and in sync)
  1    internal error (a bug in fleet: please report it)
  2    some hosts failed (deploy: rolled back; status: drifted or unhealthy)
  3    some hosts unreachable (and none failed)
  4    bad input (inventory, variables, arguments): nothing was run on any host
  130  interrupted`;

export function exitCodeForResults(results: HostResult[]): number {
  if (results.some((r) => r.status === 'failed')) return EXIT.HOSTS_FAILED;
  if (results.some((r) => r.status === 'unreachable')) return EXIT.HOSTS_UNREACHABLE;
  return EXIT.OK;
}

export function exitCodeForError(err: unknown): number {
  if (err instanceof InventoryError || err instanceof ModuleArgsError || err instanceof InputFileError || err instanceof UsageError) return EXIT.BAD_INPUT;
  if (err instanceof FleetError && err.code !== 'INTERNAL') return EXIT.HOSTS_FAILED;
  return EXIT.INTERNAL;
}

/** Wrong command-line usage (missing confirmation, conflicting flags). */
export class UsageError extends FleetError {
  override readonly code = 'USAGE';
  override readonly title = 'bad command line';
}
