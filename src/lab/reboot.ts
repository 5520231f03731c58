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
 */
import { LabError } from './errors.js';
import { SWITCH_NS, gatewayPlan } from './names.js';
import { isAlive, run, runOk, sleep } from './run.js';
import { labPaths, readRecord, writeRecord, type LabGateway, type LabState } from './state.js';
import { plugBatch, portLine, gatewayPort } from './switch.js';
import { startGateway } from './gateway.js';
import { findGateway, gatewayExec } from './exec.js';
import path from 'node:path';

export const ENABLED_DIR = '/etc/fleet/enabled';

export interface BootResult {
  gateway: string;
  /** Enabled units, as the markers name them. */
  enabled: string[];
  /** One line per unit: what the boot did with it. */
  lines: string[];
  /** False when a unit failed to start (its log is in lines). */
  ok: boolean;
}

const BOOT_SCRIPT = `
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
d=${ENABLED_DIR}
[ -d "$d" ] || exit 0
rc=0
for f in "$d"/*; do
  [ -f "$f" ] || continue
  u=\${f##*/}
  echo "@@unit $u"
  case $u in
    wg-quick@*)
      i=\${u#wg-quick@}
      mkdir -p -m 0700 /run/fleet
      log=/run/fleet/boot-wg-quick-$i.log
      if wg-quick up "$i" </dev/null >"$log" 2>&1; then
        echo "$u: wg-quick up $i: ok"
        if grep -v '^\\[#\\]' "$log" | grep -E 'fleet:|: step [0-9]+ ' | sed "s|^|$u: |" | grep .; then rc=1; fi
      else
        rc=1; echo "$u: wg-quick up $i failed:"; tail -n 20 "$log"
      fi ;;
    *) echo "$u: no unit of its own without systemd (fleet's up script runs it)" ;;
  esac
done
exit $rc
`;

/** Runs what a boot runs for the units the gateway has enabled (see the header). */
export async function bootGateway(state: LabState, gw: string | LabGateway): Promise<BootResult> {
  const g = findGateway(state, gw);
  const r = await gatewayExec(state, g, BOOT_SCRIPT, { timeoutMs: 120_000 });
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
  const next: LabState = { ...rec.status, up: true };
  if (opts.boot ?? true) {
    const booted = await bootGateway(next, g.name);
    opts.onBoot?.(booted);
  }
  return next;
}
