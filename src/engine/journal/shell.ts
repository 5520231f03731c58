/**
 * The on-host shell every script starts with, loaded from the .sh files beside this module (one
 * place for the marker emitters, the host lock, the journal and revert; see src/shell/asset.ts).
 */
import { shellAsset } from '../../shell/asset.js';

/**
 * An asset as sent to the host: comment-only and blank lines dropped (they are for the reader and
 * shellcheck, and every script carries the prelude).
 */
export function engineShell(base: string | URL, name: string): string {
  return shellAsset(base, name)
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s*#/.test(line))
    .join('\n');
}

/** Emitters, lock, journal facts and revert: defined by every script (needs T and J set). */
export const JOURNAL_PRELUDE = ['marker.sh', 'lock.sh', 'journal.sh', 'applied.sh', '../rollback/revert.sh'].map((f) => engineShell(import.meta.url, f)).join('\n');

/** The marker emitters and the host lock alone, for scripts that only take the lock (verify). */
export const LOCK_SHELL = ['marker.sh', 'lock.sh'].map((f) => engineShell(import.meta.url, f)).join('\n');
