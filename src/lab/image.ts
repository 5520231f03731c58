/**
 * The systemd lab's base image: Debian 12 (minbase plus what a gateway and the lab's proofs run),
 * built once with mmdebstrap from this machine's own Debian mirror and cached outside the
 * repository (/var/cache/fleet-lab/images/, or $FLEET_LAB_IMAGE_CACHE). The cache key is a hash
 * of the suite, the package list and the two build scripts, so changing any of them builds a new
 * image (and the old one is removed). Every gateway mounts the image read-only, under its variant's
 * layer and its own writable upper dir.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellAsset } from '../shell/asset.js';
import { debianMirrorLines } from './apt-sources.js';
import { LabError } from './errors.js';
import { run } from './run.js';

export const IMAGE_SUITE = 'bookworm';

/**
 * What a gateway image holds beside minbase: systemd with D-Bus and logind (SSH logins get
 * sessions, as on a server), sshd, ifupdown (the WAN address, as a cloud image sets it), the
 * packages fleet's roles use, the tools the lab's tests run on a gateway, and the variants'
 * firewall and resolver (inactive in the base).
 */
export const IMAGE_PACKAGES: readonly string[] = [
  'systemd', 'systemd-sysv', 'dbus', 'libpam-systemd', 'openssh-server', 'sudo', 'ifupdown', 'iproute2', 'iptables', 'nftables',
  'wireguard-tools', 'wireguard-go', 'dnsmasq', 'openvpn', 'procps', 'dnsutils', 'iputils-ping', 'tcpdump', 'curl', 'less',
  'systemd-resolved', 'ufw',
];

export const SYSTEMD_VARIANTS = ['default', 'resolved', 'default-deny', 'ufw'] as const;
export type SystemdVariant = (typeof SYSTEMD_VARIANTS)[number];

export function isSystemdVariant(v: string): v is SystemdVariant {
  return (SYSTEMD_VARIANTS as readonly string[]).includes(v);
}

const BUILD_SCRIPT = 'image-build.sh';
const CUSTOMIZE_SCRIPT = 'image-customize.sh';

export interface LabImage {
  key: string;
  dir: string;
  rootfs: string;
  /** Set when this call built it. */
  built?: { seconds: number };
  /** Size of rootfs and layers, from image.json. */
  bytes?: number;
}

export function imageCacheRoot(): string {
  const env = process.env.FLEET_LAB_IMAGE_CACHE?.trim();
  return path.resolve(env || '/var/cache/fleet-lab');
}

/** The image's cache key: what the image is made from, hashed. */
export function imageKey(): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({
    suite: IMAGE_SUITE,
    packages: [...IMAGE_PACKAGES].sort(),
    build: shellAsset(import.meta.url, BUILD_SCRIPT),
    customize: shellAsset(import.meta.url, CUSTOMIZE_SCRIPT),
  }));
  return h.digest('hex').slice(0, 16);
}

export function imagesDir(): string {
  return path.join(imageCacheRoot(), 'images');
}

function imageAt(key: string): LabImage {
  const dir = path.join(imagesDir(), `debian-${IMAGE_SUITE}-${key}`);
  let bytes: number | undefined;
  try {
    bytes = (JSON.parse(readFileSync(path.join(dir, 'image.json'), 'utf8')) as { bytes?: number }).bytes;
  } catch {
    /* not built yet */
  }
  return { key, dir, rootfs: path.join(dir, 'rootfs'), bytes };
}

/** overlayfs lowerdir for a variant: its layer above the base (the default variant has none). */
export function lowerDirs(image: LabImage, variant: SystemdVariant): string {
  return variant === 'default' ? image.rootfs : `${path.join(image.dir, 'layers', variant)}:${image.rootfs}`;
}

/** The cached image, built first when its key is not in the cache. */
export async function ensureImage(opts: { log?: (m: string) => void } = {}): Promise<LabImage> {
  const log = opts.log ?? (() => undefined);
  const key = imageKey();
  const image = imageAt(key);
  if (existsSync(path.join(image.rootfs, 'usr', 'lib', 'systemd', 'systemd'))) return image;

  const mirrors = debianMirrorLines(IMAGE_SUITE);
  log(`building the systemd gateway image (Debian ${IMAGE_SUITE}, ${IMAGE_PACKAGES.length} packages and their dependencies) into ${image.dir}: about a minute, once`);
  mkdirSync(imagesDir(), { recursive: true, mode: 0o755 });
  const started = Date.now();
  const script = fileURLToPath(new URL(BUILD_SCRIPT, import.meta.url));
  const customize = fileURLToPath(new URL(CUSTOMIZE_SCRIPT, import.meta.url));
  const r = await run(['sh', script, image.dir, IMAGE_SUITE, IMAGE_PACKAGES.join(','), customize, ...mirrors], { timeoutMs: 20 * 60_000 });
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-12).join('\n    ');
    throw new LabError(`building the systemd gateway image failed (exit ${r.code ?? 'signal'}):\n    ${tail}`, {
      hint: `mmdebstrap needs this machine's Debian mirror (${mirrors[0]}); check that apt-get update works here`,
    });
  }
  const seconds = (Date.now() - started) / 1000;
  const du = await run(['du', '-sb', image.dir]);
  const bytes = Number(du.stdout.split(/\s/)[0]) || undefined;
  writeFileSync(path.join(image.dir, 'image.json'), `${JSON.stringify({ suite: IMAGE_SUITE, key, packages: IMAGE_PACKAGES, builtAt: new Date().toISOString(), buildSeconds: seconds, bytes }, null, 2)}\n`);
  pruneImages(key);
  log(`image built in ${seconds.toFixed(0)} s (${bytes ? `${Math.round(bytes / 1e6)} MB` : 'size unknown'})`);
  return { ...image, built: { seconds }, bytes };
}

/**
 * Removes cached images of other keys (an older package list). Only called right after a build,
 * which runs after the previous lab is down: no gateway has an old image mounted.
 */
function pruneImages(keep: string): void {
  for (const e of readdirSync(imagesDir())) {
    if (e.startsWith(`debian-${IMAGE_SUITE}-`) && e !== `debian-${IMAGE_SUITE}-${keep}` && !e.includes('.tmp.')) {
      rmSync(path.join(imagesDir(), e), { recursive: true, force: true });
    }
  }
}
