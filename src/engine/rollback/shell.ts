/** The rollback and watchdog shell programs (the .sh files beside this module). */
import { engineShell } from '../journal/shell.js';

/** `fleet_fail`: a failed step's record, disarm and revert (the apply script only). */
export const FAIL = engineShell(import.meta.url, 'fail.sh');
/** The body of `rollback --last/--previous` (needs WANTED). */
export const REVERT_LATEST = engineShell(import.meta.url, 'revert-latest.sh');
/** The standalone watchdog's body (needs R, RUN, WD, TIMEOUT). */
export const WATCHDOG = engineShell(import.meta.url, 'watchdog.sh');
/** Starts the written watchdog (needs RUN, WD). */
export const ARM = engineShell(import.meta.url, 'arm.sh');
/** The confirm script's body (needs WD). */
export const CONFIRM = engineShell(import.meta.url, 'confirm.sh');
