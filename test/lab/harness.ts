/**
 * The lab for test files: `useLab` brings it up (or reuses a healthy one with the same options)
 * and returns its status; `teardownLab` takes it down. When the lab cannot start on this machine
 * (not root, no /dev/net/tun, missing packages) the tests are skipped with the reason, except
 * under CI=true, where they fail: lab tests must never silently skip in CI.
 *
 *   let lab: LabState;
 *   beforeAll(async ({}, suite) => { lab = await useLab({ hosts: 3 }, suite); });  // vitest wants a destructuring pattern first
 *   afterAll(() => teardownLab());
 *
 * `useLab({ systemd: true, variant: 'ufw' })` brings up systemd gateways (Debian 12 booted under
 * systemd-nspawn) instead. FLEET_LAB_SYSTEMD=1 (or a variant name) makes that the default for
 * every test file that does not say, so the existing lab tests run on systemd gateways too:
 *
 *   FLEET_LAB_SYSTEMD=1 npx vitest run test/lab/deploy.test.ts
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type RunResult } from '../../src/lab/run.js';
import { labUp } from '../../src/lab/up.js';
import { labDown } from '../../src/lab/down.js';
import { labStatus } from '../../src/lab/status.js';
import { preflight, installCommand } from '../../src/lab/preflight.js';
import { LabError, LabPrereqError } from '../../src/lab/errors.js';
import { stateDir, type LabGateway, type LabState } from '../../src/lab/state.js';
import { isSystemdVariant, type SystemdVariant } from '../../src/lab/image.js';
import { cgroupDirs, cgroupHierarchies } from '../../src/lab/cgroups.js';
import { labSsh, labSshArgv } from '../../src/lab/ssh.js';
import { CURL_COULD_NOT_CONNECT, vpnHalfLeaks } from '../../src/lab/proof.js';
import { expect } from 'vitest';

export type { LabState, LabGateway, LabClient, LabProvider, LabInternet } from '../../src/lab/state.js';
export type { RunResult } from '../../src/lab/run.js';
export { gatewayExec, clientExec, snapshotGateway, connectClients, findGateway, findClient } from '../../src/lab/exec.js';
export { labStatus } from '../../src/lab/status.js';
export { rebootGateway } from '../../src/lab/reboot.js';

export interface UseLabOptions {
  /** Number of gateways (default 3). */
  hosts?: number;
  /** Switch, gateways and sshd only: no clients, provider or internet. */
  bare?: boolean;
  /** Tear down whatever is up and build anew (default: reuse a healthy lab with the same options). */
  fresh?: boolean;
  /**
   * Gateways boot Debian 12 with systemd under systemd-nspawn (default: $FLEET_LAB_SYSTEMD, unset =
   * namespace gateways). `variant` implies it.
   */
  systemd?: boolean;
  /** The systemd image variant: default, resolved, default-deny, ufw. */
  variant?: SystemdVariant;
  /** A bastion between the controller and the gateways (`lab up --bastion`). */
  bastion?: boolean;
  /** A round trip (ms) a relay adds in front of each gateway's sshd (`lab up --rtt`). */
  rttMs?: number;
  /** The inventory's upstream (`lab up --provider`): openvpn (default) or wireguard. */
  provider?: 'openvpn' | 'wireguard';
}

/** The systemd variant `opts` (or $FLEET_LAB_SYSTEMD) asks for, or undefined for namespace gateways. */
export function systemdVariantOf(opts: UseLabOptions): SystemdVariant | undefined {
  if (opts.variant) return opts.variant;
  if (opts.systemd === true) return 'default';
  if (opts.systemd === false) return undefined;
  const env = process.env.FLEET_LAB_SYSTEMD?.trim();
  if (!env || env === '0') return undefined;
  if (env === '1' || env === 'true') return 'default';
  if (isSystemdVariant(env)) return env;
  throw new LabError(`FLEET_LAB_SYSTEMD must be 1 or a variant name (default, resolved, default-deny, ufw), got ${JSON.stringify(env)}`);
}

/** A vitest suite (beforeAll's second argument) or test context (has skip()). */
export type SkipTarget = { readonly tasks: readonly unknown[] } | { skip: (note?: string) => void };

interface MutableTask {
  mode: string;
  result?: Record<string, unknown>;
  tasks?: MutableTask[];
}

function markSkipped(tasks: readonly unknown[], note: string): void {
  for (const t of tasks as MutableTask[]) {
    t.mode = 'skip';
    t.result = { ...(t.result ?? {}), state: 'skip', note };
    if (t.tasks) markSkipped(t.tasks, note);
  }
}

/** Why the lab cannot run here (not root, no /dev/net/tun, missing packages), or undefined. */
export async function labUnavailableReason(): Promise<string | undefined> {
  const r = await preflight({ stateDir: stateDir(), withTests: true });
  if (r.missing.length === 0) return undefined;
  return `the lab cannot start here: ${r.missing.join('; ')}${r.packages.length ? ` (install: ${installCommand()})` : ''}`;
}

/**
 * Brings the lab up and returns its status. If the lab cannot start on this machine: under
 * CI=true it throws; otherwise it marks `skip`'s tests skipped with the reason (or, without
 * `skip`, throws a LabPrereqError whose message says why).
 */
export async function useLab(opts: UseLabOptions = {}, skip?: SkipTarget): Promise<LabState> {
  const variant = systemdVariantOf(opts);
  const pre = await preflight({ stateDir: stateDir(), withTests: true, systemd: !!variant });
  if (pre.missing.length) {
    const reason = `the lab cannot start here: ${pre.missing.join('; ')}`;
    const hint = pre.packages.length ? `install the missing packages with: ${installCommand()}` : undefined;
    if (process.env.CI === 'true' || !skip) throw new LabPrereqError(pre.missing, { hint });
    process.stderr.write(`[lab] skipping: ${reason}${hint ? ` (${hint})` : ''}\n`);
    if ('tasks' in skip) {
      markSkipped(skip.tasks, reason);
      return labStatus();
    }
    skip.skip(reason);
    return labStatus();
  }
  return labUp({ hosts: opts.hosts, bare: opts.bare, fresh: opts.fresh, systemd: !!variant, variant, bastion: opts.bastion, rttMs: opts.rttMs, provider: opts.provider });
}

const scratchDirs: string[] = [];

/**
 * A temporary directory holding a copy of the lab's inventory, for tests that edit it (peer add)
 * or deploy from their own file; `teardownLab` removes it.
 */
export function scratchInventory(lab: LabState, prefix: string): { dir: string; inventory: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  scratchDirs.push(dir);
  const inventory = path.join(dir, 'lab.yaml');
  copyFileSync(lab.inventory, inventory);
  return { dir, inventory };
}

/** Takes the lab down (a no-op where the lab cannot run, e.g. not root), and removes scratch copies. */
export async function teardownLab(): Promise<void> {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return;
  await labDown();
}

/**
 * The root namespace's state the lab must never change (compare before up, after down): routes,
 * rules, iptables, forwarding sysctls, and what a systemd lab could leave behind: mounts, the
 * cgroups of the hierarchies nspawn uses, nspawn processes, nspawn's runtime dir in /run.
 */
export async function rootNetSnapshot(): Promise<string> {
  const parts: string[] = [];
  for (const argv of [['ip', '-4', 'route', 'show', 'table', 'all'], ['ip', '-6', 'route', 'show', 'table', 'all'], ['ip', '-4', 'rule'], ['ip', '-6', 'rule'], ['iptables-save'], ['ip6tables-save']]) {
    const r = await run(argv);
    const out = r.stdout
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      // Counters change with any traffic; they are not configuration.
      .map((l) => l.replace(/\[\d+:\d+\]/g, '[]'))
      // IPv6 routes of interfaces other projects may bring up and down are not ours to compare;
      // neither is the kernel's expiry countdown on them.
      .map((l) => l.replace(/ expires \d+sec/, ''))
      .join('\n');
    parts.push(`== ${argv.join(' ')}\n${out}`);
  }
  for (const f of ['/proc/sys/net/ipv4/ip_forward', '/proc/sys/net/ipv4/conf/all/forwarding', '/proc/sys/net/ipv6/conf/all/forwarding']) {
    const r = await run(['cat', f]);
    parts.push(`== ${f}\n${r.stdout.trim()}`);
  }
  parts.push(`== mounts\n${rootMounts().join('\n')}`);
  parts.push(`== cgroups\n${cgroupHierarchies().flatMap((h) => cgroupDirs(h)).sort().join('\n')}`);
  parts.push(`== nspawn processes\n${nspawnProcesses().join('\n')}`);
  parts.push(`== /run/systemd/nspawn\n${safeList('/run/systemd/nspawn').join('\n')}`);
  return parts.join('\n');
}

/** Mount points and types of this mount namespace, without other projects' throwaway netns mounts. */
function rootMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pre, post] = l.split(' - ');
      return `${pre?.split(' ')[4]} ${post?.split(' ')[0]}`;
    })
    .filter((m) => !/^\/run\/netns\/(?!fl-)\S+ /.test(m))
    .sort();
}

function nspawnProcesses(): string[] {
  const out: string[] = [];
  for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      // A zombie (killed, its parent not reaping yet) is dead: it holds nothing but its pid.
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'systemd-nspawn') out.push(`${e} ${readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`);
    } catch {
      /* gone */
    }
  }
  return out.sort();
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return ['(none)'];
  }
}

/** argv for the real ssh binary to a gateway: the lab key, strict host key checking, no prompts. */
export function sshArgv(lab: LabState, gw: string | LabGateway, command: string, opts: { user?: string; knownHosts?: string } = {}): string[] {
  return labSshArgv(lab, gw, command, opts);
}

/** Runs `command` on a gateway over real SSH (see sshArgv). */
export function sshRun(lab: LabState, gw: string | LabGateway, command: string, opts: { user?: string; knownHosts?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return labSsh(lab, gw, command, opts);
}

/**
 * The VPN half failed closed while `leak` captured on gateway `gw`'s WAN: nothing of it and no
 * DNS there, no answer for the VPN half, the upstream DNS asked nothing, the direct half works.
 */
export async function expectFailedClosed(lab: LabState, gw: string): Promise<void> {
  // The VPN half's IPv6 (never masqueraded) as well as its IPv4.
  const leak = await vpnHalfLeaks(lab, gw, { filter: 'net 10.4.0.128/25 or net fd00:10:4:0:8000::/65 or port 53' });
  expect(leak.ranFullWindow, 'the capture ran its whole window').toBe(true);
  expect(leak.packets, 'VPN-half or DNS packets on the WAN').toBe('');
  expect(leak.vpnEcho).toBe('');
  expect(leak.vpnLookup).toBe('');
  expect(leak.upstreamSaw).toEqual([]);
  expect(leak.directEcho).toBe(lab.gateways.find((g) => g.name === gw)!.wanIp);
  const wanIp6 = lab.gateways.find((g) => g.name === gw)!.wanIp6;
  if (wanIp6 && leak.vpnEcho6) {
    // Refused at once by an ICMPv6 unreachable (curl: could not connect), not left to time out.
    expect(leak.vpnEcho6, 'the VPN half over IPv6').toEqual({ saw: '', code: CURL_COULD_NOT_CONNECT });
    expect(leak.directEcho6).toBe(wanIp6);
  }
}
