/**
 * Time flags are bounded (security review item 13): a value out of range is bad input (exit 4)
 * whose message says the range, before any host is contacted. (The built CLI; the inventory points
 * at a closed port on 127.0.0.1, so even a bug could reach nothing.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetCli } from './lab/cli.js';

let dir: string;
let inv: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-bounds-'));
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = s.address() as net.AddressInfo;
      s.close(() => resolve(p));
    });
  });
  writeFileSync(path.join(dir, 'p.ovpn'), 'client\n');
  inv = path.join(dir, 'inv.yaml');
  writeFileSync(inv, `all:\n  hosts:\n    gw1:\n      host: 127.0.0.1\n      port: ${port}\n      wan_interface: ens5\n      wan_ip: 10.0.1.191\n      vpn_server_ip: 198.51.100.20\n      openvpn_config_file: ${dir}/p.ovpn\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('time flags are bounded', () => {
  it.each([
    [['deploy', 'INV', '-T', '3000000'], "--connect-timeout: expected a whole number of seconds from 1 to 300, got '3000000'"],
    [['deploy', 'INV', '--connect-timeout', '0'], "--connect-timeout: expected a whole number of seconds from 1 to 300, got '0'"],
    [['status', '-i', 'INV', '-T', '301'], "--connect-timeout: expected a whole number of seconds from 1 to 300, got '301'"],
    [['rollback', 'gw1', '-i', 'INV', '--yes', '-T', '1e9'], "--connect-timeout: expected a whole number of seconds from 1 to 300, got '1e9'"],
    [['peer', 'list', '-i', 'INV', '-T', '99999999999'], "--connect-timeout: expected a whole number of seconds from 1 to 300, got '99999999999'"],
    [['deploy', 'INV', '--confirm-timeout', '3000000'], "--confirm-timeout: expected a whole number of seconds from 5 to 3600, got '3000000'"],
    [['deploy', 'INV', '--confirm-timeout', '2'], "--confirm-timeout: expected a whole number of seconds from 5 to 3600, got '2'"],
  ])('fleet %j is bad input naming the range', async (args, message) => {
    const r = await fleetCli(args.map((a) => (a === 'INV' ? inv : a)));
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(message);
  });

  it('the range is in --help', async () => {
    const r = await fleetCli(['deploy', '--help']);
    expect(r.stdout).toMatch(/--connect-timeout <seconds>\s+SSH connect timeout, 1-300/);
    expect(r.stdout).toMatch(/--confirm-timeout <seconds>[\s\S]*5-3600 s/);
  });

  it('values inside the range are accepted (the closed port then makes gw1 unreachable: exit 3)', async () => {
    const r = await fleetCli(['deploy', inv, '--check', '-T', '300', '--confirm-timeout', '3600', '--json']);
    expect(r.code).toBe(3);
    expect(r.json.hosts[0].status).toBe('unreachable');
  });
});
