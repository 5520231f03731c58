/** What a host's journal says: parsed from the facts every script prints first. */
import { LockError } from '../errors.js';
import { UNFINISHED_STATUSES } from './layout.js';
import { markerOf, markersOf, type Marker, type MarkerFields } from './protocol/markers.js';

export interface LockInfo {
  state: 'live' | 'stale';
  owner: Record<string, string>;
}

export interface JournalFacts {
  lock?: LockInfo;
  /** The newest run on the host and its status. */
  latest?: { run: string; status: string; meta: Record<string, string> };
  lastSuccess?: Record<string, string>;
  /** Confirmed-deploy watchdogs on the host (watchdog.ts): armed ones, and any that fired. */
  watchdogs?: WatchdogInfo[];
  /** How many runs' journals the host keeps (at most RUN_HISTORY, layout.ts). */
  runsKept?: number;
}

export interface WatchdogInfo {
  run: string;
  state: 'armed' | 'fired';
  /** armed: whether its process is alive ('gone' after a host reboot: it will never fire). */
  process?: 'live' | 'gone';
  timeoutS?: number;
  /** armed: epoch seconds when it fires (unset while the apply still runs); fired: when it did. */
  deadline?: number;
  firedAt?: string;
}

export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

function watchdogInfo(w: MarkerFields<'watchdog'>): WatchdogInfo | undefined {
  if (w.state === 'armed') {
    const deadline = /^\d+$/.test(w.when) ? Number(w.when) : undefined;
    return { run: w.run, state: 'armed', process: w.process === 'live' ? 'live' : 'gone', timeoutS: w.timeout, deadline };
  }
  if (w.state === 'fired') return { run: w.run, state: 'fired', firedAt: w.when || undefined };
  return undefined;
}

export function journalFacts(markers: Marker[]): JournalFacts {
  const facts: JournalFacts = {};
  const lock = markerOf(markers, 'lock');
  if (lock) facts.lock = { state: lock.state === 'live' ? 'live' : 'stale', owner: parseKeyValues(lock.owner) };
  const latest = markerOf(markers, 'journal');
  if (latest) facts.latest = { run: latest.run, status: latest.status || 'unknown', meta: parseKeyValues(latest.meta) };
  const runs = markerOf(markers, 'runs');
  if (runs?.count !== undefined) facts.runsKept = runs.count;
  const last = markerOf(markers, 'lastsuccess');
  if (last) facts.lastSuccess = parseKeyValues(last.record);
  for (const w of markersOf(markers, 'watchdog')) {
    const info = watchdogInfo(w);
    if (info) (facts.watchdogs ??= []).push(info);
  }
  return facts;
}

export const UNFINISHED: ReadonlySet<string> = new Set(UNFINISHED_STATUSES);

export function isUnfinished(facts: JournalFacts): boolean {
  return !!facts.latest && UNFINISHED.has(facts.latest.status) && facts.lock?.state !== 'live';
}

/**
 * The error for a host another run holds (or a dead run left locked). With --break-lock a live
 * lock is still refused: only a dead owner's lock is broken.
 */
export function lockError(host: string, lock: LockInfo, opts: { breakLock?: boolean } = {}): LockError {
  if (lock.state === 'live' && opts.breakLock) {
    return new LockError(`${host}: ${describeLock(lock)}; --break-lock refused: its owner (pid ${lock.owner.pid ?? '?'}) is alive`, {
      hint: '--break-lock breaks only a lock whose owner is dead: wait for that run to finish',
    });
  }
  return new LockError(`${host}: ${describeLock(lock)}`, {
    hint: lock.state === 'stale' ? 'the run that held it is gone: re-run with --break-lock' : 'wait for the other run to finish',
  });
}

/** What --break-lock says when it broke a dead owner's lock. */
export function brokeLockNote(host: string, owner: Record<string, string>): string {
  return `${host}: broke the stale lock of run ${owner.run ?? '?'} (${owner.user ?? '?'}@${owner.controller ?? '?'}, pid ${owner.pid ?? '?'}, since ${owner.since ?? '?'}): its owner is dead`;
}

export function describeLock(lock: LockInfo): string {
  const o = lock.owner;
  return `${lock.state === 'stale' ? 'stale lock' : 'locked'} by run ${o.run ?? '?'} (${o.user ?? '?'}@${o.controller ?? '?'}, since ${o.since ?? '?'})`;
}
