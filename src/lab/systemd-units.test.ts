/**
 * The systemd lab's pure parts (no root): reading the machine's apt sources, the mirror lines the
 * image is built from, the cgroup hierarchies nspawn uses, the overlay's lower dirs, and what a
 * gateway's first boot finds on its disk.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mirrorLines, parseDeb822, parseOneLine } from './apt-sources.js';
import { cgroupHierarchies } from './cgroups.js';
import { IMAGE_PACKAGES, imageKey, isSystemdVariant, lowerDirs, type LabImage } from './image.js';
import { interfacesFile, SSHD_DROP_IN } from './systemd-gateway.js';
import { gatewayPlan } from './names.js';
import { SYSTEMD_GATEWAY_INOTIFY, maxHostsForInotify, wireguardGoNeeded } from './inotify.js';
import { normalizeProcesses, normalizeUnits } from './exec.js';

// A Debian 12 machine's /etc/apt/sources.list.d/debian.sources, mirror names replaced.
const DEB822 = `Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian
Suites: bookworm-backports
Components: main

Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main

Enabled: no
Types: deb
URIs: http://off.example/debian
Suites: bookworm
Components: main
`;

describe('apt sources', () => {
  it('reads deb822 stanzas and turns them into mmdebstrap mirror lines (main, no backports, no sources)', () => {
    const sources = parseDeb822(DEB822, 'debian.sources');
    expect(sources).toHaveLength(5);
    expect(sources[0]).toMatchObject({ uris: ['http://mirror.example/debian'], suites: ['bookworm', 'bookworm-updates'], signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg' });
    expect(mirrorLines(sources, 'bookworm', 'bookworm')).toEqual([
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian bookworm main',
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian bookworm-updates main',
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian-security bookworm-security main',
    ]);
  });

  it("maps another release's sources onto the image's suite, and reads the one-line form", () => {
    const sources = parseOneLine(
      '# comment\ndeb http://mirror.example/debian trixie main contrib\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian-security trixie-security main\ndeb http://mirror.example/debian trixie-backports main\n',
      'sources.list',
    );
    expect(mirrorLines(sources, 'trixie', 'bookworm')).toEqual([
      'deb http://mirror.example/debian bookworm main',
      'deb [signed-by=/k.gpg] http://mirror.example/debian-security bookworm-security main',
    ]);
    expect(mirrorLines(sources, 'bookworm', 'bookworm')).toEqual([]);
  });
});

describe('image and instances', () => {
  it('keys the cache by what the image is made of', () => {
    expect(imageKey()).toMatch(/^[0-9a-f]{16}$/);
    expect(imageKey()).toBe(imageKey());
    expect(IMAGE_PACKAGES).toEqual(expect.arrayContaining(['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'wireguard-go', 'dnsmasq', 'openvpn', 'iptables', 'sudo']));
  });

  it('stacks a variant layer above the base; the default variant has none', () => {
    const image: LabImage = { key: 'k', dir: '/c/img', rootfs: '/c/img/rootfs' };
    expect(lowerDirs(image, 'default')).toBe('/c/img/rootfs');
    expect(lowerDirs(image, 'ufw')).toBe('/c/img/layers/ufw:/c/img/rootfs');
    expect(isSystemdVariant('default-deny')).toBe(true);
    expect(isSystemdVariant('hardened')).toBe(false);
  });

  it('gives each gateway its WAN address through ifupdown, and sshd the lab host key', () => {
    expect(interfacesFile(gatewayPlan(3))).toContain('iface ens5 inet static\n    address 198.51.100.13/24\n    gateway 198.51.100.3\n');
    expect(SSHD_DROP_IN).toContain('HostKey /etc/ssh/ssh_host_ed25519_key\n');
  });

  it('counts what a systemd gateway holds of the inotify budget', () => {
    expect(wireguardGoNeeded(3, false, true)).toBe(3 * (3 + SYSTEMD_GATEWAY_INOTIFY) + 2);
    expect(maxHostsForInotify({ limit: 128, inUse: 18 }, true, true)).toBe(Math.floor(110 / (1 + SYSTEMD_GATEWAY_INOTIFY)));
    expect(maxHostsForInotify({ limit: 128, inUse: 2 }, false)).toBe(41);
  });
});

describe('cgroup hierarchies', () => {
  it('finds the cgroup2 tree and the named systemd v1 tree of a hybrid machine, nothing else', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-mountinfo-'));
    const file = path.join(dir, 'mountinfo');
    writeFileSync(
      file,
      [
        '24 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
        '30 24 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755',
        '31 30 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
        '32 30 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd',
        '33 30 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
        '',
      ].join('\n'),
    );
    expect(cgroupHierarchies(file)).toEqual(['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified']);
  });
});

describe('snapshots of a systemd gateway', () => {
  it('record the services that run, ran or failed, not the ones systemd loads and forgets', () => {
    // systemctl list-units --all --type=service --no-legend --plain on a deployed Debian 12 gateway
    const units = [
      'dbus.service                  loaded    active   running DBus System Message Bus',
      'dnsmasq.service               loaded    active   running dnsmasq - A lightweight DHCP and caching DNS server',
      'systemd-oomd.service          not-found inactive dead    systemd-oomd.service',
      '● wg-quick@wg0.service          loaded    failed   failed  WireGuard via wg-quick(8) for wg0',
      'networking.service            loaded    active   exited  Raise network interfaces',
      'user@0.service                loaded    active   running User Manager for UID 0',
      'user-runtime-dir@0.service    loaded    active   exited  User Runtime Directory /run/user/0',
    ];
    expect(normalizeUnits(units)).toEqual(['dbus.service active running', 'dnsmasq.service active running', 'networking.service active exited', 'wg-quick@wg0.service failed failed']);
  });

  it("leave out a login's processes (user.slice): the user manager outlives the session by seconds", () => {
    const ps = ['    1     0 systemd         /usr/lib/systemd/systemd', '   75     1 sshd            sshd: /usr/sbin/sshd -D [listener] 0 of 500-1000 startups', '   77     1 dnsmasq         /usr/sbin/dnsmasq -x /run/dnsmasq/dnsmasq.pid', '   89     1 systemd         /lib/systemd/systemd --user', '   90    89 (sd-pam)        (sd-pam)'];
    expect(normalizeProcesses(ps, 999, new Set([89, 90]))).toEqual(['dnsmasq /usr/sbin/dnsmasq -x /run/dnsmasq/dnsmasq.pid']);
  });
});
