/**
 * `fleet peer add | list | remove` on the lab (issue 9), on a copy of the lab inventory: the new
 * client, brought up from exactly the config fleet printed, reaches the echo service through the
 * provider and resolves the internal names; an existing client's ping across the change loses at
 * most one packet; remove cuts the new client off and leaves the others working; the inventory
 * file's comments survive.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SWITCH_NS, labMac } from '../../src/lab/names.js';
import { echoFrom } from '../../src/lab/proof.js';
import { startUnderlayClient, wgQuickUp } from '../../src/lab/clients.js';
import { decodePrintedQr } from '../../src/lab/qr-decode.js';
import { enter, isAlive, run, runOk, sleep } from '../../src/lab/run.js';
import { fleetCli } from './cli.js';
import { clientExec, connectClients, scratchInventory, teardownLab, useLab, type LabState } from './harness.js';

let lab: LabState;
let tmp: string;
let inv: string;
let original: string;

/** The operator's new client: its own netns on the lab switch (fl- prefix: lab down removes it too). */
const NS = 'fl-pl1';
const PORT = 'p-pl1';
const UNDERLAY = '203.0.113.250';
let unsharePid: number | undefined;
let initPid: number | undefined;

beforeAll(async ({}, suite) => {
  lab = await useLab({ hosts: 3, fresh: true }, suite);
  ({ dir: tmp, inventory: inv } = scratchInventory(lab, 'fleet-peers-test-'));
  // An operator's comment inside the host entry, to see that it survives the edits.
  original = readFileSync(inv, 'utf8').replace('    gw1:\n', '    gw1:   # the first gateway\n      # its clients follow\n');
  writeFileSync(inv, original);
}, 120_000);

afterAll(async () => {
  if (unsharePid !== undefined && isAlive(unsharePid)) process.kill(unsharePid, 'SIGKILL');
  await run(['ip', 'netns', 'del', NS]);
  await teardownLab();
}, 60_000);

/** Brings up a WireGuard client from a wg-quick config file with wg-quick, as a laptop would. */
async function startClientFrom(confPath: string): Promise<void> {
  await runOk(['ip', 'netns', 'add', NS]);
  await runOk(['ip', 'link', 'add', PORT, 'netns', SWITCH_NS, 'type', 'veth', 'peer', 'name', 'eth0', 'address', labMac(UNDERLAY), 'netns', NS]);
  await runOk(['ip', '-n', SWITCH_NS, 'link', 'set', PORT, 'master', 'br0', 'up']);
  const started = await startUnderlayClient({ netns: NS, name: 'laptop', underlayIp: UNDERLAY, dir: path.join(tmp, 'client'), logPath: path.join(tmp, 'client.log') });
  unsharePid = started.unsharePid;
  initPid = started.initPid;
  await wgQuickUp(initPid, path.join(tmp, 'client'), confPath);
}

const inClient = (script: string) => enter(initPid!, script, { timeoutMs: 30_000 });

async function newClientEcho(tries: number): Promise<string> {
  let saw = '';
  for (let i = 0; i < tries && !saw; i++) {
    const r = await inClient(`curl -s -m 3 ${lab.internet!.echoUrl}`);
    saw = r.code === 0 ? r.stdout.trim() : '';
    if (!saw) await sleep(300);
  }
  return saw;
}

/** `diff a b`: the lines it removes and adds. */
function lineDiff(a: string, b: string): { removed: string[]; added: string[] } {
  writeFileSync(path.join(tmp, 'a.yaml'), a);
  writeFileSync(path.join(tmp, 'b.yaml'), b);
  const r = spawnSync('diff', [path.join(tmp, 'a.yaml'), path.join(tmp, 'b.yaml')], { encoding: 'utf8' });
  const lines = r.stdout.split('\n');
  return { removed: lines.filter((l) => l.startsWith('< ')).map((l) => l.slice(2)), added: lines.filter((l) => l.startsWith('> ')).map((l) => l.slice(2)) };
}

describe('fleet peer', () => {
  it('deploys gw1 from the copy and connects the lab clients', async () => {
    const r = await fleetCli(['deploy', inv, '--json', '--limit', 'gw1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await connectClients(lab)).find((c) => c.gateway === 'gw1')?.error).toBeUndefined();
    expect(await echoFrom(lab, 'c1-vpn', 5)).toBe(lab.provider!.ip);
  });

  it('peer add gw1 laptop --half vpn --out FILE: the config, the inventory, and no lost sessions', async () => {
    const ping = clientExec(lab, 'c1-direct', 'ping -c 60 -i 0.1 -W 1 10.4.0.200', { timeoutMs: 30_000 });
    await sleep(500);
    const out = path.join(tmp, 'laptop.conf');
    const r = await fleetCli(['peer', 'add', 'gw1', 'laptop', '--half', 'vpn', '--out', out, '-i', inv]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toBe(''); // the config (with its private key) went only to the file
    const p = await ping;
    const m = /(\d+) packets transmitted, (\d+) received/.exec(p.stdout);
    expect(m, p.stdout).not.toBeNull();
    expect(Number(m![1]) - Number(m![2]), p.stdout).toBeLessThanOrEqual(1);

    expect(statSync(out).mode & 0o777).toBe(0o600);
    const conf = readFileSync(out, 'utf8');
    const gwKey = (await enter(lab.gateways[0]!.initPid, 'wg show wg0 public-key')).stdout.trim();
    expect(conf).toMatch(/^PrivateKey = [A-Za-z0-9+/]{43}=$/m);
    // Dual stack: the IPv6 address is the VPN half's first plus the IPv4 offset (128 = 0x80).
    expect(conf).toContain('Address = 10.4.0.128/32, fd00:10:4:0:8000::80/128\nDNS = 10.4.0.1, fd00:10:4::1\n');
    expect(conf).toContain(`PublicKey = ${gwKey}\nEndpoint = ${lab.gateways[0]!.wanIp}:51821\nAllowedIPs = 0.0.0.0/0, ::/0\nPersistentKeepalive = 25\n`);
    // the private key is stored nowhere by fleet: not in the inventory, not on the gateway
    const priv = /^PrivateKey = (\S+)$/m.exec(conf)![1]!;
    const now = readFileSync(inv, 'utf8');
    expect(now).not.toContain(priv);
    const onGw = await enter(lab.gateways[0]!.initPid, `grep -rl '${priv}' /etc /var/lib /run 2>/dev/null | head -n 1`);
    expect(onGw.stdout).toBe('');
    // the inventory: only the new peer's lines were added; every comment is still there
    expect(lineDiff(original, now)).toEqual({
      removed: [],
      added: ['        - name: laptop', expect.stringMatching(/^ {10}public_key: \S{44}$/), '          allowed_ips:', '            - 10.4.0.128/32', '            - fd00:10:4:0:8000::80/128'],
    });
    expect(now).toContain('    gw1:   # the first gateway\n      # its clients follow\n');
    expect(now.startsWith(original.split('\n').slice(0, 8).join('\n'))).toBe(true);
  });

  it('a client brought up by wg-quick from exactly that config reaches the echo service through the provider and resolves the internal names', async () => {
    await startClientFrom(path.join(tmp, 'laptop.conf'));
    // its default route is the tunnel: wg-quick's own policy routing, nothing added by the test
    expect((await inClient('ip route get 198.51.100.3')).stdout).toMatch(/ dev laptop /);
    expect(await newClientEcho(15)).toBe(lab.provider!.ip);
    // the DNS line went through resolvconf into the client's own resolv.conf
    expect((await inClient('cat /etc/resolv.conf')).stdout.trim()).toBe('nameserver 10.4.0.1\nnameserver fd00:10:4::1');
    for (const [name, ip] of [['vault.raff.local', '10.4.0.7'], ['rafflab.internal', '10.4.0.3']]) {
      const r = await inClient(`dig +short +time=2 +tries=2 ${name} A`);
      expect(r.stdout.trim(), name).toBe(ip);
    }
  });

  it('peer list shows it live with a handshake and traffic', async () => {
    const r = await fleetCli(['peer', 'list', 'gw1', '-i', inv, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const peers = r.json.gateways[0].peers as { name: string; live: boolean; half: string; handshakeAgeS?: number; rxBytes: number }[];
    expect(peers.map((p) => p.name)).toEqual(['c1-direct', 'c1-vpn', 'laptop']);
    const laptop = peers.find((p) => p.name === 'laptop')!;
    expect(laptop).toMatchObject({ live: true, half: 'vpn' });
    expect(laptop.handshakeAgeS).toBeLessThan(60);
    expect(laptop.rxBytes).toBeGreaterThan(0);
    const text = await fleetCli(['peer', 'list', '-i', inv]);
    expect(text.stdout).toMatch(/gw1\s+laptop\s+10\.4\.0\.128\/32,fd00:10:4:0:8000::80\/128\s+vpn\s+\d+s ago/);
  });

  it('peer remove cuts the new client off, leaves the others working, and gives the inventory back as it was', async () => {
    const r = await fleetCli(['peer', 'remove', 'gw1', 'laptop', '-i', inv]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(inv, 'utf8')).toBe(original);
    const live = await enter(lab.gateways[0]!.initPid, 'wg show wg0 allowed-ips');
    expect(live.stdout).not.toContain('10.4.0.128/32');
    expect(await newClientEcho(2)).toBe('');
    expect(await echoFrom(lab, 'c1-vpn', 5)).toBe(lab.provider!.ip);
    expect(await echoFrom(lab, 'c1-direct', 5)).toBe(lab.gateways[0]!.wanIp);
    const again = await fleetCli(['peer', 'remove', 'gw1', 'laptop', '-i', inv]);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('gw1 has no peer laptop');
  });

  it('peer add --qr: the QR code printed decodes (zbarimg) to the config file byte for byte', async () => {
    const out = path.join(tmp, 'phone.conf');
    const r = await fleetCli(['peer', 'add', 'gw1', 'phone', '--qr', '--out', out, '-i', inv]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const file = readFileSync(out);
    expect(file.toString('utf8')).toMatch(/^AllowedIPs = 0\.0\.0\.0\/0, ::\/0$/m);
    const decoded = await decodePrintedQr(r.stdout);
    expect(decoded.equals(file), decoded.toString('utf8')).toBe(true);
    const gone = await fleetCli(['peer', 'remove', 'gw1', 'phone', '-i', inv]);
    expect(gone.code, gone.stderr).toBe(0);
    expect(readFileSync(inv, 'utf8')).toBe(original);
  });
});
