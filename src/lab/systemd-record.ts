/**
 * A systemd gateway's pids change with each boot, also one the gateway does by itself
 * (`systemctl reboot` inside): the record is brought up to date from the supervisors' nspawn.pid
 * files before it is read for status, health or teardown.
 */
import { currentBoot, type BootPids } from './systemd-gateway.js';
import { labPaths, type LabRecord, type ProcRecord } from './state.js';

/** Sets gateway `name`'s processes (and its initPid in the status) in the record. */
export function setGatewayPids(rec: LabRecord, name: string, boot: BootPids, supervisor?: { pid: number; start: number }): boolean {
  const want: ProcRecord[] = [
    ...(supervisor ? [{ role: `${name}:supervisor`, pid: supervisor.pid, start: supervisor.start }] : []),
    { role: `${name}:nspawn`, pid: boot.nspawnPid, start: boot.nspawnStart },
    { role: `${name}:init`, pid: boot.initPid, start: boot.initStart },
  ];
  let changed = false;
  for (const w of want) {
    const have = rec.processes.find((p) => p.role === w.role);
    if (have && have.pid === w.pid && have.start === w.start) continue;
    rec.processes = [...rec.processes.filter((p) => p.role !== w.role), w];
    changed = true;
  }
  const g = rec.status?.gateways.find((x) => x.name === name);
  if (g && g.initPid !== boot.initPid) {
    g.initPid = boot.initPid;
    changed = true;
  }
  return changed;
}

/** Updates every systemd gateway of the record to its current boot; true when anything changed. */
export function refreshSystemdRecord(rec: LabRecord): boolean {
  if (!rec.options.systemd || !rec.status) return false;
  let changed = false;
  for (const g of rec.status.gateways) {
    const boot = currentBoot(labPaths(rec.stateDir).gateway(g.name));
    if (boot && setGatewayPids(rec, g.name, boot)) changed = true;
  }
  return changed;
}
