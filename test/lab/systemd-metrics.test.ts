/**
 * Metrics on a systemd gateway (issue 17): with metrics_textfile, fleet-metrics.timer (not fleet's
 * supervised loop) rewrites the textfile; it passes `promtool check metrics`, names each peer, finds
 * the packaged dnsmasq.service by its unit, and reads the OpenVPN handshake from the journal where
 * there is no log file (the client under its unit logs to the journal only). A teardown leaves no unit behind: the gateway is as it was before.
 *
 * Everything on the gateway is asked over SSH, as an operator would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetCli } from './cli.js';
import { expectHealthyTextfile } from './metrics-textfile.js';
import type { BootResult } from '../../src/lab/reboot.js';
import { promtoolCheckMetrics } from '../../src/metrics/promtool.js';
import { connectClients, rebootGateway, snapshotGateway, sshRun, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let bare: string;
const TEXTFILE = '/var/lib/prometheus/node-exporter/fleet.prom';
const METRICS = ['-e', `metrics_textfile=${TEXTFILE}`, '-e', 'metrics_interval_seconds=5'];
const UNITS = 'fleet-metrics.timer fleet-metrics.service';
const OPENVPN_UNIT = 'openvpn-client@fleet-provider.service';

async function on(gw: string, script: string): Promise<string> {
  const r = await sshRun(lab, gw, script, { timeoutMs: 30_000 });
  expect(r.code, `${gw}: ${script}\n${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The textfile once it holds `want` (the timer writes it within its first second, then every 5 s; 30 s at most). */
async function textfile(want: RegExp): Promise<string> {
  let text = '';
  for (let i = 0; i < 120 && !want.test(text); i++) {
    if (i) await new Promise((r) => setTimeout(r, 250));
    text = await on('gw1', `cat ${TEXTFILE} 2>/dev/null; true`);
  }
  return text;
}

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 1, systemd: true }, suite);
  await on('gw1', 'systemctl is-system-running --wait >/dev/null; true');
  bare = await snapshotGateway(lab, 'gw1');
}, 300_000);
afterAll(() => teardownLab(), 60_000);

describe('metrics on a systemd gateway', () => {
  it('deploys fleet-metrics.timer, enabled and active, and no supervised loop', async () => {
    const d = await fleetCli(['deploy', lab.inventory, ...METRICS, '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    await connectClients(lab);
    const units = await on('gw1', `systemctl is-enabled fleet-metrics.timer; systemctl is-active fleet-metrics.timer; systemctl show -p Type --value fleet-metrics.service; ls /run/fleet/metrics.pid 2>&1 | grep -c 'No such'`);
    expect(units).toBe('enabled\nactive\noneshot\n1\n');
    expect(await on('gw1', 'systemctl list-timers --all --no-legend --plain fleet-metrics.timer | grep -c fleet-metrics.service')).toBe('1\n');
  });

  it('the timer writes the textfile: it passes promtool, names each peer, and finds dnsmasq by its unit', async () => {
    const text = await textfile(/^fleet_wireguard_peer_last_handshake_age_seconds\{/m);
    expectHealthyTextfile(text, lab, 'gw1');
    // fleet_dnsmasq_answering 1 above: the packaged dnsmasq.service keeps its own pidfile, not
    // fleet's, so the writer found it by `systemctl is-active`.
    expect(await on('gw1', 'ls /run/fleet/dnsmasq.pid 2>&1 | grep -c "No such"; systemctl is-active dnsmasq')).toBe('1\nactive\n');
    // Each write is a run of the service, which the timer starts again after the interval.
    const started = async () => (await on('gw1', 'systemctl show -p ExecMainStartTimestampMonotonic --value fleet-metrics.service')).trim();
    const first = await started();
    let later = first;
    for (let i = 0; i < 40 && later === first; i++) {
      await new Promise((r) => setTimeout(r, 250));
      later = await started();
    }
    expect(Number(later)).toBeGreaterThan(Number(first));
  });

  it('without a log file, the OpenVPN handshake comes from its unit\'s journal', async () => {
    // On a systemd gateway the client is openvpn-client@fleet-provider, which logs to its journal
    // alone. The installed writer, once, with settings that also name no log file; the unit
    // restarted, so the handshake it reads is one made a moment ago.
    const conf = `sed -e 's|^OPENVPN_LOG=.*|OPENVPN_LOG=/nonexistent|' -e 's|^TEXTFILE=.*|TEXTFILE=/tmp/fleet-test.prom|' /etc/fleet/metrics.conf > /tmp/fleet-test.conf`;
    const once = `sh /usr/local/lib/fleet/metrics-textfile.sh once /tmp/fleet-test.conf && grep ^fleet_upstream /tmp/fleet-test.prom`;
    try {
      expect(await on('gw1', `ls /run/fleet/openvpn.log 2>&1 | grep -c 'No such'; ${conf} && systemctl restart ${OPENVPN_UNIT}`)).toBe('1\n');
      let text = '';
      for (let i = 0; i < 60 && !/^fleet_upstream_up 1\nfleet_upstream_last_handshake_age_seconds/.test(text); i++) {
        if (i) await new Promise((r) => setTimeout(r, 500));
        text = await on('gw1', once);
      }
      expect(text).toMatch(/^fleet_upstream_up 1\nfleet_upstream_last_handshake_age_seconds ([0-9]|[1-3][0-9])\n$/);
    } finally {
      await on('gw1', 'rm -f /tmp/fleet-test.conf /tmp/fleet-test.prom');
    }
  });

  it('fleet status reads the gateway healthy and in sync, and --verbose shows the timer waiting, its last run a success', async () => {
    const r = await fleetCli(['status', '-i', lab.inventory, ...METRICS, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json.hosts[0]).toMatchObject({ healthy: true, inSync: true });
    expect(r.json.hosts[0].health.openvpn.handshakeAgeS).toBeGreaterThanOrEqual(0);
    expect(r.json.hosts[0].metricsTimer).toMatchObject({ state: 'active', lastResult: 'success' });
    expect(r.json.hosts[0].metricsTimer.lastRunAgeS).toBeLessThanOrEqual(6);
    const v = await fleetCli(['status', '-i', lab.inventory, ...METRICS, '--verbose']);
    expect(v.stdout).toMatch(/^ {2}gw1 metrics timer: active, last run [0-6]s ago \(success\)$/m);
  });

  it('a teardown stops and removes the timer and the service: no unit is left, the gateway is as before', async () => {
    const r = await fleetCli(['rollback', 'gw1', '-i', lab.inventory, ...METRICS, '--yes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await on('gw1', `systemctl list-units --all --no-legend --plain ${UNITS}; systemctl list-unit-files --no-legend ${UNITS}; ls /etc/systemd/system | grep -c fleet-; true`)).toBe('0\n');
    expect(await snapshotGateway(lab, 'gw1')).toBe(bare);
  });

  it('deployed again and rebooted: the enabled timer starts at boot and writes in the new boot', async () => {
    const d = await fleetCli(['deploy', lab.inventory, ...METRICS, '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    let boot: BootResult | undefined;
    lab = await rebootGateway(lab, 'gw1', { onBoot: (r) => (boot = r) });
    expect(boot).toMatchObject({ systemState: 'running', failedUnits: [], ok: true });
    expect(boot!.enabled).toContain('fleet-metrics.timer');
    await on('gw1', `rm -f ${TEXTFILE}`);
    // Its first run may come before wg-quick@wg0's: the file is rewritten every 5 s.
    const text = await textfile(/^fleet_upstream_up 1$/m);
    expect(promtoolCheckMetrics(text).output).toBe('');
    expect(text).toMatch(/^fleet_wireguard_up 1$/m);
    // The monotonic clock restarts at boot: a run of the service is one of this boot, by the timer.
    const ran = await on('gw1', 'systemctl is-active fleet-metrics.timer; systemctl show -P ExecMainStartTimestampMonotonic fleet-metrics.service; ls /run/fleet/metrics.pid 2>&1 | grep -c "No such"');
    expect(ran).toMatch(/^active\n[1-9]\d*\n1\n$/);
    // Debian's openvpn package starts a client for every /etc/openvpn/*.conf at boot, in the
    // gateway's own namespace: fleet's config is not one of them, so no openvpn@ unit runs and the
    // main table has none of the provider's routes.
    const other = await on('gw1', "systemctl list-units --no-legend --plain 'openvpn@*' | wc -l; ip -4 route show table main | grep -c 'dev tun' ; true");
    expect(other).toBe('0\n0\n');
    const r = await fleetCli(['rollback', 'gw1', '-i', lab.inventory, ...METRICS, '--yes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await on('gw1', `systemctl list-units --all --no-legend --plain ${UNITS}; systemctl list-unit-files --no-legend ${UNITS}; ls /etc/systemd/system | grep -c fleet-; true`)).toBe('0\n');
  });
});
