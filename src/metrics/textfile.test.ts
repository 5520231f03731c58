/**
 * The on-gateway textfile writer (roles/metrics): the same metric families as status's output,
 * a real shell program (sh -n, shellcheck), and only in the desired state when metrics_textfile is set.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkShellFiles } from '../../test/support/shell-files.js';
import { loadInventoryText } from '../inventory/index.js';
import { rolesDir } from '../roles/defaults.js';
import { desiredState } from '../roles/tasks.js';
import { GATEWAY_METRICS } from './gateway-metrics.js';

const templates = path.join(rolesDir(), 'metrics', 'templates');
const script = path.join(templates, 'metrics-textfile.sh');

function vars(extra = '') {
  const text = `all:\n  hosts:\n    gw1:\n      host: 198.51.100.11\n      wan_interface: ens5\n      wan_ip: 198.51.100.11\n      vpn_server_ip: 198.51.100.2\n      openvpn_config_file: /etc/hostname\n${extra}`;
  return loadInventoryText(text, 'inv.yaml').hosts[0]!.vars as unknown as Record<string, unknown>;
}

describe("the metrics role's shell programs", () => checkShellFiles(templates, ['metrics-textfile.sh', 'upstream-handshake.sh']));

describe('the metrics textfile writer', () => {
  it('declares exactly the gateway families of fleet status --format prometheus', () => {
    const r = spawnSync('sh', [script, 'help'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const want = Object.values(GATEWAY_METRICS).flatMap((d) => [`# HELP ${d.name} ${d.help}`, `# TYPE ${d.name} ${d.type}`]);
    expect(r.stdout.trim().split('\n')).toEqual(want);
  });

  it('has the upstream handshake function rendered in, and still parses', () => {
    const on = desiredState(vars('      metrics_textfile: /var/lib/prometheus/node-exporter/fleet.prom\n'), ['metrics']);
    const rendered = on[0]!.resource.desiredContent!;
    expect(rendered).toContain('fleet_upstream_handshake() {');
    expect(rendered).not.toMatch(/\{%|%\}/);
    expect(spawnSync('sh', ['-n'], { input: rendered }).status).toBe(0);
  });

  it('is in the desired state only with metrics_textfile, rendered as it is written', () => {
    expect(desiredState(vars(), ['metrics'])).toEqual([]);
    const on = desiredState(vars('      metrics_textfile: /var/lib/prometheus/node-exporter/fleet.prom\n'), ['metrics']);
    expect(on.map((d) => d.resource.id)).toEqual([
      'file:/usr/local/lib/fleet/metrics-textfile.sh',
      'file:/etc/fleet/metrics.conf',
      'file:/etc/systemd/system/fleet-metrics.service',
      'file:/etc/systemd/system/fleet-metrics.timer',
      'daemon:fleet-metrics',
      'systemd-unit-enabled:fleet-metrics.timer',
    ]);
  });

  it('has a systemd timer that runs the writer once at start, then every interval', () => {
    const on = desiredState(vars('      metrics_textfile: /var/lib/prometheus/node-exporter/fleet.prom\n      metrics_interval_seconds: 15\n'), ['metrics']);
    const content = (id: string) => on.find((d) => d.resource.id === id)!.resource.desiredContent!;
    const service = content('file:/etc/systemd/system/fleet-metrics.service');
    const timer = content('file:/etc/systemd/system/fleet-metrics.timer');
    expect(service).toMatch(/^Type=oneshot$/m);
    expect(service).toMatch(/^ExecStart=\/bin\/sh \/usr\/local\/lib\/fleet\/metrics-textfile\.sh once \/etc\/fleet\/metrics\.conf$/m);
    for (const l of ['OnActiveSec=0', 'OnUnitActiveSec=15s', 'AccuracySec=1s', 'WantedBy=timers.target']) expect(timer.split('\n')).toContain(l);
    // A changed service changes the timer's file, whose change makes fleet reload systemd.
    for (const l of service.trimEnd().split('\n')) expect(timer).toContain(`# ${l}`);
  });

  it('refuses a textfile the collector would not read', () => {
    expect(() => vars('      metrics_textfile: /var/lib/node-exporter/fleet.txt\n')).toThrow(/metrics_textfile.*ending in \.prom/s);
  });
});
