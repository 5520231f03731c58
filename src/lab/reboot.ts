/**
 * A simulated reboot of one gateway: its init (and with it every process of the gateway) dies,
 * its network namespace is deleted and made anew (so wg0, ip rules, iptables, sysctls and nested
 * namespaces are gone, as after a real reboot), and its init runs again. /etc, /var, /usr, /root
 * and /home come back from the state dir's upper dirs; /run and /tmp start empty. The WAN
 * interface keeps its MAC, so no neighbour cache on the switch goes stale.
 */
import { LabError } from './errors.js';
import { SWITCH_NS, gatewayPlan } from './names.js';
import { isAlive, run, runOk, sleep } from './run.js';
import { labPaths, readRecord, writeRecord, type LabGateway, type LabState } from './state.js';
import { plugBatch, portLine, gatewayPort } from './switch.js';
import { startGateway } from './gateway.js';
import { findGateway } from './exec.js';
import path from 'node:path';

/** Reboots `gw` and returns the lab state with its new init pid (the record is updated too). */
export async function rebootGateway(state: LabState, gw: string | LabGateway): Promise<LabState> {
  const g = findGateway(state, gw);
  const plan = gatewayPlan(Number(g.name.replace(/^gw/, '')));
  const rec = readRecord(state.stateDir);
  if (!rec?.status) throw new LabError('no lab record: is the lab up?', { hint: 'fleet lab up' });
  const mine = rec.processes.filter((p) => p.role === `${g.name}:init` || p.role === `${g.name}:unshare`);
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
  // Deleting the switch end deletes the pair at once; the namespace itself is freed lazily.
  await run(['ip', '-n', SWITCH_NS, 'link', 'del', plan.switchPort]);
  await runOk(['ip', 'netns', 'del', plan.netns], { what: `ip netns del ${plan.netns}` });
  await runOk(['ip', '-batch', '-'], { input: `netns add ${plan.netns}\n${portLine(gatewayPort(plan))}\n`, what: `recreating ${plan.netns}` });
  await runOk(['ip', '-n', SWITCH_NS, '-batch', '-'], { input: `${plugBatch([plan.switchPort]).join('\n')}\n`, what: `plugging ${plan.switchPort}` });

  const P = labPaths(state.stateDir);
  const s = await startGateway(plan, P.gateway(g.name), { initScript: P.gatewayInit, labDir: state.stateDir, logPath: path.join(P.logs, `${g.name}.log`) });
  rec.processes = [
    ...rec.processes.filter((p) => !mine.includes(p)),
    { role: `${g.name}:unshare`, pid: s.unsharePid, start: s.unshareStart },
    { role: `${g.name}:init`, pid: s.initPid, start: s.initStart },
  ];
  rec.status = { ...rec.status, gateways: rec.status.gateways.map((x) => (x.name === g.name ? { ...x, initPid: s.initPid } : x)) };
  writeRecord(rec);
  return { ...rec.status, up: true };
}
