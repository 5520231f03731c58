import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadInventoryText } from '../inventory/index.js';
import type { Resource } from '../modules/types.js';
import { desiredState, type DesiredResource } from '../roles/tasks.js';
import { raw } from '../shell/sh.js';
import { downScript, upScript } from './scripts.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'fleet-boot-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SECRET = 'PROVIDER-KEY-3f9a0c77e1';
const ovpn = path.join(tmp, 'provider.ovpn');
writeFileSync(ovpn, `client\nremote 198.51.100.2 1194\n<key>\n${SECRET}\n</key>\n`);

function gateway(peers: string): DesiredResource[] {
  const inv = loadInventoryText(
    `all:
  hosts:
    gw1:
      host: 203.0.113.10
      wan_interface: ens5
      wan_ip: 10.0.1.191
      vpn_server_ip: 198.51.100.20
      openvpn_config_file: ${ovpn}
      wg_peers: ${peers}
`,
    path.join(tmp, 'inv.yaml'),
  );
  return desiredState(inv.hosts[0]!.vars as unknown as Record<string, unknown>);
}

const PEER = '[{ name: laptop, public_key: "kkF9mcIbAkIS8yuU9op2masQSd/wQPLAN4RskuUG2Ho=", allowed_ips: [10.4.0.10/32] }]';

function content(state: DesiredResource[], file: string): string {
  const r = state.find((d) => d.resource.id === `file:${file}`);
  expect(r, file).toBeDefined();
  return r!.resource.desiredContent!;
}

describe('boot scripts from the desired state', () => {
  const state = gateway(PEER);
  const up = content(state, '/etc/wireguard/wg0-up.sh');
  const down = content(state, '/etc/wireguard/wg0-down.sh');

  test('are files of the wireguard role, 0700 root, and the config runs them as PostUp/PostDown', () => {
    const files = state.filter((d) => /wg0-(up|down)\.sh$/.test(d.resource.id));
    expect(files.map((d) => [d.role, d.resource.title])).toEqual([
      ['wireguard', 'file /etc/wireguard/wg0-up.sh (0700 root)'],
      ['wireguard', 'file /etc/wireguard/wg0-down.sh (0700 root)'],
    ]);
    const conf = content(state, '/etc/wireguard/wg0.conf');
    expect(conf).toContain('PostUp = [ -n "${FLEET_NO_BOOT_HOOKS:-}" ] || [ -e /run/fleet/no-boot-hooks ] || /etc/wireguard/wg0-up.sh');
    expect(conf).toContain('PostDown = [ -n "${FLEET_NO_BOOT_HOOKS:-}" ] || [ -e /run/fleet/no-boot-hooks ] || /etc/wireguard/wg0-down.sh');
  });

  test('hold every runtime resource once, in boot order (up) and reverse (down), and nothing persistent', () => {
    const runtime = state.filter((d) => d.resource.runtime).map((d) => d.resource.id);
    expect(runtime.length).toBeGreaterThan(30);
    const stepIds = (text: string) => [...text.matchAll(/^# \d+\/\d+ \[[^\]]*\] .*? \((\S+?:.*)\)$/gm)].map((m) => m[1]!);
    expect([...stepIds(up)].sort()).toEqual([...runtime].sort());
    expect(stepIds(down)).toEqual([...stepIds(up)].reverse());
    for (const persistent of ['file:', 'package:', 'wireguard-key:', 'systemd-unit-enabled:']) {
      expect(up).not.toContain(`(${persistent}`);
      expect(down).not.toContain(`(${persistent}`);
    }
    expect(runtime).toContain('daemon:openvpn');
    expect(runtime).toContain('wireguard-interface:wg0');
  });

  test('never contain a secret: no file content, no provider key', () => {
    for (const s of [up, down]) {
      expect(s).not.toContain(SECRET);
      expect(s).not.toContain(Buffer.from(readFileSync(ovpn)).toString('base64').slice(0, 40));
      expect(s).not.toMatch(/PrivateKey\s*=\s*[A-Za-z0-9+/]{43}=/);
    }
  });

  test('pass bash -n and sh -n', () => {
    for (const [name, s] of [['up', up], ['down', down]] as const) {
      for (const shell of ['bash', 'sh']) {
        const r = spawnSync(shell, ['-n'], { input: s, encoding: 'utf8' });
        expect(r.status, `${shell} -n ${name}: ${r.stderr}`).toBe(0);
      }
    }
  });

  test('are deterministic, and a changed peer changes the up script (so it shows in the plan)', () => {
    expect(content(gateway(PEER), '/etc/wireguard/wg0-up.sh')).toBe(up);
    const other = gateway('[]');
    expect(content(other, '/etc/wireguard/wg0-up.sh')).not.toBe(up);
  });

  test('come from every role whatever the run selects', () => {
    const inv = loadInventoryText(
      `all:\n  hosts:\n    gw1: { host: 203.0.113.10, wan_interface: ens5, wan_ip: 10.0.1.191, vpn_server_ip: 198.51.100.20, openvpn_config_file: ${ovpn}, wg_peers: ${PEER} }\n`,
      path.join(tmp, 'inv2.yaml'),
    );
    const only = desiredState(inv.hosts[0]!.vars as unknown as Record<string, unknown>, ['wireguard']);
    expect(content(only, '/etc/wireguard/wg0-up.sh')).toBe(up);
  });
});

describe('running the scripts (synthetic resources under /bin/sh)', () => {
  const dir = mkdtempSync(path.join(tmp, 'run-'));
  const log = path.join(dir, 'log');
  const touch = (name: string, opts: { runtime?: boolean; failApply?: boolean } = {}): { label: string; resource: Resource } => {
    const f = path.join(dir, name);
    return {
      label: `[test] ${name}`,
      resource: {
        id: `test:${name}`,
        module: 'test',
        title: name,
        check: raw(`[ -e '${f}' ]`),
        apply: raw(opts.failApply ? `echo "cannot make ${name}" >&2; false` : `echo apply ${name} >> '${log}'; echo state > "$FLEET_STATE/x" && touch '${f}'`),
        revert: raw(`rm -f '${f}'`),
        undo: raw(`echo undo ${name} >> '${log}'; rm -f '${f}'`),
        runtime: opts.runtime ?? true,
      },
    };
  };
  const run = (script: string) => {
    const file = path.join(dir, 'script.sh');
    writeFileSync(file, script, { mode: 0o700 });
    return spawnSync('/bin/sh', [file], { encoding: 'utf8', env: { ...process.env, FLEET_BOOT_DIR: path.join(dir, 'boot') } });
  };
  const readLog = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

  test('up applies what does not hold, in order, once; a second run changes nothing; down undoes in reverse', () => {
    const steps = [touch('a'), touch('persistent', { runtime: false }), touch('b'), touch('c')];
    const first = run(upScript(steps));
    expect(first.status, first.stderr).toBe(0);
    expect(readLog()).toEqual(['apply a', 'apply b', 'apply c']);
    expect(existsSync(path.join(dir, 'persistent'))).toBe(false);
    const again = run(upScript(steps));
    expect(again.status).toBe(0);
    expect(readLog()).toHaveLength(3);
    const d = run(downScript(steps));
    expect(d.status, d.stderr).toBe(0);
    expect(readLog().slice(3)).toEqual(['undo c', 'undo b', 'undo a']);
    for (const n of ['a', 'b', 'c']) expect(existsSync(path.join(dir, n))).toBe(false);
    rmSync(log);
  });

  test('a failed step is reported, the rest still runs, and the exit status counts failures', () => {
    const steps = [touch('x'), touch('broken', { failApply: true }), touch('y')];
    const r = run(upScript(steps, 'wg9-up.sh'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('wg9-up.sh: step 2 (test:broken) failed:');
    expect(r.stderr).toContain('cannot make broken');
    expect(readLog()).toEqual(['apply x', 'apply y']);
  });
});

describe('boot order: no leak window', () => {
  const state = gateway(PEER);
  const up = content(state, '/etc/wireguard/wg0-up.sh');
  const stepIds = (text: string) => [...text.matchAll(/^# \d+\/\d+ \[[^\]]*\] .*? \((\S+?:.*)\)$/gm)].map((m) => m[1]!);
  const ids = stepIds(up);
  const at = (pred: (id: string) => boolean) => ids.findIndex(pred);
  const last = (pred: (id: string) => boolean) => ids.length - 1 - [...ids].reverse().findIndex(pred);
  const guards = (id: string) => /^iptables-rule:(ip6:)?(filter|nat|mangle)\//.test(id) || id.startsWith('ip-rule:') || id === 'ip-route:default table 201' || id === 'ip-route:-6 default table 201';

  test('every host rule, mark, drop and policy rule, and the unreachable default come before wg0, dnsmasq and the namespace', () => {
    const firstOther = at((id) => !guards(id));
    expect(last(guards)).toBeLessThan(firstOther);
    for (const id of ['wireguard-interface:wg0', 'daemon:dnsmasq', 'netns:vpn', 'veth:veth-wg']) expect(at((x) => x === id)).toBeGreaterThan(last(guards));
    expect(ids.slice(0, 3).every(guards)).toBe(true);
  });

  test("IP forwarding in the host's namespace comes after every guard and link, before the daemons; down in reverse", () => {
    const fwd = at((id) => id === 'sysctl:net.ipv4.ip_forward');
    const fwd6 = at((id) => id === 'sysctl:net.ipv6.conf.all.forwarding');
    const daemons = (id: string) => id.startsWith('daemon:') || id.startsWith('interface-ready:');
    expect([fwd, fwd6]).toEqual([at(daemons) - 2, at(daemons) - 1]);
    expect(ids.slice(fwd6 + 1).every(daemons)).toBe(true);
    expect(at((id) => id === 'daemon:dnsmasq')).toBeGreaterThan(fwd6);
    const downIds = stepIds(content(state, '/etc/wireguard/wg0-down.sh'));
    expect(downIds.indexOf('sysctl:net.ipv6.conf.all.forwarding')).toBe(ids.filter(daemons).length);
    expect(downIds.indexOf('sysctl:net.ipv4.ip_forward')).toBe(ids.filter(daemons).length + 1);
    // the namespace's own forwarding needs the namespace: it stays with it
    expect(at((id) => id === 'sysctl:vpn:net.ipv4.ip_forward')).toBeGreaterThan(at((id) => id === 'netns:vpn'));
  });

  test('the guards are removed last by the down script', () => {
    const down = stepIds(downScript(state.map((d) => ({ label: `[${d.role}] ${d.task}`, resource: d.resource }))));
    const firstGuard = down.findIndex(guards);
    expect(down.slice(firstGuard).every(guards)).toBe(true);
  });
});

describe('boot scripts where systemd runs and after a partial deploy', () => {
  const up = content(gateway(PEER), '/etc/wireguard/wg0-up.sh');
  /** The line that opens step `id`'s if. */
  const opener = (id: string): string => {
    const lines = up.split('\n');
    const at = lines.findIndex((l) => l.startsWith('# ') && l.endsWith(`(${id})`));
    expect(at, id).toBeGreaterThan(-1);
    return lines.slice(at).find((l) => l.startsWith('if '))!;
  };

  test('skip what systemd owns: wg0 (wg-quick@wg0 runs this script), the wait for tun0', () => {
    for (const id of ['wireguard-interface:wg0', 'interface-ready:vpn:tun0']) expect(opener(id)).toMatch(/(^if|; then :; elif) \[ -d \/run\/systemd\/system \]; then :; elif \($/);
    // The guards keep running at boot wherever systemd runs.
    expect(opener('sysctl:net.ipv4.ip_forward')).not.toContain('/run/systemd/system');
  });

  test('a daemon with a unit is only asked to start, never waited for: the unit starts after wg-quick@wg0', () => {
    const units: [string, string][] = [
      ['daemon:dnsmasq', 'dnsmasq.service'],
      ['daemon:openvpn', 'openvpn-client@fleet-provider.service'],
    ];
    for (const [id, unit] of units)
      expect(opener(id)).toMatch(new RegExp(`(^if|; then :; elif) \\[ -d /run/systemd/system \\]; then systemctl --no-block start '?${unit}'? </dev/null >"\\$FLEET_BOOT/\\d+\\.out" 2>&1 \\|\\| fleet_report .*; elif \\($`));
    expect(up.match(/systemctl --no-block start /g)?.length).toBe(2);
  });

  test("a role's steps run only while its files exist: a role a partial deploy never applied is neither applied nor waited for", () => {
    expect(opener('daemon:openvpn')).toContain('! { [ -e /etc/openvpn/client/fleet-provider.conf ] && [ -e /etc/systemd/system/openvpn-client@fleet-provider.service.d/fleet.conf ]; }');
    expect(opener('interface-ready:vpn:tun0')).toContain('[ -e /etc/openvpn/client/fleet-provider.conf ]');
  });
});
