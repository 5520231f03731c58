/**
 * The lab's errors. They are FleetErrors, so the CLI maps them to exit codes like any other.
 */
import { FleetError } from '../errors.js';

/** The lab could not be built or torn down. */
export class LabError extends FleetError {
  override readonly code: string = 'LAB_FAILED';
  override readonly title: string = 'lab failed';
}

/** Something `fleet lab up` needs is missing (root, /dev/net/tun, a package). */
export class LabPrereqError extends LabError {
  override readonly code = 'LAB_PREREQ_MISSING';
  override readonly title = 'lab prerequisites missing';
  constructor(
    readonly missing: string[],
    opts: { hint?: string } = {},
  ) {
    super(`cannot build the lab:\n${missing.map((m) => `  - ${m}`).join('\n')}`, opts);
  }
}

/** Another lab (another checkout's state dir) owns the lab network on this machine. */
export class LabBusyError extends LabError {
  override readonly code = 'LAB_BUSY';
  override readonly title = 'another lab is running';
}
