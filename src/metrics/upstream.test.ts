/**
 * The OpenVPN handshake the status probe reads (upstream-handshake.sh): the latest "Peer Connection
 * Initiated" of the client's log, as the gateway's clock reads its local timestamps.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseHealth } from '../roles/health.js';
import { loadInventoryText } from '../inventory/index.js';
import { desiredState } from '../roles/tasks.js';
import { OPENVPN_LOG, OPENVPN_UNIT, upstreamHandshakeProbe } from './upstream.js';


const INVENTORY = `all:\n  hosts:\n    gw1:\n      host: 198.51.100.11\n      wan_interface: ens5\n      wan_ip: 198.51.100.11\n      vpn_server_ip: 198.51.100.2\n      openvpn_config_file: /etc/hostname\n`;

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-upstream-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function handshake(log: string, tz = 'UTC'): string {
  const r = spawnSync('sh', ['-c', `${upstreamHandshakeProbe().text.replace(OPENVPN_LOG, '"$1"')}\necho "[$fleet_h_hs]"`, 'sh', log], { encoding: 'utf8', env: { ...process.env, TZ: tz } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('the upstream handshake probe', () => {
  it('reads the latest handshake of the log, after renegotiations', () => {
    const log = path.join(dir, 'openvpn.log');
    writeFileSync(
      log,
      [
        '2026-12-03 10:00:00 OpenVPN 2.6.3 x86_64-pc-linux-gnu',
        '2026-12-03 10:00:01 [provider] Peer Connection Initiated with [AF_INET]10.99.0.2:1194',
        '2026-12-03 10:00:02 Initialization Sequence Completed',
        '2026-12-03 11:00:01 [provider] Peer Connection Initiated with [AF_INET]10.99.0.2:1194',
        '2026-12-03 11:00:05 Data Channel: cipher AES-256-GCM',
      ].join('\n'),
    );
    expect(handshake(log)).toBe(`[${Date.UTC(2026, 11, 3, 11, 0, 1) / 1000}]`);
    // OpenVPN writes local time: the gateway's zone turns it into the epoch.
    expect(handshake(log, 'Etc/GMT-2')).toBe(`[${Date.UTC(2026, 11, 3, 9, 0, 1) / 1000}]`);
  });

  it('says nothing before the first handshake or without a log (and no systemd here)', () => {
    const log = path.join(dir, 'openvpn.log');
    writeFileSync(log, '2026-12-03 10:00:00 OpenVPN 2.6.3 x86_64-pc-linux-gnu\n2026-12-03 10:00:01 TCP/UDP: Preserving recently used remote address\n');
    expect(handshake(log)).toBe('[]');
    expect(handshake(path.join(dir, 'absent.log'))).toBe('[]');
  });

  it('becomes the status report\'s handshake age, on the controller\'s clock as the peers\' ages are', () => {
    const b64 = Buffer.from('10.8.0.2/24').toString('base64');
    const v = loadInventoryText(INVENTORY, 'inv.yaml').hosts[0]!.vars;
    expect(parseHealth([{ kind: 'openvpn', fields: ['10', b64, '1000'] }], v, 1090).openvpn).toEqual({ running: true, pid: 10, tun: { up: true, address: '10.8.0.2/24' }, handshakeAgeS: 90 });
    expect(parseHealth([{ kind: 'openvpn', fields: ['10', b64, '-'] }], v, 1090).openvpn.handshakeAgeS).toBeUndefined();
  });

  it('looks where the textfile writer looks (roles/metrics settings)', () => {
    const v = loadInventoryText(`${INVENTORY}      metrics_textfile: /var/lib/prometheus/node-exporter/fleet.prom\n`, 'inv.yaml').hosts[0]!.vars as unknown as Record<string, unknown>;
    const conf = desiredState(v, ['metrics']).find((d) => d.resource.id === 'file:/etc/fleet/metrics.conf')!.resource.desiredContent!;
    expect(conf).toContain(`\nOPENVPN_LOG=${OPENVPN_LOG}\n`);
    expect(conf).toContain(`\nOPENVPN_UNIT=${OPENVPN_UNIT}\n`);
  });
});
