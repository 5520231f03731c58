/** `fleet verify` for one host (one round trip) and for many (in parallel, like status). */
import os from 'node:os';
import { withEachHost, type FleetOptions } from '../engine/fleet.js';
import { describeLock, parseKeyValues } from '../engine/journal.js';
import { decodeField, newToken, parseMarkers } from '../engine/script.js';
import { FleetError, InventoryError, TransportError } from '../errors.js';
import type { Host } from '../inventory/index.js';
import type { Transport } from '../transport/types.js';
import { hostProof, type HostProof } from './proof.js';
import { verifyPlan, verifyScript } from './script.js';

export interface VerifyHostReport {
  host: string;
  reachable: boolean;
  unreachableReason?: string;
  /** The probe could not run (a missing tool, the host lock, no wg0): why. */
  error?: string;
  proof?: HostProof;
  ok: boolean;
  roundTrips: number;
  seconds: number;
}

export interface VerifyOptions {
  /** Seconds after which the gateway removes the probe by itself (the reaper). */
  probeTimeoutS?: number;
  stateDir?: string;
  /** Tests only (FLEET_TEST_VERIFY_PAUSE): hold the probe once it is set up. */
  pauseS?: number;
}

/** Every selected host needs an echo URL: refused before any host is contacted. */
export function checkVerifiable(hosts: readonly Host[], file: string): void {
  const missing = hosts.filter((h) => !h.vars.verify_echo_url);
  if (!missing.length) return;
  throw new InventoryError(
    missing.map((h) => ({
      location: { file },
      host: h.name,
      field: 'verify_echo_url',
      message: "not set: fleet verify fetches it from each half to see the address the half leaves from (an HTTP(S) URL that answers the caller's address)",
    })),
    { hint: 'set verify_echo_url for these hosts (all.vars or their group), e.g. -e verify_echo_url=https://echo.example.net/' },
  );
}

export async function verifyHost(host: Host, t: Transport, opts: VerifyOptions = {}): Promise<Omit<VerifyHostReport, 'roundTrips' | 'seconds'>> {
  const v = host.vars;
  const plan = verifyPlan(v, v.verify_echo_url!);
  const token = newToken();
  const res = await t.run(
    verifyScript(v, plan, { token, timeoutS: opts.probeTimeoutS, stateDir: opts.stateDir, pauseS: opts.pauseS, user: os.userInfo().username, controller: os.hostname() }),
  );
  const markers = parseMarkers(token, res.stdout);
  const base = { host: host.name, reachable: true };
  const err = markers.find((m) => m.kind === 'error');
  if (err) return { ...base, error: decodeField(err.fields[0]), ok: false };
  const locked = markers.find((m) => m.kind === 'locked');
  if (locked) {
    const lock = { state: locked.fields[0] === 'live' ? ('live' as const) : ('stale' as const), owner: parseKeyValues(decodeField(locked.fields[1])) };
    return { ...base, error: `${describeLock(lock)}: verify waits for the host lock${lock.state === 'stale' ? ' (fleet deploy --break-lock clears a stale one)' : ''}`, ok: false };
  }
  if (!markers.some((m) => m.kind === 'end')) {
    const tail = res.stderr.trim().split('\n').slice(-3).join(' | ');
    return { ...base, error: `the probe stopped before its end (exit ${res.code ?? 'signal'})${tail ? `: ${tail}` : ''}; the gateway's reaper removes what it made`, ok: false };
  }
  const proof = hostProof(v, plan, markers);
  return { ...base, proof, ok: proof.ok };
}

export async function verifyFleet(hosts: Host[], opts: VerifyOptions & Pick<FleetOptions, 'forks' | 'ssh' | 'connect'>): Promise<VerifyHostReport[]> {
  return withEachHost<VerifyHostReport>(
    hosts,
    opts,
    async (host, t, started) => ({ ...(await verifyHost(host, t, opts)), roundTrips: t.roundTrips, seconds: (performance.now() - started) / 1000 }),
    (host, err, t, started) => {
      if (t && !(err instanceof TransportError)) throw err;
      const reason = err instanceof TransportError ? `${err.reason}: ${err.message.replace(`${host.name}: `, '')}` : (err as FleetError).message;
      // Reached, then lost mid-probe: the gateway's reaper removes the probe.
      if (t) return { host: host.name, reachable: true, error: `the connection dropped during the probe (${reason}); the gateway's reaper removes what it made`, ok: false, roundTrips: t.roundTrips, seconds: (performance.now() - started) / 1000 };
      return { host: host.name, reachable: false, unreachableReason: reason, ok: false, roundTrips: 0, seconds: (performance.now() - started) / 1000 };
    },
  );
}

/** Exit code as status's: 2 when a reached host failed a proof, 3 when any was unreachable (and none failed). */
export function exitCodeForVerify(reports: readonly VerifyHostReport[]): number {
  if (reports.some((r) => r.reachable && !r.ok)) return 2;
  if (reports.some((r) => !r.reachable)) return 3;
  return 0;
}
