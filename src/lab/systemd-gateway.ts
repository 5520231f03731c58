/**
 * A systemd lab gateway: Debian 12 booted under systemd-nspawn (systemd as PID 1, journald,
 * logind, ssh.service and the distribution's units) in the gateway's own network namespace on
 * the lab switch, with the same address, host key pinning and users as a namespace gateway.
 *
 * Its disk is an overlay: the cached image (src/lab/image.ts), the variant's layer, and the
 * gateway's own upper dir in the state dir, which holds what a cloud image's first boot would
 * have written (hostname, the WAN address for ifupdown, the resolver, the SSH host key, root's
 * authorized_keys, the become user). The image has no host keys and an empty machine-id, so each
 * gateway has its own of both.
 *
 * A supervisor (nspawn-supervise.sh) keeps it running across `systemctl reboot`; its pid, and
 * each boot's nspawn pid (GWDIR/nspawn.pid), let the lab find the current PID 1.
 */
import { chmodSync, chownSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BECOME_USER, BRIDGE, INET_IP, LAB_PREFIX_LEN, SSH_PORT, SWITCH_NS, WAN_IFACE, labMac, type GatewayPlan } from './names.js';
import { LabError } from './errors.js';
import { LAB_ENV, enter, isAlive, processStartTime, spawnDaemon, waitFor } from './run.js';
import { ensureSshKey } from './keys.js';
import { becomeAccount, tcpOpen, type GatewayFiles } from './gateway.js';
import { lowerDirs, type LabImage, type SystemdVariant } from './image.js';
import { labCgroupRoots } from './cgroups.js';

const SUPERVISE_SCRIPT = fileURLToPath(new URL('nspawn-supervise.sh', import.meta.url));
const BOOT_SCRIPT = fileURLToPath(new URL('nspawn-boot.sh', import.meta.url));

interface TreeEntry {
  path: string;
  /** Omitted: a directory. */
  content?: string;
  mode: number;
  uid?: number;
  gid?: number;
}

function writeTree(base: string, entries: TreeEntry[]): void {
  for (const e of entries) {
    const p = path.join(base, e.path);
    if (e.content === undefined) mkdirSync(p, { recursive: true, mode: e.mode });
    else {
      mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
      writeFileSync(p, e.content, { mode: e.mode });
    }
    chmodSync(p, e.mode);
    chownSync(p, e.uid ?? 0, e.gid ?? 0);
  }
}

/** /etc/network/interfaces.d: the WAN address as a cloud image's network configuration sets it. */
export function interfacesFile(g: GatewayPlan): string {
  return [
    '# The WAN, as the cloud sets it up (written by fleet lab up)',
    'auto lo',
    'iface lo inet loopback',
    '',
    `auto ${WAN_IFACE}`,
    `iface ${WAN_IFACE} inet static`,
    `    address ${g.wanIp}/${LAB_PREFIX_LEN}`,
    `    gateway ${INET_IP}`,
    '',
  ].join('\n');
}

/** sshd drop-in: fleet runs many sessions over one connection and many hosts at once. */
export const SSHD_DROP_IN = [
  '# fleet lab (written by fleet lab up)',
  'HostKey /etc/ssh/ssh_host_ed25519_key',
  'PasswordAuthentication no',
  'KbdInteractiveAuthentication no',
  'MaxSessions 100',
  'MaxStartups 500:30:1000',
  'UseDNS no',
  '',
].join('\n');

/** The upper dir's first contents (see the header). */
export async function prepareSystemdGateway(
  g: GatewayPlan,
  gatewaysDir: string,
  authorizedKeys: string,
  opts: { image: LabImage; variant: SystemdVariant },
): Promise<GatewayFiles> {
  const dir = path.join(gatewaysDir, g.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const d of ['work', 'root']) mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
  const hostKey = path.join(dir, 'host_key');
  const hostPublicKey = await ensureSshKey(hostKey, `${g.name}@fleet-lab`);
  const upper = path.join(dir, 'upper');
  const b = becomeAccount(BECOME_USER, path.join(opts.image.rootfs, 'etc'));
  const resolved = opts.variant === 'resolved';
  writeTree(upper, [
    { path: '.', mode: 0o755 },
    { path: 'etc', mode: 0o755 },
    { path: 'etc/hostname', content: `${g.name}\n`, mode: 0o644 },
    { path: 'etc/hosts', content: `127.0.0.1\tlocalhost\n127.0.1.1\t${g.name}\n`, mode: 0o644 },
    // With resolved, the layer's /etc/resolv.conf (its stub) stays; the lab DNS is its upstream.
    resolved
      ? { path: 'etc/systemd/resolved.conf.d/lab-dns.conf', content: `[Resolve]\nDNS=${INET_IP}\n`, mode: 0o644 }
      : { path: 'etc/resolv.conf', content: `nameserver ${INET_IP}\n`, mode: 0o644 },
    { path: 'etc/network/interfaces.d/wan', content: interfacesFile(g), mode: 0o644 },
    { path: 'etc/ssh/sshd_config.d/fleet-lab.conf', content: SSHD_DROP_IN, mode: 0o644 },
    { path: 'root', mode: 0o700 },
    { path: 'root/.ssh', mode: 0o700 },
    { path: 'root/.ssh/authorized_keys', content: authorizedKeys, mode: 0o600 },
    ...b.files.map((f) => ({ path: `etc/${f.name}`, content: f.content, mode: f.mode, gid: f.gid })),
    { path: 'etc/sudoers.d', mode: b.sudoersDirMode },
    { path: `etc/sudoers.d/${b.user}`, content: `${b.user} ALL=(ALL:ALL) NOPASSWD: ALL\n`, mode: 0o440 },
    { path: 'home', mode: 0o755 },
    { path: `home/${b.user}`, mode: 0o700, uid: b.uid, gid: b.gid },
    { path: `home/${b.user}/.ssh`, mode: 0o700, uid: b.uid, gid: b.gid },
    { path: `home/${b.user}/.ssh/authorized_keys`, content: authorizedKeys, mode: 0o600, uid: b.uid, gid: b.gid },
  ]);
  copyFileSync(hostKey, path.join(upper, 'etc/ssh/ssh_host_ed25519_key'));
  chmodSync(path.join(upper, 'etc/ssh/ssh_host_ed25519_key'), 0o600);
  writeFileSync(path.join(upper, 'etc/ssh/ssh_host_ed25519_key.pub'), `${hostPublicKey}\n`, { mode: 0o644 });
  return { dir, hostPublicKey };
}

/** The environment of nspawn-supervise.sh and nspawn-boot.sh (see their headers). */
function superviseEnv(g: GatewayPlan, dir: string, image: LabImage, variant: SystemdVariant): NodeJS.ProcessEnv {
  const roots = labCgroupRoots();
  if (!roots.length) throw new LabError('no cgroup hierarchy for systemd-nspawn: neither cgroup2 nor the named systemd v1 hierarchy is mounted');
  return {
    ...LAB_ENV,
    GW: g.name,
    NETNS: g.netns,
    GWDIR: dir,
    LOWER: lowerDirs(image, variant),
    CGROUP_ROOTS: roots.join(' '),
    BOOT_SCRIPT,
    SWITCH_NS,
    PORT: g.switchPort,
    MAC: labMac(g.wanIp),
    WAN_IFACE,
    BRIDGE,
  };
}

export interface BootPids {
  /** Counts the boots since the supervisor started (1 for the first). */
  boot: number;
  nspawnPid: number;
  nspawnStart: number;
  /** The gateway's PID 1 (systemd), as this machine sees it. */
  initPid: number;
  initStart: number;
}

export interface StartedSystemdGateway extends BootPids {
  supervisorPid: number;
  supervisorStart: number;
}

/**
 * The container's PID 1 below nspawn `pid`: the child that is PID 1 of its own pid namespace
 * (while booting, nspawn's first child is a helper that makes it and exits).
 */
function containerInit(pid: number): number | undefined {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return undefined;
  }
  return children.find((c) => {
    try {
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${c}/status`, 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
      return nspid.length >= 2 && nspid[nspid.length - 1] === '1';
    } catch {
      return false;
    }
  });
}

/** The boot the supervisor in `dir` is running now, if its nspawn and PID 1 are alive. */
export function currentBoot(dir: string): BootPids | undefined {
  let text = '';
  try {
    text = readFileSync(path.join(dir, 'nspawn.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const [boot, pid] = text.trim().split(' ').map(Number);
  if (!boot || !pid || !isAlive(pid)) return undefined;
  const initPid = containerInit(pid);
  if (!initPid) return undefined;
  const nspawnStart = processStartTime(pid);
  const initStart = processStartTime(initPid);
  if (nspawnStart === undefined || initStart === undefined) return undefined;
  return { boot, nspawnPid: pid, nspawnStart, initPid, initStart };
}

function logTail(logPath: string): string {
  try {
    return readFileSync(logPath, 'utf8').trim().split('\n').slice(-8).join('\n    ');
  } catch {
    return '';
  }
}

/**
 * Waits for a boot after `afterBoot` to reach sshd (TCP on the WAN address), then for systemd to
 * finish starting up. Throws when the supervisor ends meanwhile.
 */
export async function waitForBoot(
  g: GatewayPlan,
  dir: string,
  opts: { supervisorPid: number; supervisorStart?: number; afterBoot?: number; logPath: string; timeoutMs?: number },
): Promise<BootPids & { systemState: string }> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const died = () => new LabError(`systemd gateway ${g.name} did not boot:\n    ${logTail(opts.logPath)}`, { hint: `its log: ${opts.logPath}` });
  const alive = () => isAlive(opts.supervisorPid, opts.supervisorStart);
  const boot = await waitFor(`${g.name}'s boot`, timeoutMs, () => {
    const b = currentBoot(dir);
    if (b && b.boot > (opts.afterBoot ?? 0)) return b;
    if (!alive()) throw died();
    return undefined;
  }, 20);
  await waitFor(`${g.name}'s sshd on ${g.wanIp}:${SSH_PORT}`, timeoutMs, async () => {
    if (!isAlive(boot.initPid, boot.initStart)) throw died();
    return (await tcpOpen(g.wanIp, SSH_PORT)) ? true : undefined;
  }, 50);
  const r = await enter(boot.initPid, 'systemctl is-system-running --wait', { timeoutMs });
  return { ...boot, systemState: r.stdout.trim() || `unknown (${r.stderr.trim()})` };
}

/** Starts the gateway's supervisor and waits for the first boot (see waitForBoot). */
export async function startSystemdGateway(
  g: GatewayPlan,
  dir: string,
  opts: { image: LabImage; variant: SystemdVariant; logPath: string; timeoutMs?: number },
): Promise<StartedSystemdGateway & { systemState: string }> {
  const env = superviseEnv(g, dir, opts.image, opts.variant);
  const supervisorPid = spawnDaemon(['sh', SUPERVISE_SCRIPT], opts.logPath, env);
  const supervisorStart = processStartTime(supervisorPid) ?? 0;
  const boot = await waitForBoot(g, dir, { supervisorPid, supervisorStart, logPath: opts.logPath, timeoutMs: opts.timeoutMs });
  return { supervisorPid, supervisorStart, ...boot };
}

/** Units that failed this boot (`systemctl --failed`), run inside the gateway. */
export async function failedUnits(initPid: number): Promise<string[]> {
  const r = await enter(initPid, 'systemctl --failed --no-legend --plain --no-pager');
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean);
}
