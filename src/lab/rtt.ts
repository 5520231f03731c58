/**
 * `lab up --rtt 50ms`: each gateway's sshd moves to 127.0.0.1:2222 inside the gateway, and a
 * delaying relay (src/lab/rtt-relay.ts) takes its place on port 22, adding half the round trip to
 * every chunk in each direction. The relay runs in the gateway's network namespace only (started
 * with `ip netns exec`, before the gateway's init, listening on every address of that namespace),
 * so whatever reaches the gateway's SSH port, the controller's floor included, pays the distance.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LabError } from './errors.js';
import { SSH_PORT, type GatewayPlan } from './names.js';
import { LAB_ENV, processStartTime, spawnDaemon, waitFor } from './run.js';
import { repoRoot } from './state.js';

/** Where a gateway's sshd listens when the relay holds its SSH port. */
export const RELAYED_SSHD = { address: '127.0.0.1', port: 2222 } as const;
/** Longest round trip the lab simulates: past that nothing lab-sized stays within its timeouts. */
export const MAX_RTT_MS = 2000;

/** `50ms`, `0.05s`, `50` (milliseconds) or `0`: whole milliseconds. */
export function parseRtt(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/.exec(text);
  const ms = m ? Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1)) : NaN;
  if (!Number.isFinite(ms) || ms > MAX_RTT_MS) throw new LabError(`--rtt: expected a round trip like 50ms or 0.1s (0 to ${MAX_RTT_MS}ms), got '${text}'`);
  return ms;
}

function relayScript(): string {
  const file = path.join(repoRoot(), 'dist', 'src', 'lab', 'rtt-relay.js');
  if (!existsSync(file)) throw new LabError(`the rtt relay is not built (${file} is missing)`, { hint: 'npm run build' });
  return file;
}

export interface StartedRelay {
  pid: number;
  start: number;
}

/** Starts the relay in `g`'s namespace (before its init: it listens on every address there). */
export async function startRelay(g: GatewayPlan, rttMs: number, logPath: string, timeoutMs = 10_000): Promise<StartedRelay> {
  const oneWay = Math.round(rttMs / 2);
  const pid = spawnDaemon(['ip', 'netns', 'exec', g.netns, process.execPath, relayScript(), '0.0.0.0', String(SSH_PORT), RELAYED_SSHD.address, String(RELAYED_SSHD.port), String(oneWay)], logPath, LAB_ENV);
  const start = processStartTime(pid) ?? 0;
  await waitFor(`${g.name}'s rtt relay`, timeoutMs, () => {
    const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    if (processStartTime(pid) === undefined) throw new LabError(`${g.name}'s rtt relay did not start:\n    ${log.trim().split('\n').slice(-5).join('\n    ')}`, { hint: `its log: ${logPath}` });
    return log.includes('rtt-relay listening') ? true : undefined;
  }, 20);
  return { pid, start };
}
