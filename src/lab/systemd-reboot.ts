/**
 * `fleet lab reboot` of a systemd gateway: a real reboot. `systemctl reboot` goes in over SSH, as
 * an operator would type it; systemd stops the gateway's units and nspawn exits 133; the
 * supervisor wipes the gateway's network namespace and boots it again, and the gateway comes back
 * by its own enabled units. A gateway that was powered off is powered on (with a wiped network
 * namespace too). Waits for `systemctl is-system-running` to say running or degraded.
 */
import path from 'node:path';
import { LabError } from './errors.js';
import { gatewayPlan } from './names.js';
import { enter, isAlive } from './run.js';
import { labPaths, readRecord, writeRecord, type LabGateway, type LabState } from './state.js';
import { findGateway } from './exec.js';
import { labSsh } from './ssh.js';
import { renewGatewayNetns } from './switch.js';
import { currentBoot, failedUnits, startSystemdGateway, waitForBoot } from './systemd-gateway.js';
import { setGatewayPids } from './systemd-record.js';
import { imageKey, ensureImage } from './image.js';
import type { BootResult } from './reboot.js';

/** Enabled units as symlinks in /etc/systemd/system/*.wants say (instances included). */
const ENABLED_UNITS = 'for f in /etc/systemd/system/*.wants/*; do [ -e "$f" ] && echo "${f##*/}"; done | sort -u';

export async function rebootSystemdGateway(state: LabState, gw: string | LabGateway, opts: { onBoot?: (r: BootResult) => void } = {}): Promise<LabState> {
  const g = findGateway(state, gw);
  const plan = gatewayPlan(Number(g.name.replace(/^gw/, '')));
  const rec = readRecord(state.stateDir);
  if (!rec?.status || !state.systemd) throw new LabError('no systemd lab record: is the lab up?', { hint: 'fleet lab up --systemd' });
  const P = labPaths(state.stateDir);
  const dir = P.gateway(g.name);
  const logPath = path.join(P.logs, `${g.name}.log`);
  const sup = rec.processes.find((p) => p.role === `${g.name}:supervisor`);
  let booted: Awaited<ReturnType<typeof waitForBoot>>;
  if (sup && isAlive(sup.pid, sup.start)) {
    const before = currentBoot(dir);
    if (!before) throw new LabError(`${g.name} is not up (it may be booting or shutting down)`, { hint: `fleet lab status; its log: ${logPath}` });
    const r = await labSsh(state, g, 'systemctl reboot', { timeoutMs: 30_000 });
    // 255: the connection went down with sshd, which a reboot does.
    if (r.code !== 0 && r.code !== 255) throw new LabError(`systemctl reboot on ${g.name} failed (exit ${r.code}): ${r.stderr.trim()}`);
    booted = await waitForBoot(plan, dir, { supervisorPid: sup.pid, supervisorStart: sup.start, afterBoot: before.boot, logPath, timeoutMs: 180_000 });
  } else {
    if (currentBoot(dir)) throw new LabError(`${g.name} runs without its supervisor`, { hint: 'fleet lab up --systemd --fresh' });
    // Powered off: power it on, with the kernel state a powered-off machine loses.
    if (state.systemd.image !== imageKey()) throw new LabError(`${g.name} was built from image ${state.systemd.image}, which is no longer the current one`, { hint: 'fleet lab up --systemd --fresh' });
    await renewGatewayNetns(plan);
    const image = await ensureImage();
    const s = await startSystemdGateway(plan, dir, { image, variant: state.systemd.variant, logPath, timeoutMs: 180_000 });
    booted = s;
    setGatewayPids(rec, g.name, s, { pid: s.supervisorPid, start: s.supervisorStart });
  }
  setGatewayPids(rec, g.name, booted);
  writeRecord(rec);
  const next: LabState = { ...rec.status, up: true };
  opts.onBoot?.(await bootReport(g.name, booted.initPid, booted.systemState));
  return next;
}

/** What the boot brought up: enabled units, the system state, and each failed unit's last lines. */
async function bootReport(name: string, initPid: number, systemState: string): Promise<BootResult> {
  const enabled = (await enter(initPid, ENABLED_UNITS)).stdout.split('\n').filter(Boolean);
  const failed = systemState === 'running' ? [] : await failedUnits(initPid);
  const lines = [`${name}: systemctl is-system-running: ${systemState}`];
  for (const u of failed) {
    const j = await enter(initPid, 'journalctl -b -n 5 --no-pager -o cat -u "$1"', { args: [u] });
    lines.push(`${u} failed:`, ...j.stdout.trim().split('\n').filter(Boolean).map((l) => `  ${l}`));
  }
  return { gateway: name, enabled, lines, ok: systemState === 'running', systemState, failedUnits: failed };
}
