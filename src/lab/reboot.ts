/**
 * A simulated reboot of one gateway: its init (and with it every process of the gateway) dies,
 * its network namespace is deleted and made anew (so wg0, ip rules, iptables, sysctls and nested
 * namespaces are gone, as after a real reboot), and its init runs again. /etc, /var, /usr, /root
 * and /home come back from the state dir's upper dirs; /run and /tmp start empty. The WAN
 * interface keeps its MAC, so no neighbour cache on the switch goes stale.
 *
 * Then it boots (`bootGateway`): what systemd would start for the units the gateway has enabled.
 * Lab gateways have no systemd (PID 1 is sshd), so fleet's systemd-unit-enabled module records an
 * enabled unit as a marker file, /etc/fleet/enabled/<unit>, on the gateway's disk; the boot reads
 * those markers: `wg-quick@IF` runs `wg-quick up IF`, whose PostUp runs fleet's generated
 * IF-up.sh (every runtime resource: namespaces, routes, rules, iptables, dnsmasq, OpenVPN).
 * Other units (dnsmasq) have no service of their own here: on a host without systemd fleet runs
 * them as pidfile daemons, which the up script starts.
 *
 * A systemd lab gateway reboots for real instead (src/lab/systemd-reboot.ts).
 */
import path from 'node:path';
import { LabError } from './errors.js';
import { gatewayPlanIn } from './names.js';
import { enter, isAlive, sleep } from './run.js';
import { labPaths, readRecord, writeRecord, type LabGateway, type LabState } from './state.js';
import { renewGatewayNetns } from './switch.js';
import { startGateway } from './gateway.js';
import { tcpOpenFromBastion } from './bastion.js';
import { startRelay } from './rtt.js';
import { findGateway } from './exec.js';
import { shellAsset } from '../shell/asset.js';
import { rebootSystemdGateway } from './systemd-reboot.js';

export const ENABLED_DIR = '/etc/fleet/enabled';

export interface BootResult {
  gateway: string;
  /** Enabled units, as the markers name them. */
  enabled: string[];
  /** One line per unit: what the boot did with it. */
  lines: string[];
  /** False when a unit failed to start (its log is in lines). */
  ok: boolean;
  /** systemd gateways: `systemctl is-system-running` once booted (running, degraded). */
  systemState?: string;
  /** systemd gateways: the units that failed this boot. */
  failedUnits?: string[];
}

const BOOT_SCRIPT = shellAsset(import.meta.url, 'boot-units.sh');

/** Runs what a boot runs for the units the gateway has enabled (see the header). */
export async function bootGateway(state: LabState, gw: string | LabGateway): Promise<BootResult> {
  const g = findGateway(state, gw);
  const r = await enter(g.initPid, BOOT_SCRIPT, { args: [ENABLED_DIR], timeoutMs: 120_000 });
  const enabled: string[] = [];
  const lines: string[] = [];
  for (const l of r.stdout.split('\n')) {
    if (l.startsWith('@@unit ')) enabled.push(l.slice(7));
    else if (l.trim()) lines.push(l);
  }
  if (r.stderr.trim()) lines.push(...r.stderr.trim().split('\n'));
  return { gateway: g.name, enabled, lines, ok: r.code === 0 };
}

/**
 * Reboots `gw` and returns the lab state with its new init pid (the record is updated too). With
 * `boot` (the default) it then runs `bootGateway`; `onBoot` receives what that did.
 */
export async function rebootGateway(
  state: LabState,
  gw: string | LabGateway,
  opts: { boot?: boolean; onBoot?: (r: BootResult) => void } = {},
): Promise<LabState> {
  if (state.systemd) {
    if (opts.boot === false) throw new LabError('--no-boot is for namespace gateways: a systemd gateway boots by its own units', { hint: 'fleet lab reboot <gw>' });
    return rebootSystemdGateway(state, gw, opts);
  }
  const g = findGateway(state, gw);
  const plan = gatewayPlanIn(Number(g.name.replace(/^gw/, '')), !!state.benchRange);
  const rec = readRecord(state.stateDir);
  if (!rec?.status) throw new LabError('no lab record: is the lab up?', { hint: 'fleet lab up' });
  const mine = rec.processes.filter((p) => [`${g.name}:init`, `${g.name}:unshare`, `${g.name}:relay`].includes(p.role));
  for (const p of mine) {
    if (isAlive(p.pid, p.start)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  const deadline = Date.now() + 5000;
  while (mine.some((p) => isAlive(p.pid, p.start))) {
    if (Date.now() > deadline) throw new LabError(`${g.name} did not stop`);
    await sleep(20);
  }
  await renewGatewayNetns(plan);

  const P = labPaths(state.stateDir);
  const tcpProbe = state.bastion ? tcpOpenFromBastion : undefined;
  const relay = state.rttMs ? await startRelay(plan, state.rttMs, path.join(P.logs, `${g.name}-relay.log`)) : undefined;
  const s = await startGateway(plan, P.gateway(g.name), { initScript: P.gatewayInit, labDir: state.stateDir, logPath: path.join(P.logs, `${g.name}.log`), tcpProbe });
  rec.processes = [
    ...rec.processes.filter((p) => !mine.includes(p)),
    { role: `${g.name}:unshare`, pid: s.unsharePid, start: s.unshareStart },
    { role: `${g.name}:init`, pid: s.initPid, start: s.initStart },
    ...(relay ? [{ role: `${g.name}:relay`, pid: relay.pid, start: relay.start }] : []),
  ];
  rec.status = { ...rec.status, gateways: rec.status.gateways.map((x) => (x.name === g.name ? { ...x, initPid: s.initPid } : x)) };
  writeRecord(rec);
  const next: LabState = { ...rec.status, up: true };
  if (opts.boot ?? true) {
    const booted = await bootGateway(next, g.name);
    opts.onBoot?.(booted);
  }
  return next;
}
