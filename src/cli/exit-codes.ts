/** The only place errors become exit codes (documented in `fleet --help`). */
import type { HostResult } from '../engine/fleet.js';
import type { HostStatusReport } from '../engine/status.js';
import { FleetError } from '../errors.js';
import { CATALOGUE, EXIT } from '../errors/catalogue.js';

export { EXIT } from '../errors/catalogue.js';
export { UsageError } from '../errors.js';

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

/** A command that stops on an error: the exit code its catalogue entry gives (a bug otherwise). */
export function exitCodeForError(err: unknown): number {
  if (!(err instanceof FleetError)) return EXIT.INTERNAL;
  const entry = (CATALOGUE as Record<string, { exit: keyof typeof EXIT }>)[err.code];
  return EXIT[entry?.exit ?? 'HOSTS_FAILED'];
}

/** `fleet status`: 0 only when every host is reachable, healthy and in sync. */
export function exitCodeForStatus(reports: readonly Pick<HostStatusReport, 'reachable' | 'healthy' | 'inSync'>[]): number {
  if (reports.some((r) => r.reachable && (!r.healthy || !r.inSync))) return EXIT.HOSTS_FAILED;
  if (reports.some((r) => !r.reachable)) return EXIT.HOSTS_UNREACHABLE;
  return EXIT.OK;
}
