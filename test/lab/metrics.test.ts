/**
 * Metrics on the lab (issue 17): `fleet status --format prometheus` and the on-gateway textfile
 * (metrics_textfile) both pass `promtool check metrics`, and the textfile names each peer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promtoolCheckMetrics } from '../../src/metrics/promtool.js';
import { fleetCli } from './cli.js';
import { expectHealthyTextfile } from './metrics-textfile.js';
import { connectClients, gatewayExec, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let inv: string;
const TEXTFILE = '/var/lib/prometheus/node-exporter/fleet.prom';

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 3 }, suite);
  inv = lab.inventory;
  const d = await fleetCli(['deploy', inv, '--json']);
  if (d.code !== 0) throw new Error(`deploy failed: ${d.stdout}${d.stderr}`);
  await connectClients(lab);
}, 600_000);
afterAll(async () => {
  // The metrics role is not in the lab's inventory: stop its loop and remove its files for later tests.
  if (lab?.gateways.length) await gatewayExec(lab, 'gw1', `p=$(cat /run/fleet/metrics.pid 2>/dev/null) && kill "$p"; rm -rf /usr/local/lib/fleet /etc/fleet/metrics.conf /etc/fleet/enabled/fleet-metrics.timer /etc/systemd/system/fleet-metrics.* /run/fleet/metrics.pid /var/lib/prometheus /run/fleet/daemons/fleet-metrics.*`);
  await teardownLab();
});

describe('metrics', () => {
  it('status --format prometheus passes promtool and names every peer', async () => {
    const r = await fleetCli(['status', '-i', inv, '--format', 'prometheus']);
    expect(r.code, r.stderr).toBe(0);
    const check = promtoolCheckMetrics(r.stdout);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
    for (const g of lab.gateways) {
      expect(r.stdout).toContain(`fleet_gateway_state{host="${g.name}",state="healthy"} 1`);
      expect(r.stdout).toContain(`fleet_upstream_up{host="${g.name}"} 1`);
      // From the OpenVPN client's log on the gateway: it shook hands when the deploy started it.
      expect(r.stdout).toMatch(new RegExp(`^fleet_upstream_last_handshake_age_seconds\\{host="${g.name}"\\} \\d+$`, 'm'));
    }
    for (const c of lab.clients) expect(r.stdout).toMatch(new RegExp(`fleet_wireguard_peer_receive_bytes_total\\{host="${c.gateway}",peer="${c.name}",public_key="[^"]+"\\} [1-9]\\d*`));
  });

  it('metrics_textfile: a loop on the gateway writes the textfile, which passes promtool and names each peer', async () => {
    const d = await fleetCli(['deploy', inv, '--limit', 'gw1', '-e', `metrics_textfile=${TEXTFILE}`, '-e', 'metrics_interval_seconds=5', '--json']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    let text = '';
    for (let i = 0; i < 50 && !text.includes('fleet_upstream_up'); i++) {
      text = (await gatewayExec(lab, 'gw1', `cat ${TEXTFILE} 2>/dev/null`)).stdout;
      if (!text) await new Promise((r) => setTimeout(r, 200));
    }
    expectHealthyTextfile(text, lab, 'gw1');
    // Rewritten in place by rename: the file's inode changes between two writes, no temp file stays.
    const ino = async () => (await gatewayExec(lab, 'gw1', `stat -c %i ${TEXTFILE}; ls ${TEXTFILE}.* 2>/dev/null | wc -l`)).stdout.trim();
    const first = await ino();
    let second = first;
    for (let i = 0; i < 40 && second.split('\n')[0] === first.split('\n')[0]; i++) {
      await new Promise((r) => setTimeout(r, 250));
      second = await ino();
    }
    expect(second.split('\n')[0]).not.toBe(first.split('\n')[0]);
    expect(second.split('\n')[1]).toBe('0');
    // The deploy converged: the role's resources hold.
    const again = await fleetCli(['deploy', inv, '--limit', 'gw1', '-e', `metrics_textfile=${TEXTFILE}`, '-e', 'metrics_interval_seconds=5', '--json']);
    expect(again.code).toBe(0);
    expect(again.json.hosts[0].changed).toBe(0);
    // Without systemd the loop writes: status has no timer to show.
    const st = await fleetCli(['status', '-i', inv, '--limit', 'gw1', '-e', `metrics_textfile=${TEXTFILE}`, '-e', 'metrics_interval_seconds=5', '--json']);
    expect(st.json.hosts[0].healthy).toBe(true);
    expect(st.json.hosts[0].metricsTimer).toBeUndefined();
  });
});
