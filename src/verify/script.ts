/**
 * The verify round trip: probe.sh with its settings in front, sent on stdin like every fleet
 * script. cleanup.sh travels inside it (base64) and is written to the probe's state dir on the
 * gateway, where the reaper and the normal end both run it.
 */
import { randomBytes } from 'node:crypto';
import type { HostVars } from '../inventory/schema.js';
import { shellAsset } from '../shell/asset.js';
import { raw, sh, Shell } from '../shell/sh.js';
import { parseCidr } from '../types/net.js';
import { DEFAULT_STATE_DIR } from '../engine/layout.js';
import { LOCK_SHELL } from '../engine/journal/shell.js';
import { HALVES, probeAddress, type Half } from './probe-address.js';

const PROBE = shellAsset(import.meta.url, 'probe.sh');
const CLEANUP = shellAsset(import.meta.url, 'cleanup.sh');

export const DEFAULT_PROBE_TIMEOUT_S = 60;

/** The one-letter tag of a half in the probe's names (interface names have 15 characters). */
export const HALF_TAG: Record<Half, string> = { direct: 'd', vpn: 'v' };

export interface VerifyScriptOptions {
  token: string;
  /** Seconds after which the gateway removes the probe by itself. */
  timeoutS?: number;
  /** On-host state dir (the host lock). */
  stateDir?: string;
  user?: string;
  controller?: string;
  /** Tests only: hold the probe this long once it is set up. */
  pauseS?: number;
}

export interface VerifyPlan {
  id: string;
  echoUrl: string;
  names: { name: string; ip: string }[];
  probes: { half: Half; address: string }[];
}

export function newProbeId(): string {
  return randomBytes(3).toString('hex');
}

export function verifyPlan(v: HostVars, echoUrl: string, id = newProbeId()): VerifyPlan {
  return { id, echoUrl, names: v.verify_names ?? v.dns_entries, probes: HALVES.map((half) => ({ half, address: probeAddress(v, half) })) };
}

export function verifyScript(v: HostVars, plan: VerifyPlan, o: VerifyScriptOptions): Shell {
  const timeoutS = Math.max(5, Math.floor(o.timeoutS ?? DEFAULT_PROBE_TIMEOUT_S));
  const stateDir = o.stateDir ?? DEFAULT_STATE_DIR;
  // What cleanup.sh needs, as sh assignments it sources.
  const env = Shell.join([
    sh`ID=${plan.id}`,
    sh`WG=${v.wg_interface}`,
    sh`WAN_IF=${v.wan_interface}`,
    sh`DNSMASQ_USER=${v.dnsmasq_user}`,
    sh`J=${stateDir}`,
    sh`TIMEOUT_S=${String(timeoutS)}`,
  ]);
  const settings = Shell.join([
    sh`T=${o.token}`,
    env,
    sh`WG_PORT=${String(v.wg_port)}`,
    sh`WG_MTU=${String(v.wg_mtu)}`,
    sh`DNS_SERVER=${parseCidr(v.wg_address)!.address}`,
    sh`ECHO_URL=${plan.echoUrl}`,
    sh`NAMES=${plan.names.map((n) => n.name).join(' ')}`,
    // A name nobody has cached, so dnsmasq must ask its upstream (the answer does not matter).
    sh`UPSTREAM_NAME_SUFFIX=invalid`,
    sh`PROBES=${plan.probes.map((p) => `${HALF_TAG[p.half]} ${p.address}`).join(' ')}`,
    sh`HTTP_TIMEOUT_S=5`,
    sh`FLEET_USER=${o.user ?? 'fleet'}`,
    sh`FLEET_CONTROLLER=${o.controller ?? 'fleet'}`,
    sh`PAUSE_S=${String(Math.max(0, Math.floor(o.pauseS ?? 0)))}`,
    sh`ENV_B64=${Buffer.from(`${env.text}\n`).toString('base64')}`,
    sh`CLEANUP_B64=${Buffer.from(CLEANUP).toString('base64')}`,
  ]);
  // The host lock is the engine's (lock.sh): the same owner record, and a dead owner's lock told
  // from a live one by pid and start time.
  return Shell.join([settings, raw(LOCK_SHELL), raw(PROBE)]);
}
