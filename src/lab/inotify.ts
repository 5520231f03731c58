/**
 * The kernel here has no WireGuard module, so every WireGuard interface in the lab is a
 * wireguard-go process, and each one takes an inotify instance (it watches its UAPI socket).
 * The kernel caps inotify instances per user (fs.inotify.max_user_instances, often 128), and the
 * whole lab runs as root. Past the cap, wireguard-go cannot start and a gateway's deploy fails
 * far from the cause. `up` checks first. fleet never raises the cap: it is a machine-wide setting.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface InotifyBudget {
  limit: number;
  /** Instances root holds now, outside any lab (counted over /proc/<pid>/fd). */
  inUse: number;
}

export function inotifyBudget(): InotifyBudget | undefined {
  let limit: number;
  try {
    limit = Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8').trim());
  } catch {
    return undefined;
  }
  let inUse = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify') inUse++;
      } catch {
        /* gone */
      }
    }
  }
  return { limit, inUse };
}

/**
 * Inotify instances one systemd gateway holds beside WireGuard: systemd, journald, logind, D-Bus
 * and the packaged daemons. Counted on Debian 12 gateways: 8 once booted, 10 once deployed
 * (dnsmasq, root's systemd --user) without wireguard-go; with a little margin.
 */
export const SYSTEMD_GATEWAY_INOTIFY = 12;

/**
 * Inotify instances a lab needs once deployed: one wireguard-go per gateway plus two clients each,
 * and on systemd gateways what their own system holds. A WireGuard upstream (`--provider
 * wireguard`) adds one per gateway (its tunnel in the namespace). A lab with clients also runs
 * its two providers' WireGuard servers.
 */
export function wireguardGoNeeded(hosts: number, bare: boolean, systemd = false, wgUpstream = false): number {
  return hosts * perGateway(bare, systemd, wgUpstream) + providerServers(bare);
}

/** The providers' wireguard-go servers (A and B), in every lab that is not bare. */
function providerServers(bare: boolean): number {
  return bare ? 0 : 2;
}

function perGateway(bare: boolean, systemd: boolean, wgUpstream: boolean): number {
  return (bare ? 1 : 3) + (systemd ? SYSTEMD_GATEWAY_INOTIFY : 0) + (wgUpstream ? 1 : 0);
}

/** The largest lab that fits, or undefined when the limit cannot be read. */
export function maxHostsForInotify(budget: InotifyBudget, bare: boolean, systemd = false, wgUpstream = false): number {
  const free = Math.max(0, budget.limit - budget.inUse - providerServers(bare));
  return Math.floor(free / perGateway(bare, systemd, wgUpstream));
}
