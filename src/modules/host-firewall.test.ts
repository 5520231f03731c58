/**
 * input-allow and ufw-allow: the host decides which of them acts (host-firewall.ts). Their
 * fragments run against fake iptables and ufw (the replies are what Debian 12's iptables 1.8.9
 * and ufw 0.36.2 print) and a ufw directory of real files, so every branch of the decision is
 * exercised without root; the lab's default-deny and ufw gateways run them for real.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { shellAsset } from '../shell/asset.js';
import { renderResource } from './index.js';
import { ufwFleetTuple, ufwTuple, type UfwAllowArgs } from './ufw-allow.js';
import { expectValidSh, runWithFakes, type FakeReply } from './testing.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A ufw directory: ufw.conf (ENABLED=yes or no) and user.rules holding these tuple lines. */
function ufwDir(enabled: boolean, tuples: string[] = []): string {
  const d = mkdtempSync(path.join(tmpdir(), 'fleet-ufw-'));
  dirs.push(d);
  writeFileSync(path.join(d, 'ufw.conf'), `# /etc/ufw/ufw.conf\nENABLED=${enabled ? 'yes' : 'no'}\nLOGLEVEL=low\n`);
  writeFileSync(path.join(d, 'user.rules'), ['*filter', ':ufw-user-input - [0:0]', '### RULES ###', '', '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in', '-A ufw-user-input -p tcp --dport 22 -j ACCEPT', ...tuples, '### END RULES ###', 'COMMIT', ''].join('\n'));
  return d;
}

const NO_RULE: FakeReply = { match: '-w -t filter -C INPUT *', err: 'iptables: Bad rule (does a matching rule exist in that chain?).\n', code: 1 };
const UFW_CHAINS: FakeReply = { match: '-w -n -L ufw-user-input', out: 'Chain ufw-user-input (1 references)\n' };
const NO_UFW_CHAINS: FakeReply = { match: '-w -n -L ufw-user-input', err: 'iptables: No chain/target/match by that name.\n', code: 1 };
const policy = (p: string): FakeReply => ({ match: '-w -S INPUT', out: `-P INPUT ${p}\n-A INPUT -i lo -j ACCEPT\n` });

const wgIn = (dir: string) => ({ interface: 'ens5', proto: 'udp', port: 51821, comment: 'fleet: WireGuard in on the WAN, through INPUT', ufwDir: dir });
const icmpIn = (dir: string) => ({ interface: 'wg0', proto: 'icmp', comment: 'fleet: client ICMP in from wg0, through INPUT', ufwDir: dir });
const dnsUfw = (dir: string): UfwAllowArgs => ({ interface: 'wg0', proto: 'udp', port: 53, comment: 'fleet: client DNS over udp in from wg0, through ufw', ufwDir: dir });

describe('input-allow', () => {
  test('one rule spec, inserted at the top of INPUT, with fleet\'s comment', () => {
    const r = renderResource('input-allow', wgIn('/etc/ufw'));
    expect(r.id).toBe("input-allow:INPUT -i ens5 -p udp --dport 51821 -j ACCEPT -m comment --comment 'fleet: WireGuard in on the WAN, through INPUT'");
    expect(r.apply.text).toBe("iptables -w -t filter -I INPUT -i ens5 -p udp --dport 51821 -j ACCEPT -m comment --comment 'fleet: WireGuard in on the WAN, through INPUT'");
    expect(r.runtime).toBe(true);
    expect(r.revert.text).toBe(r.undo.text);
    for (const f of [r.check, r.undo]) expectValidSh(f);
    expect(r.proof?.lines).toEqual(['hostfw accept']);
    expect(renderResource('input-allow', icmpIn('/etc/ufw')).apply.text).toContain('-I INPUT -i wg0 -p icmp -j ACCEPT -m comment');
  });

  test('a port for icmp, or none for udp, names the field', () => {
    expect(() => renderResource('input-allow', { ...icmpIn('/etc/ufw'), port: 1 })).toThrow(/field port: icmp has no port/);
    expect(() => renderResource('input-allow', { ...wgIn('/etc/ufw'), port: undefined })).toThrow(/field port: required for udp/);
  });

  test('INPUT accepting everything (no ufw): holds, and nothing else is asked', () => {
    const r = runWithFakes(renderResource('input-allow', wgIn(ufwDir(false))).check, { iptables: [policy('ACCEPT')] });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(['iptables -w -S INPUT']);
  });

  test('INPUT dropping by default: does not hold until fleet\'s rule is there', () => {
    const r = runWithFakes(renderResource('input-allow', wgIn(ufwDir(false))).check, { iptables: [policy('DROP'), NO_RULE] });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('INPUT drops by default and lets no udp/51821 on ens5 in\n');
    const held = runWithFakes(renderResource('input-allow', wgIn(ufwDir(false))).check, { iptables: [policy('DROP'), { match: '-w -t filter -C INPUT *' }] });
    expect(held.code).toBe(0);
  });

  test('ufw active: holds (ufw-allow opens the port); for ICMP only while ufw\'s own rule accepts echo requests', () => {
    const dir = ufwDir(true);
    const r = runWithFakes(renderResource('input-allow', wgIn(dir)).check, { iptables: [UFW_CHAINS] });
    expect(r.code).toBe(0);
    const echo: FakeReply = { match: '-w -C ufw-before-input -p icmp -m icmp --icmp-type 8 -j ACCEPT' };
    expect(runWithFakes(renderResource('input-allow', icmpIn(dir)).check, { iptables: [UFW_CHAINS, echo] }).code).toBe(0);
    const noEcho = runWithFakes(renderResource('input-allow', icmpIn(dir)).check, {
      iptables: [UFW_CHAINS, { ...echo, code: 1 }, policy('DROP'), NO_RULE],
    });
    expect(noEcho.code).toBe(1);
  });

  test('ufw enabled in its file but its chains not loaded is not active', () => {
    const r = runWithFakes(renderResource('input-allow', wgIn(ufwDir(true))).check, { iptables: [NO_UFW_CHAINS, policy('DROP'), NO_RULE] });
    expect(r.code).toBe(1);
  });

  test('iptables failing is a probe failure, never "absent"', () => {
    const r = runWithFakes(renderResource('input-allow', wgIn(ufwDir(false))).check, { iptables: [{ match: '-w -S INPUT', err: 'iptables: Permission denied (you must be root).\n', code: 4 }] });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Permission denied');
  });
});

describe('ufw-allow', () => {
  test('ufw\'s own command, IPv4 only, with fleet\'s comment; not in the boot scripts (ufw loads its rules)', () => {
    const r = renderResource('ufw-allow', dnsUfw('/etc/ufw'));
    expect(r.id).toBe('ufw-allow:udp/53 in on wg0');
    expect(r.apply.text).toContain("ufw allow in on wg0 to 0.0.0.0/0 port 53 proto udp comment 'fleet: client DNS over udp in from wg0, through ufw'");
    expect(r.runtime).toBeUndefined();
    for (const f of [r.check, r.apply, r.revert, r.undo]) expectValidSh(f);
    // As ufw 0.36.2 wrote it for this rule.
    expect(ufwFleetTuple(dnsUfw('/etc/ufw'))).toBe(
      `### tuple ### allow udp 53 0.0.0.0/0 any 0.0.0.0/0 in_wg0 comment=${Buffer.from('fleet: client DNS over udp in from wg0, through ufw').toString('hex')}`,
    );
    expect(() => renderResource('ufw-allow', { ...dnsUfw('/etc/ufw'), proto: 'icmp' })).toThrow(/field proto/);
  });

  test('ufw not active: holds without asking ufw anything', () => {
    const r = runWithFakes(renderResource('ufw-allow', dnsUfw(ufwDir(false))).check, { iptables: [], ufw: [] });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([]);
  });

  test('ufw active: holds once ufw has a rule of the spec (whoever added it) and has it loaded', () => {
    const a = dnsUfw('');
    const loaded: FakeReply = { match: '-w -C ufw-user-input -i wg0 -p udp -m udp --dport 53 -j ACCEPT' };
    const missing = runWithFakes(renderResource('ufw-allow', { ...a, ufwDir: ufwDir(true) }).check, { iptables: [UFW_CHAINS, loaded] });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('ufw is active and does not allow udp/53 in on wg0\n');
    for (const tuple of [ufwFleetTuple(a), ufwTuple(a), `${ufwTuple(a)} comment=6f7073`]) {
      const r = runWithFakes(renderResource('ufw-allow', { ...a, ufwDir: ufwDir(true, [tuple]) }).check, { iptables: [UFW_CHAINS, loaded] });
      expect(r.code, tuple).toBe(0);
    }
    const other = `${ufwTuple({ ...a, port: 5353 })}`;
    expect(runWithFakes(renderResource('ufw-allow', { ...a, ufwDir: ufwDir(true, [other]) }).check, { iptables: [UFW_CHAINS, loaded] }).code).toBe(1);
    const unloaded = runWithFakes(renderResource('ufw-allow', { ...a, ufwDir: ufwDir(true, [ufwFleetTuple(a)]) }).check, { iptables: [UFW_CHAINS, { ...loaded, code: 1 }] });
    expect(unloaded.code).toBe(1);
  });

  test('apply adds through ufw; a loaded-but-missing rule is reloaded, never added twice', () => {
    const a = dnsUfw('');
    const add = runWithFakes(renderResource('ufw-allow', { ...a, ufwDir: ufwDir(true) }).apply, {
      ufw: [{ match: 'allow in on wg0 to 0.0.0.0/0 port 53 proto udp comment fleet: client DNS over udp in from wg0, through ufw', out: 'Rule added\n' }],
      iptables: [{ match: '-w -C ufw-user-input *' }],
    });
    expect(add.code, add.stderr).toBe(0);
    expect(add.calls[0]).toMatch(/^ufw allow /);
    const reload = runWithFakes(renderResource('ufw-allow', { ...a, ufwDir: ufwDir(true, [ufwFleetTuple(a)]) }).apply, {
      ufw: [{ match: 'reload', out: 'Firewall reloaded\n' }],
      iptables: [{ match: '-w -C ufw-user-input *', code: 1 }],
    });
    expect(reload.code, reload.stderr).toBe(0);
    expect(reload.calls.filter((c) => c.startsWith('ufw'))).toEqual(['ufw reload']);
  });

  test('undo deletes only the rule with fleet\'s comment: an operator\'s rule of the same spec stays', () => {
    const a = dnsUfw('');
    const del: FakeReply = { match: '--force delete allow in on wg0 to 0.0.0.0/0 port 53 proto udp', out: 'Rule deleted\n' };
    const ours = runWithFakes(renderResource('ufw-allow', { ...a, ufwDir: ufwDir(false, [ufwFleetTuple(a)]) }).undo, { ufw: [del] });
    expect(ours.code, ours.stderr).toBe(0);
    expect(ours.calls).toEqual(['ufw --force delete allow in on wg0 to 0.0.0.0/0 port 53 proto udp']);
    const theirs = runWithFakes(renderResource('ufw-allow', { ...a, ufwDir: ufwDir(true, [`${ufwTuple(a)} comment=6f7073`]) }).undo, { ufw: [del] });
    expect(theirs.code).toBe(0);
    expect(theirs.calls).toEqual([]);
  });
});

describe('the plan\'s facts about the host firewall (facts.awk)', () => {
  const AWK = shellAsset(new URL('./facts.ts', import.meta.url), 'facts.awk');
  const lines = (section: string): string[] => {
    const r = spawnSync('awk', [AWK], { input: `@want\nhostfw accept\nhostfw ufw-inactive\n@hostfw\n${section}`, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean).map((l) => ['', 'hostfw accept', 'hostfw ufw-inactive'][Number(/\d+/.exec(l)![0])]!);
  };

  test('INPUT accepting and no ufw proves both; DROP proves only that ufw needs nothing; active ufw proves neither', () => {
    expect(lines('-P INPUT ACCEPT\nENABLED=no\n')).toEqual(['hostfw ufw-inactive', 'hostfw accept']);
    expect(lines('-P INPUT DROP\n')).toEqual(['hostfw ufw-inactive']);
    expect(lines('-P INPUT DROP\nENABLED=yes\nufw-chains\n')).toEqual([]);
    // Enabled in its file but not loaded: not active, as fleet_ufw_active says.
    expect(lines('-P INPUT ACCEPT\nENABLED=yes\n')).toEqual(['hostfw ufw-inactive', 'hostfw accept']);
    // iptables failed: nothing about INPUT is proved.
    expect(lines('')).toEqual(['hostfw ufw-inactive']);
  });
});
