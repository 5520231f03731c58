/**
 * Real behaviour of every module's fragments on this machine (as root), run exactly as the engine
 * runs them: `/bin/sh -c "export LC_ALL=C FLEET_STATE=<dir> FLEET_DEFER=<file>; ( <fragment> )"`
 * under dash, stdin closed.
 *
 * Network safety: every networking fragment runs inside throwaway namespaces named
 * `fmt-<random>...` (never the lab's `fl-` prefix), through the modules' own `netns` argument, or,
 * for WireGuard, through nsenter into a namespace pair (net + a private mount namespace with a
 * tmpfs on /run, so wireguard-go's socket and /run/fleet never touch the host's /run). Nothing
 * here adds a route, rule, firewall rule or sysctl to the root namespace, and no traffic leaves
 * the machine. Processes are stopped by pid only: the ones the fragments started (by pidfile) and,
 * at the end, whatever is left inside our own namespaces.
 *
 * Without root the suite is skipped (with the reason), except under CI=true, where it fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Shell, quote, raw, sh } from '../shell/sh.js';
import { planFacts } from './facts.js';
import { renderResource } from './index.js';
import type { Resource } from './types.js';

const isRoot = process.getuid?.() === 0;
const CI = process.env.CI === 'true';
const TOOLS = ['ip', 'iptables', 'iptables-save', 'sysctl', 'wg', 'wg-quick', 'wireguard-go', 'dnsmasq', 'unshare', 'nsenter', 'setsid', 'ss'];
const missingTools = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const canRun = isRoot && missingTools.length === 0;
const why = !isRoot ? 'needs root (network namespaces)' : `missing tools: ${missingTools.join(', ')}`;

if (!canRun && CI) {
  test('real module tests can run', () => {
    throw new Error(`src/modules/real.test.ts ${why}; under CI=true this is a failure, not a skip`);
  });
} else if (!canRun) {
  test.skip(`real module tests skipped: ${why}`, () => {});
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const PREFIX = `fmt-${randomBytes(3).toString('hex')}`;
const NS = PREFIX; // the main throwaway namespace
const NS_PEER = `${PREFIX}-p`; // veth peers live here
const NS_NEW = `${PREFIX}-n`; // created and removed by the netns module
const NS_WG = `${PREFIX}-w`; // WireGuard, with the mount-namespace holder
const NS_MISSING = `${PREFIX}-missing`; // never created
let tmpRoot = '';
let deferFile = '';
const outputs: string[] = []; // every fragment's stdout+stderr, for the secret-leak checks

function exec(cmd: string, args: string[]): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** fleet's own test commands (setup and snapshots), never a module fragment. */
function host(script: string): string {
  const r = exec('/bin/sh', ['-c', script]);
  if (r.code !== 0) throw new Error(`setup command failed (${r.code}): ${script}\n${r.stderr}`);
  return r.stdout;
}

/** Runs a fragment in the host's shell, or (via: nsenter ...) in a holder process's namespaces. */
function run(fragment: Shell, state = newState(), via: string[] = []): Run {
  const script = `export LC_ALL=C FLEET_STATE=${quote(state)} FLEET_DEFER=${quote(deferFile)}; (\n${fragment.text}\n)`;
  const r = via.length ? exec(via[0]!, [...via.slice(1), '/bin/sh', '-c', script]) : exec('/bin/sh', ['-c', script]);
  outputs.push(r.stdout, r.stderr);
  return r;
}

/** The test's own look at a namespace (not a fragment: its output is not in `outputs`). */
function look(script: string, via: string[]): string {
  return exec(via[0]!, [...via.slice(1), '/bin/sh', '-c', script]).stdout;
}

function newState(): string {
  const d = mkdtempSync(path.join(tmpRoot, 'state-'));
  chmodSync(d, 0o700);
  return d;
}

/** Whether the plan's fast path (src/modules/facts.ts) proves the resource holds right now. */
function proved(r: Resource, via?: string[]): boolean {
  if (!r.proof) return false;
  const facts = planFacts([r.proof])!;
  const p = run(Shell.join([facts.gather, sh`if ${facts.test(r.proof)}; then echo proved; fi`]), newState(), via);
  expect(p.code, `fact gathering for ${r.id}: ${p.stderr}`).toBe(0);
  return p.stdout === 'proved\n';
}

/**
 * Every check in this file also asks the fast path: when the facts prove a resource holds, its
 * check must say 0. That is the one thing a proof may never get wrong.
 */
function check(r: Resource, via?: string[]): Run {
  const c = run(r.check, newState(), via);
  if (proved(r, via)) expect(c.code, `the facts prove ${r.id} holds, but its check says ${c.code}: ${c.stdout}`).toBe(0);
  return c;
}

/**
 * The engine's contract, step by step: check 1, apply, check 0, a check-guarded apply is a no-op,
 * revert (twice) restores `before`, apply again, undo (twice) leaves check at 1.
 */
function lifecycle(r: Resource, snapshot: () => string, opts: { via?: string[] } = {}): void {
  const via = opts.via;
  const before = snapshot();
  const c0 = check(r, via);
  expect(c0.code, `first check of ${r.id}: ${c0.stdout}${c0.stderr}`).toBe(1);

  const s1 = newState();
  const a1 = run(r.apply, s1, via);
  expect(a1.code, `apply ${r.id}: ${a1.stderr}`).toBe(0);
  const c1 = check(r, via);
  expect(c1.code, `check after apply ${r.id}: ${c1.stdout}${c1.stderr}`).toBe(0);
  // A resource with a proof is proved once it holds: the plan's fast path really is taken.
  if (r.proof) expect(proved(r, via), `the facts prove ${r.id} after apply`).toBe(true);
  const applied = snapshot();

  // As the engine does: apply only runs after its check said 1, in the same shell.
  const guarded = run(
    raw(`if ( ${r.check.text}\n) >/dev/null; then :; else ( ${r.apply.text}\n); fi`),
    newState(),
    via,
  );
  expect(guarded.code, guarded.stderr).toBe(0);
  expect(snapshot(), 'a check-guarded apply changes nothing').toBe(applied);

  for (let i = 0; i < 2; i++) {
    const rv = run(r.revert, s1, via);
    expect(rv.code, `revert #${i + 1} ${r.id}: ${rv.stderr}`).toBe(0);
    expect(check(r, via).code, `check after revert #${i + 1}`).toBe(1);
    expect(snapshot(), `revert #${i + 1} restores the state before apply`).toBe(before);
  }

  const a2 = run(r.apply, newState(), via);
  expect(a2.code, a2.stderr).toBe(0);
  for (let i = 0; i < 2; i++) {
    const u = run(r.undo, newState(), via);
    expect(u.code, `undo #${i + 1} ${r.id}: ${u.stderr}`).toBe(0);
    expect(check(r, via).code, `check after undo #${i + 1}`).toBe(1);
  }
}

function res(module: string, args: unknown): Resource {
  return renderResource(module, args, 'real.test.ts');
}

/** Kills what is left in one of our namespaces (by pid), then deletes it. */
function removeNamespace(ns: string): void {
  if (!existsSync(`/var/run/netns/${ns}`)) return;
  const pids = exec('ip', ['netns', 'pids', ns]).stdout.split(/\s+/).filter((p) => /^\d+$/.test(p));
  for (const p of pids) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  exec('ip', ['netns', 'del', ns]);
}

/**
 * What these tests must never change in the root namespace: policy rules, firewall rules and the
 * forwarding sysctls. (Links and routes are left out: a lab started beside this test legitimately
 * adds its controller veth.)
 */
function rootNetworking(): string {
  return host(
    [
      'ip rule show',
      "for t in filter nat mangle raw; do iptables-save -t $t | grep '^-A' || true; done",
      'sysctl -n net.ipv4.ip_forward net.ipv4.conf.all.rp_filter',
    ].join('; '),
  );
}

describe.runIf(canRun)('modules on a real kernel (throwaway namespaces)', () => {
  let rootBefore = '';

  beforeAll(() => {
    rootBefore = rootNetworking();
    tmpRoot = mkdtempSync(path.join(tmpdir(), 'fleet-modules-'));
    deferFile = path.join(tmpRoot, 'defer');
    writeFileSync(deferFile, '');
    for (const ns of [NS, NS_PEER, NS_WG]) host(`ip netns add ${ns}`);
    // A veth pair with both ends inside NS, for addresses, routes and link state.
    host(
      [
        `ip -n ${NS} link set lo up`,
        `ip -n ${NS} link add t0 type veth peer name t1`,
        `ip -n ${NS} link set t0 up`,
        `ip -n ${NS} addr add 10.200.1.1/24 dev t0`,
      ].join(' && '),
    );
  });

  afterAll(() => {
    for (const ns of [NS, NS_PEER, NS_NEW, NS_WG]) removeNamespace(ns);
    if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
    const left = exec('ip', ['netns', 'list']).stdout;
    expect(left).not.toContain(PREFIX);
    expect(rootNetworking(), 'the root namespace was not touched').toBe(rootBefore);
  });

  const nsOut = (cmd: string): string => host(cmd);

  test('netns', () => {
    const r = res('netns', { name: NS_NEW });
    lifecycle(r, () => (existsSync(`/var/run/netns/${NS_NEW}`) ? 'present' : 'absent'));
  });

  test('iptables-rule: SNAT in nat POSTROUTING', () => {
    const r = res('iptables-rule', {
      table: 'nat',
      chain: 'POSTROUTING',
      rule: ['-s', '10.4.0.0/25', '-o', 't0', '-j', 'SNAT', '--to-source', '10.200.1.1'],
      netns: NS,
    });
    const save = () => nsOut(`ip netns exec ${NS} iptables-save -t nat | grep '^-A' || true`);
    lifecycle(r, save);
  });

  test('iptables-rule: insert, comment with spaces and quotes, duplicate removal is one at a time', () => {
    const r = res('iptables-rule', {
      table: 'filter',
      chain: 'FORWARD',
      rule: ['-i', 't0', '-m', 'comment', '--comment', `fleet's "test" rule`, '-j', 'ACCEPT'],
      position: 'insert',
      netns: NS,
    });
    const save = () => nsOut(`ip netns exec ${NS} iptables-save -t filter | grep '^-A' || true`);
    host(`ip netns exec ${NS} iptables -w -A FORWARD -o t0 -j DROP`);
    lifecycle(r, save);
    // inserted above the existing rule
    expect(run(r.apply).code).toBe(0);
    // iptables-save escapes both quote characters inside its double quotes
    expect(save().split('\n')[0]).toBe(`-A FORWARD -i t0 -m comment --comment "fleet\\'s \\"test\\" rule" -j ACCEPT`);
    // a second identical copy (not fleet's): undo removes one instance per run
    host(`ip netns exec ${NS} iptables -w -I FORWARD -i t0 -m comment --comment "fleet's \\"test\\" rule" -j ACCEPT`);
    expect(run(r.undo).code).toBe(0);
    expect(check(r).code).toBe(0);
    expect(run(r.undo).code).toBe(0);
    expect(check(r).code).toBe(1);
    host(`ip netns exec ${NS} iptables -w -D FORWARD -o t0 -j DROP`);
  });

  test('iptables-rule: a bad rule is a probe failure (2), not absent', () => {
    const r = res('iptables-rule', { table: 'filter', chain: 'INPUT', rule: ['-m', 'nosuchmatch', '-j', 'ACCEPT'], netns: NS });
    const c = check(r);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/nosuchmatch/);
    expect(run(r.undo).code).not.toBe(0);
  });

  test('ip-rule: lifecycle; a foreign rule at the same priority is reported and left alone', () => {
    const r = res('ip-rule', { priority: 1000, from: '10.4.0.0/24', to: '10.4.0.0/24', table: 'main', netns: NS });
    const rules = () => nsOut(`ip -n ${NS} rule show`);
    lifecycle(r, rules);

    const marked = res('ip-rule', { priority: 1001, fwmark: '0x200', table: 200, netns: NS });
    lifecycle(marked, rules);

    host(`ip -n ${NS} rule add priority 1000 fwmark 0x5 lookup 7`);
    const foreign = rules();
    const c = check(r);
    expect(c.code).toBe(1);
    expect(c.stdout).toContain('priority 1000 holds a rule fleet does not own: 1000: from all fwmark 0x5 lookup 7');
    lifecycle(r, rules);
    expect(rules()).toBe(foreign);
    host(`ip -n ${NS} rule del priority 1000 fwmark 0x5 lookup 7`);
  });

  test('ip-route: replacing a different route saves it, revert puts it back', () => {
    const table = () => nsOut(`ip -n ${NS} route show table 200 2>/dev/null || true`);
    const r = res('ip-route', { destination: 'default', via: '10.200.1.2', dev: 't0', table: 200, netns: NS });
    // no table 200 at all yet ("FIB table does not exist") reads as absent
    lifecycle(r, table);

    host(`ip -n ${NS} route add default via 10.200.1.3 dev t0 table 200`);
    host(`ip -n ${NS} route add default via 10.200.1.9 dev t0 metric 100 table 200`);
    const c = check(r);
    expect(c.code).toBe(1);
    expect(c.stdout).toContain('route is: default via 10.200.1.3 dev t0');
    lifecycle(r, table);
    // undo deletes only a route that is ours
    host(`ip -n ${NS} route add default via 10.200.1.3 dev t0 table 200`);
    expect(run(r.undo).code).toBe(0);
    expect(table()).toContain('default via 10.200.1.3 dev t0');
    host(`ip -n ${NS} route flush table 200`);
  });

  test('ip-route: host route, network route in main, blackhole', () => {
    const main = () => nsOut(`ip -n ${NS} route show table main`);
    lifecycle(res('ip-route', { destination: '10.8.0.5', via: '10.200.1.9', netns: NS }), main);
    lifecycle(res('ip-route', { destination: '10.4.0.0/24', dev: 't0', netns: NS }), main);
    lifecycle(res('ip-route', { destination: '10.9.0.0/16', type: 'blackhole', table: 201, netns: NS }), () =>
      nsOut(`ip -n ${NS} route show table 201 2>/dev/null || true`),
    );
  });

  test('IPv6: ip6tables rule, ip -6 rule and route (the metric-1024 one), inet6 address', () => {
    const nat6 = () => nsOut(`ip netns exec ${NS} ip6tables-save -t nat | grep '^-A' || true`);
    lifecycle(res('iptables-rule', { family: 6, table: 'nat', chain: 'POSTROUTING', rule: ['-s', 'fd00:10:4::/65', '-o', 't0', '-j', 'MASQUERADE', '-m', 'comment', '--comment', 'fleet: v6'], netns: NS }), nat6);
    // the IPv4 ruleset never sees it
    expect(nsOut(`ip netns exec ${NS} iptables-save -t nat | grep -c fd00 || true`).trim()).toBe('0');
    const rules6 = () => nsOut(`ip -n ${NS} -6 rule show`);
    lifecycle(res('ip-rule', { priority: 1000, from: 'fd00:10:4::/64', to: 'fd00:10:4::/64', table: 'main', netns: NS }), rules6);
    lifecycle(res('ip-rule', { family: 6, priority: 1100, fwmark: '0x200', table: 200, netns: NS }), rules6);
    lifecycle(res('ip-rule', { priority: 1001, to: 'fd00::5/128', table: 'main', netns: NS }), rules6);
    const t201 = () => nsOut(`ip -n ${NS} -6 route show table 201 2>/dev/null || true`);
    lifecycle(res('ip-route', { family: 6, destination: 'default', type: 'unreachable', table: 201, netns: NS }), t201);
    host(`ip -n ${NS} -6 addr add 2001:db8:77::1/64 dev t0 nodad`);
    const t200 = () => nsOut(`ip -n ${NS} -6 route show table 200 2>/dev/null || true`);
    lifecycle(res('ip-route', { destination: 'default', via: '2001:db8:77::2', dev: 't0', table: 200, netns: NS }), t200);
    host(`ip -n ${NS} -6 addr del 2001:db8:77::1/64 dev t0`);
    const addrs6 = () => nsOut(`ip -n ${NS} -o -6 addr show dev t0 scope global | awk '{print $4}'`);
    lifecycle(res('address', { address: 'fd00:10:4::1/64', dev: 't0', netns: NS }), addrs6);
    lifecycle(res('address', { address: 'fd00:10:4::1/64', dev: 't0', exclusive: true, netns: NS }), addrs6);
  });

  test('address', () => {
    const r = res('address', { address: '10.200.1.5/24', dev: 't0', netns: NS });
    lifecycle(r, () => nsOut(`ip -n ${NS} -o -4 addr show dev t0 | awk '{print $4}'`));
    // the same address with another prefix is another address
    host(`ip -n ${NS} addr add 10.200.1.5/16 dev t0`);
    expect(check(r).code).toBe(1);
    host(`ip -n ${NS} addr del 10.200.1.5/16 dev t0`);
    // on an interface that does not exist yet: absent, and undo is a no-op
    const r2 = res('address', { address: '10.200.9.1/24', dev: 'nosuch0', netns: NS });
    const c = check(r2);
    expect(c.code).toBe(1);
    expect(c.stdout).toContain('nosuch0 is absent');
    expect(run(r2.undo).code).toBe(0);
  });

  test('address, exclusive: the only IPv4 address on the interface; revert puts the old one back', () => {
    host(`ip -n ${NS} link add t2 type veth peer name t3 && ip -n ${NS} link set t2 up && ip -n ${NS} addr add 10.201.0.1/24 dev t2`);
    const addrs = () => nsOut(`ip -n ${NS} -o -4 addr show dev t2 | awk '{print $4}'`);
    // the same subnet: removing the old primary would take a new secondary with it
    const r = res('address', { address: '10.201.0.2/24', dev: 't2', exclusive: true, netns: NS });
    const c = check(r);
    expect(c.code).toBe(1);
    lifecycle(r, addrs);
    expect(addrs()).toBe('');
    host(`ip -n ${NS} addr add 10.201.0.1/24 dev t2`);
    expect(run(r.apply).code).toBe(0);
    expect(addrs()).toBe('10.201.0.2/24\n');
    // ours there, and another appears: reported, and a non-exclusive resource would not care
    host(`ip -n ${NS} addr add 10.202.0.1/24 dev t2`);
    const both = check(r);
    expect(both.code).toBe(1);
    expect(both.stdout).toBe('t2 also has 10.202.0.1/24\n');
    expect(proved(r)).toBe(false);
    expect(check(res('address', { address: '10.201.0.2/24', dev: 't2', netns: NS })).code).toBe(0);
    const s = newState();
    expect(run(r.apply, s).code).toBe(0);
    expect(addrs()).toBe('10.201.0.2/24\n');
    expect(proved(r)).toBe(true);
    expect(run(r.revert, s).code).toBe(0);
    expect(addrs()).toBe('10.201.0.2/24\n10.202.0.1/24\n');
    host(`ip -n ${NS} link del t2`);
  });

  test('link: revert restores the previous admin state and MTU', () => {
    const state = () => nsOut(`ip -n ${NS} -o link show dev t1 | awk '{print $3, $4, $5}'`);
    expect(state()).toBe('<BROADCAST,MULTICAST> mtu 1500\n');
    const r = res('link', { dev: 't1', mtu: 1400, netns: NS });
    const c = check(r);
    expect(c.stdout).toBe('t1 is down, mtu 1500\n');
    lifecycle(r, state);
    // undo sets it down and leaves the MTU (teardown deletes most interfaces anyway)
    expect(state()).toBe('<BROADCAST,MULTICAST> mtu 1400\n');
    host(`ip -n ${NS} link set dev t1 mtu 1500`);
    // up already, MTU differs: revert keeps it up and puts the MTU back
    host(`ip -n ${NS} link set dev t1 up`);
    const before = state();
    const s = newState();
    expect(run(r.apply, s).code).toBe(0);
    expect(check(r).code).toBe(0);
    expect(run(r.revert, s).code).toBe(0);
    expect(state()).toBe(before);
    host(`ip -n ${NS} link set dev t1 down`);
    expect(check(res('link', { dev: 'nosuch0', netns: NS })).code).toBe(1);
  });

  test('veth: pair into another namespace; repairs a half-made pair', () => {
    const r = res('veth', { name: 'fv0', peer: 'fv1', peerNetns: NS_PEER, netns: NS });
    const links = () =>
      nsOut(`ip -n ${NS} -o link show | awk '{print $2}' | sort; echo --; ip -n ${NS_PEER} -o link show | awk '{print $2}' | sort`);
    lifecycle(r, links);
    // half-made: both ends still in NS (an older script stopped before the move)
    host(`ip -n ${NS} link add fv0 type veth peer name fv1`);
    const c = check(r);
    expect(c.code).toBe(1);
    expect(c.stdout).toBe('veth fv0: peer-here\n');
    expect(run(r.apply).code).toBe(0);
    expect(check(r).code).toBe(0);
    expect(run(r.undo).code).toBe(0);
    // a veth of that name whose peer is not where it should be: reported as such
    const other = res('veth', { name: 't0', peer: 'zz', peerNetns: NS_PEER, netns: NS });
    expect(check(other).stdout).toBe('veth t0: peer-missing\n');
  });

  test('sysctl: revert writes the previous value back; whitespace does not matter', () => {
    const fwd = () => nsOut(`ip netns exec ${NS} sysctl -n net.ipv4.ip_forward`);
    expect(fwd()).toBe('0\n');
    const r = res('sysctl', { key: 'net.ipv4.ip_forward', value: 1, undoValue: '0', netns: NS });
    lifecycle(r, fwd);
    // previous value other than the kernel default: revert restores exactly that
    host(`ip netns exec ${NS} sysctl -q -w net.ipv4.conf.t0.rp_filter=2`);
    const rp = res('sysctl', { key: 'net.ipv4.conf.t0.rp_filter', value: '0', netns: NS });
    const s = newState();
    expect(run(rp.apply, s).code).toBe(0);
    expect(run(rp.revert, s).code).toBe(0);
    expect(nsOut(`ip netns exec ${NS} sysctl -n net.ipv4.conf.t0.rp_filter`)).toBe('2\n');
    // without undoValue, undo leaves the value
    expect(run(rp.apply, newState()).code).toBe(0);
    expect(run(rp.undo).code).toBe(0);
    expect(check(rp).code).toBe(0);
    // sysctl prints this one tab-separated
    const range = nsOut(`ip netns exec ${NS} sysctl -n net.ipv4.ip_local_port_range`).trim().split(/\s+/).join('    ');
    const ranged = res('sysctl', { key: 'net.ipv4.ip_local_port_range', value: range, netns: NS });
    expect(check(ranged).code).toBe(0);
    expect(proved(ranged), 'the facts compare the range without regard to whitespace too').toBe(true);
    // a key that does not exist yet (the veth of a later step) is absent, not an error
    const later = check(res('sysctl', { key: 'net.ipv4.conf.veth-later.forwarding', value: '1', netns: NS }));
    expect(later.code).toBe(1);
    expect(later.stdout).toBe('net.ipv4.conf.veth-later.forwarding does not exist\n');
  });

  test('every netns-capable module reads a missing namespace as absent, and undo is a no-op', () => {
    const inMissing = [
      res('iptables-rule', { chain: 'INPUT', rule: ['-j', 'ACCEPT'], netns: NS_MISSING }),
      res('ip-rule', { priority: 5, table: 200, netns: NS_MISSING }),
      res('ip-route', { destination: 'default', via: '10.0.0.1', netns: NS_MISSING }),
      res('address', { address: '10.0.0.1/24', dev: 'x0', netns: NS_MISSING }),
      res('link', { dev: 'x0', netns: NS_MISSING }),
      res('sysctl', { key: 'net.ipv4.ip_forward', value: '1', undoValue: '0', netns: NS_MISSING }),
      res('veth', { name: 'x0', peer: 'x1', netns: NS_MISSING }),
      res('veth', { name: 'x0', peer: 'x1', peerNetns: NS_MISSING, netns: NS }),
    ];
    for (const r of inMissing) {
      const c = check(r);
      expect(c.code, `${r.id}: ${c.stderr}`).toBe(1);
      expect(run(r.undo).code, r.id).toBe(0);
      expect(run(r.revert).code, r.id).toBe(0);
    }
  });

  test('file: create with parents; revert removes the file and the parents it made', () => {
    const dir = path.join(tmpRoot, 'files');
    mkdirSync(dir);
    const p = path.join(dir, 'a', 'b', 'c.conf');
    const r = res('file', { path: p, content: 'hello\nworld\n', mode: '0640', makeParents: true });
    const tree = () => host(`cd ${quote(dir)} && find . -printf '%p %m %s\\n' | sort`);
    const c = check(r);
    expect(c.stdout).toBe('@@fleet-file absent\n');
    lifecycle(r, tree);
    expect(run(r.apply).code).toBe(0);
    expect(readFileSync(p, 'utf8')).toBe('hello\nworld\n');
    expect(statSync(p).mode & 0o7777).toBe(0o640);
    expect(statSync(path.dirname(p)).mode & 0o7777).toBe(0o755);
    // a different content: the check prints the marker line and the current content
    writeFileSync(p, 'old\n');
    expect(check(r).stdout).toBe('@@fleet-file present mode=0640 owner=root group=root content=differs\nold\n');
    chmodSync(p, 0o644);
    writeFileSync(p, 'hello\nworld\n');
    expect(check(r).stdout).toBe('@@fleet-file present mode=0644 owner=root group=root content=same\n');
    // undo removes the file and the parents it emptied, never a directory that holds anything
    writeFileSync(path.join(dir, 'keep'), '');
    expect(run(r.undo).code).toBe(0);
    expect(existsSync(p)).toBe(false);
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
    expect(existsSync(path.join(dir, 'keep'))).toBe(true);
  });

  test('file: revert restores the previous content, mode and owner', () => {
    const p = path.join(tmpRoot, 'files', 'prev.conf');
    writeFileSync(p, 'previous\n');
    chmodSync(p, 0o604);
    host(`chown nobody:nogroup ${quote(p)}`);
    const r = res('file', { path: p, content: 'new\n', mode: '0644', owner: 'root', group: 'root' });
    const snap = () => host(`stat -c '%a %U %G %s' ${quote(p)}; cat ${quote(p)}`);
    const before = snap();
    const c = check(r);
    expect(c.stdout).toBe('@@fleet-file present mode=0604 owner=nobody group=nogroup content=differs\nprevious\n');
    const s = newState();
    expect(run(r.apply, s).code).toBe(0);
    expect(snap()).toBe('644 root root 4\nnew\n');
    expect(run(r.revert, s).code).toBe(0);
    expect(snap()).toBe(before);
    expect(check(r).code).toBe(1);
  });

  test('file: a secret is never readable by others, and never shown', () => {
    const dir = path.join(tmpRoot, 'secret');
    mkdirSync(dir);
    const p = path.join(dir, 'auth.txt');
    const secret = 'user\nhunter2-very-secret\n';
    const r = res('file', { path: p, content: secret, mode: '0600', secret: true });
    const b64 = Buffer.from(secret).toString('base64');
    for (const f of [r.check, r.apply, r.revert, r.undo]) {
      expect(f.masked).not.toContain('hunter2');
      expect(f.masked).not.toContain(b64);
    }
    expect(r.apply.text).toContain(b64);
    expect(r.desiredContent).toBeUndefined();
    expect(r.secret).toBe(true);

    // Shims record the temp file's mode when it is chmod-ed (content already inside) and renamed.
    const shims = path.join(tmpRoot, 'shims');
    const log = path.join(tmpRoot, 'shim.log');
    mkdirSync(shims);
    for (const tool of ['chmod', 'mv']) {
      const real = host(`command -v ${tool}`).trim();
      writeFileSync(
        path.join(shims, tool),
        `#!/bin/sh\nfor a in "$@"; do case $a in */.fleet-*) stat -c '${tool} %a %s' "$a" >> ${quote(log)} ;; esac; done\nexec ${real} "$@"\n`,
        { mode: 0o755 },
      );
    }
    writeFileSync(p, 'old secret\n', { mode: 0o600 });
    const c = check(r);
    expect(c.code).toBe(1);
    expect(c.stdout).toBe('@@fleet-file present mode=0600 owner=root group=root content=differs secret\n');
    const s = newState();
    const a = run(raw(`PATH=${quote(shims)}:$PATH\n${r.apply.text}`), s);
    expect(a.code, a.stderr).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(`chmod 600 ${secret.length}\nmv 600 ${secret.length}\n`);
    expect(readFileSync(p, 'utf8')).toBe(secret);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(check(r).stdout).toBe('');
    expect(run(r.revert, s).code).toBe(0);
    expect(readFileSync(p, 'utf8')).toBe('old secret\n');
    expect(outputs.join('')).not.toContain('hunter2');
  });

  test('file: a directory or symlink at the path is a probe failure', () => {
    const d = path.join(tmpRoot, 'files', 'isdir');
    mkdirSync(d);
    expect(check(res('file', { path: d, content: 'x', mode: '0644' })).code).toBe(2);
    host(`ln -s /etc/hostname ${quote(path.join(tmpRoot, 'files', 'link'))}`);
    expect(check(res('file', { path: path.join(tmpRoot, 'files', 'link'), content: 'x', mode: '0644' })).code).toBe(2);
  });

  test('package: check only (nothing is installed by this test)', () => {
    expect(check(res('package', { name: 'iproute2' })).code).toBe(0);
    const c = check(res('package', { name: 'fleet-no-such-package' }));
    expect(c.code).toBe(1);
    expect(c.stdout).toBe('fleet-no-such-package is not installed\n');
  });

  test('daemon: a foreground process in a namespace, by pidfile; config change means restart', () => {
    const dir = path.join(tmpRoot, 'daemon-sleep');
    mkdirSync(dir);
    const conf = path.join(dir, 'sl.conf');
    writeFileSync(conf, 'one\n');
    const pidfile = path.join(dir, 'sl.pid');
    const r = res('daemon', {
      name: 'sleeper',
      command: ['sleep', '100000'],
      pidfile,
      foreground: true,
      netns: NS,
      configFiles: [conf],
      stateDir: path.join(dir, 'state'),
    });
    expect(r.watches).toEqual([`file:${conf}`]);
    const running = () => {
      if (!existsSync(pidfile)) return 'stopped';
      const pid = readFileSync(pidfile, 'utf8').trim();
      const st = exec('sh', ['-c', `awk '/^State:/ {print $2}' /proc/${pid}/status 2>/dev/null`]).stdout.trim();
      return st && st !== 'Z' ? 'running' : 'stopped';
    };
    lifecycle(r, running);

    const s = newState();
    expect(run(r.apply, s).code).toBe(0);
    const pid1 = readFileSync(pidfile, 'utf8').trim();
    expect(exec('ip', ['netns', 'identify', pid1]).stdout.trim()).toBe(NS);
    // converged: no restart
    expect(check(r).code).toBe(0);
    // config changed: does not hold; apply restarts it
    writeFileSync(conf, 'two\n');
    const c = check(r);
    expect(c.code).toBe(1);
    expect(c.stdout).toBe('sleeper runs with an older configuration or command line\n');
    const s2 = newState();
    expect(run(r.apply, s2).code).toBe(0);
    const pid2 = readFileSync(pidfile, 'utf8').trim();
    expect(pid2).not.toBe(pid1);
    expect(check(r).code).toBe(0);
    // revert of a restart: deferred until the old config is back
    writeFileSync(deferFile, '');
    expect(run(r.revert, s2).code).toBe(0);
    expect(readFileSync(pidfile, 'utf8').trim()).toBe(pid2);
    writeFileSync(conf, 'one\n');
    expect(check(r).code).toBe(1);
    const d = exec('/bin/sh', ['-c', `export LC_ALL=C; . ${quote(deferFile)}`]);
    expect(d.code, d.stderr).toBe(0);
    expect(readFileSync(pidfile, 'utf8').trim()).not.toBe(pid2);
    expect(check(r).code).toBe(0);
    writeFileSync(deferFile, '');
    // a stale pidfile naming someone else's live process: not running, and never killed
    expect(run(r.undo).code).toBe(0);
    writeFileSync(pidfile, `${process.pid}\n`);
    expect(check(r).code).toBe(1);
    expect(run(r.undo).code).toBe(0);
    expect(() => process.kill(process.pid, 0)).not.toThrow();
    rmSync(pidfile, { force: true });
  });

  test('daemon: dnsmasq inside the namespace on a high port', () => {
    const dir = path.join(tmpRoot, 'daemon-dnsmasq');
    mkdirSync(dir);
    const conf = path.join(dir, 'internal.conf');
    const base = `port=15353\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\nuser=root\nlog-facility=${dir}/dnsmasq.log\n`;
    writeFileSync(conf, `${base}address=/vault.fleet.test/10.4.0.7\n`);
    const pidfile = path.join(dir, 'dnsmasq.pid');
    const r = res('daemon', {
      name: 'dnsmasq',
      command: ['dnsmasq', `--conf-file=${conf}`, `--pid-file=${pidfile}`],
      pidfile,
      netns: NS,
      configFiles: [conf],
      stateDir: path.join(dir, 'state'),
    });
    const listening = () => nsOut(`ip netns exec ${NS} ss -Hlun 'sport = :15353' | awk '{print $4}'`);
    lifecycle(r, listening);
    expect(run(r.apply).code).toBe(0);
    expect(listening()).toBe('127.0.0.1:15353\n');
    const answer = () => nsOut(`ip netns exec ${NS} dig +short +time=2 +tries=1 -p 15353 @127.0.0.1 vault.fleet.test A`);
    expect(answer()).toBe('10.4.0.7\n');
    const pid1 = readFileSync(pidfile, 'utf8').trim();
    writeFileSync(conf, `${base}address=/vault.fleet.test/10.4.0.8\n`);
    expect(check(r).code).toBe(1);
    expect(run(r.apply).code).toBe(0);
    expect(readFileSync(pidfile, 'utf8').trim()).not.toBe(pid1);
    expect(answer()).toBe('10.4.0.8\n');
    expect(run(r.undo).code).toBe(0);
    expect(listening()).toBe('');
    expect(run(r.undo).code).toBe(0);
  });

  test('wireguard-key and wireguard-interface (wireguard-go in a private mount namespace)', async () => {
    // The holder: NS_WG's network plus its own mount namespace with a tmpfs on /run.
    const holder = spawn(
      'ip',
      ['netns', 'exec', NS_WG, 'unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', 'mount -t tmpfs -o mode=0755 tmpfs /run && exec sleep 100000'],
      { detached: true, stdio: 'ignore' },
    );
    holder.unref();
    const pid = holder.pid!;
    for (let i = 0; i < 100 && exec('cat', [`/proc/${pid}/comm`]).stdout.trim() !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(exec('cat', [`/proc/${pid}/comm`]).stdout.trim()).toBe('sleep');
    const via = ['nsenter', '-t', String(pid), '-m', '-n'];

    const dir = path.join(tmpRoot, 'wg');
    mkdirSync(dir, { mode: 0o700 });
    const keyPath = path.join(dir, 'fwg0.key');
    const pubPath = path.join(dir, 'fwg0.pub');

    // The key: generated on the host, never printed.
    const key = res('wireguard-key', { path: keyPath, publicKeyPath: pubPath });
    expect(key.teardown).toBeUndefined(); // teardown removes the key: the host ends bare
    lifecycle(key, () => (existsSync(keyPath) ? 'key' : 'none') + (existsSync(pubPath) ? '+pub' : ''), { via });
    expect(run(key.apply, newState(), via).code).toBe(0);
    const privateKey = readFileSync(keyPath, 'utf8').trim();
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(pubPath, 'utf8').trim()).toBe(host(`wg pubkey < ${quote(keyPath)}`).trim());
    // an existing key is never regenerated; a wrong mode is fixed and reverted
    chmodSync(keyPath, 0o644);
    const ks = newState();
    expect(check(key, via).stdout).toBe(`${keyPath} has mode 644\n`);
    expect(run(key.apply, ks, via).code).toBe(0);
    expect(readFileSync(keyPath, 'utf8').trim()).toBe(privateKey);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(run(key.revert, ks, via).code).toBe(0);
    expect(statSync(keyPath).mode & 0o777).toBe(0o644);
    chmodSync(keyPath, 0o600);

    const peer = () => host('wg genkey | wg pubkey').trim();
    const [p1, p2] = [peer(), peer()];
    const configPath = path.join(dir, 'fwg0.conf');
    const config = (peers: { key: string; ips: string }[]) =>
      [
        '[Interface]',
        'Address = 10.4.0.1/24',
        'ListenPort = 51820',
        'MTU = 1420',
        'Table = off',
        `PostUp = wg set %i private-key ${keyPath}`,
        ...peers.flatMap((p) => ['', '[Peer]', `PublicKey = ${p.key}`, `AllowedIPs = ${p.ips}`]),
        '',
      ].join('\n');
    const conf1 = config([{ key: p1, ips: '10.4.0.2/32' }]);
    const conf2 = config([
      { key: p1, ips: '10.4.0.2/32' },
      { key: p2, ips: '10.4.0.130/32, 10.4.1.0/24' },
    ]);
    writeFileSync(configPath, conf1, { mode: 0o600 });
    const args1 = { name: 'fwg0', configPath, keyPath, listenPort: 51820, peers: [{ publicKey: p1, allowedIps: ['10.4.0.2/32'] }] };
    const args2 = { ...args1, peers: [...args1.peers, { publicKey: p2, allowedIps: ['10.4.0.130/32', '10.4.1.0/24'] }] };
    const wg1 = res('wireguard-interface', args1);
    const wg2 = res('wireguard-interface', args2);
    const wgState = () => look('wg show fwg0 listen-port 2>/dev/null && wg show fwg0 allowed-ips | sort', via);
    const hasKey = () => look('wg show fwg0 private-key', via).trim() === privateKey;

    // up from nothing, then down again on revert
    lifecycle(wg1, wgState, { via });

    // running: a peer change is synced without dropping the interface (same ifindex)
    const s1 = newState();
    expect(run(wg1.apply, s1, via).code).toBe(0);
    expect(hasKey()).toBe(true);
    const ifindex = () => look('cat /sys/class/net/fwg0/ifindex', via);
    const idx = ifindex();
    writeFileSync(configPath, conf2);
    const c = check(wg2, via);
    expect(c.code).toBe(1);
    expect(c.stdout).toBe('fwg0 peers differ: 2 wanted, now 1\n');
    const s2 = newState();
    const a2 = run(wg2.apply, s2, via);
    expect(a2.code, a2.stderr).toBe(0);
    expect(check(wg2, via).code).toBe(0);
    // the peers must be exactly these: a subset of them proves nothing
    expect(proved(wg2, via)).toBe(true);
    expect(proved(wg1, via)).toBe(false);
    expect(check(wg1, via).code).toBe(1);
    expect(ifindex()).toBe(idx);
    expect(hasKey()).toBe(true);
    expect(existsSync(path.join(dir, 'leftover'))).toBe(false);
    expect(look('ls /run/fleet | grep -c "^wg-fwg0\\." || true', via).trim()).toBe('0');

    // revert of a sync: deferred until the old config file is back
    writeFileSync(deferFile, '');
    expect(run(wg2.revert, s2, via).code).toBe(0);
    expect(check(wg2, via).code).toBe(0);
    writeFileSync(configPath, conf1);
    const d = exec(via[0]!, [...via.slice(1), '/bin/sh', '-c', `export LC_ALL=C; . ${quote(deferFile)}`]);
    expect(d.code, d.stderr).toBe(0);
    expect(check(wg1, via).code).toBe(0);
    expect(hasKey()).toBe(true);
    writeFileSync(deferFile, '');

    // revert of an up: down
    expect(run(wg1.revert, s1, via).code).toBe(0);
    expect(check(wg1, via).stdout).toBe('fwg0 is absent\n');

    // undo, twice
    expect(run(wg1.apply, newState(), via).code).toBe(0);
    expect(run(wg1.undo, newState(), via).code).toBe(0);
    expect(run(wg1.undo, newState(), via).code).toBe(0);
    expect(check(wg1, via).code).toBe(1);

    // the private key never appeared in any output
    expect(outputs.join('\n')).not.toContain(privateKey);
    for (const r of [key, wg1, wg2]) for (const f of [r.check, r.apply, r.revert, r.undo]) expect(f.text).not.toContain(privateKey);
    expect(run(key.undo, newState(), via).code).toBe(0);
    expect(existsSync(keyPath)).toBe(false);
  });
});
