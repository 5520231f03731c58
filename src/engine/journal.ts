/** What a host's journal says: parsed from the facts every script prints first. */
import { LockError } from '../errors.js';
import { UNFINISHED_STATUSES } from './layout.js';
import { decodeField, type Marker } from './script.js';

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

export function journalFacts(markers: Marker[]): JournalFacts {
  const facts: JournalFacts = {};
  for (const m of markers) {
    if (m.kind === 'lock') facts.lock = { state: m.fields[0] === 'live' ? 'live' : 'stale', owner: parseKeyValues(decodeField(m.fields[1])) };
    if (m.kind === 'journal') facts.latest = { run: m.fields[0] ?? '', status: m.fields[1] ?? 'unknown', meta: parseKeyValues(decodeField(m.fields[2])) };
    if (m.kind === 'lastsuccess') facts.lastSuccess = parseKeyValues(decodeField(m.fields[0]));
    if (m.kind === 'watchdog' && m.fields[1] === 'armed') {
      const [run = '', , proc, timeout, deadline] = m.fields;
      (facts.watchdogs ??= []).push({ run, state: 'armed', process: proc === 'live' ? 'live' : 'gone', timeoutS: timeout && timeout !== '-' ? Number(timeout) : undefined, deadline: deadline && deadline !== '-' ? Number(deadline) : undefined });
    }
    if (m.kind === 'watchdog' && m.fields[1] === 'fired') (facts.watchdogs ??= []).push({ run: m.fields[0] ?? '', state: 'fired', firedAt: m.fields[4] && m.fields[4] !== '-' ? m.fields[4] : undefined });
  }
  return facts;
}

export const UNFINISHED: ReadonlySet<string> = new Set(UNFINISHED_STATUSES);

export function isUnfinished(facts: JournalFacts): boolean {
  return !!facts.latest && UNFINISHED.has(facts.latest.status) && facts.lock?.state !== 'live';
}

/** The error for a host another run holds (or a dead run left locked). */
export function lockError(host: string, lock: LockInfo): LockError {
  return new LockError(`${host}: ${describeLock(lock)}`, {
    hint: lock.state === 'stale' ? 'the run that held it is gone: re-run with --break-lock' : 'wait for the other run to finish',
  });
}

export function describeLock(lock: LockInfo): string {
  const o = lock.owner;
  return `${lock.state === 'stale' ? 'stale lock' : 'locked'} by run ${o.run ?? '?'} (${o.user ?? '?'}@${o.controller ?? '?'}, since ${o.since ?? '?'})`;
}
