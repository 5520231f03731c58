/**
 * `lab up`: builds the lab (README.md, "The lab"). Order: preflight; tear down whatever an
 * earlier lab left; record what is about to be made; keys and PKI; every namespace and veth in one
 * `ip -batch`; then the internet host, the provider, the gateways and the clients in parallel
 * (bounded); last the known_hosts, the inventory and the finished record. A failure tears the
 * half-built lab down again (set FLEET_LAB_KEEP_FAILED=1 to keep it for a look).
 *
 * With `systemd`, each gateway is Debian 12 booted under systemd-nspawn instead (src/lab/
 * systemd-gateway.ts), from the cached image (built first when missing); everything else is the
 * same: addresses, keys, inventory, provider, internet and clients.
 *
 * With `bastion`, the controller's veth ends in a bastion namespace instead of on the switch
 * (src/lab/bastion.ts): the gateways are reachable only through it, and the inventory says so
 * (proxy_jump).
 *
 * With `rttMs`, a delaying relay holds each gateway's SSH port (src/lab/rtt.ts).
 *
 * A bare lab of more than 244 gateways (up to 1,000) is built in the benchmark range
 * 198.18.0.0/15 instead of the lab's /24 (src/lab/names.ts), the controller's veth holding an
 * address there too.
 *
 * Running `up` on a healthy lab with the same options changes nothing and returns its status.
 */
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import {
  BECOME_USER, CONTROLLER_IP, DEFAULT_HOSTS, INET_IP, INET_IP6, INET_NS, MAX_HOSTS, MAX_HOSTS_WITH_CLIENTS, MAX_BENCH_HOSTS, gatewayPlanIn, PROVIDERS, PROVIDER_WG_EXIT_IP,
  SSH_PORT, SWITCH_NS, BASTION_IP, BASTION_NS, ECHO_NAME, HALVES, clientAddress, clientAddress6, clientPlan, labMac, peerName, type ClientPlan, type GatewayPlan,
} from './names.js';
import { inotifyBudget, maxHostsForInotify, wireguardGoNeeded } from './inotify.js';
import { LabBusyError, LabError } from './errors.js';
import { assertPreflight } from './preflight.js';
import { run } from './run.js';
import { inventoryPath, labPaths, readRecord, stateDir, writeRecord, type LabRecord, type LabState, type ProcRecord } from './state.js';
import { ensureSshKey, knownHostsLine, wgKeyPair } from './keys.js';
import { buildTopology, gatewayPort, type CtlPeer, type SwitchPort } from './switch.js';
import { RELAYED_SSHD, startRelay } from './rtt.js';
import { BASTION_OPS_IFACE, BASTION_USER, prepareBastion, startBastion, tcpOpenFromBastion } from './bastion.js';
import { GATEWAY_INIT, becomeAccount, prepareGateway, startGateway, type GatewayFiles } from './gateway.js';
import { ensureImage, type LabImage, type SystemdVariant } from './image.js';
import { prepareSystemdGateway, startSystemdGateway, failedUnits } from './systemd-gateway.js';
import { CLIENT_INIT, prepareClient, startClient } from './clients.js';
import { ensurePki } from './pki.js';
import { writeClientConfig } from './provider.js';
import { labProvider, labProviders, startProviders, writeProviderFiles, type ProviderFiles } from './providers.js';
import { echoUrl, echoUrl6, startInternet } from './internet.js';
import { writeInventory } from './inventory.js';
import { foreignOwner, labDown, labNamespaces, ctlOwner } from './down.js';
import { labHealthy } from './status.js';

export interface UpOptions {
  hosts?: number;
  /** Only the switch, gateways, sshd and keys (benchmarks at 50-200 gateways). */
  bare?: boolean;
  /** Tear down and rebuild even when a healthy lab with these options is up. */
  fresh?: boolean;
  log?: (msg: string) => void;
  /** Parallel gateway/client starts (default: 8 per CPU, at least 16). */
  concurrency?: number;
  /**
   * False when nothing will run WireGuard on a bare lab's gateways (a benchmark that skips the
   * wireguard role): the inotify cap on wireguard-go processes then does not limit its size.
   */
  wireguard?: boolean;
  /** Gateways boot Debian 12 with systemd under systemd-nspawn (implied by `variant`). */
  systemd?: boolean;
  /** The systemd image variant (default 'default'). */
  variant?: SystemdVariant;
  /** A bastion between the controller and the gateways, the only way to reach them. */
  bastion?: boolean;
  /** A round trip (ms) added in front of each gateway's sshd by a delaying relay; 0 or absent: none. */
  rttMs?: number;
  /** The gateways' upstream in the inventory: the provider's OpenVPN (default) or WireGuard server. */
  provider?: 'openvpn' | 'wireguard';
}

/** What kind of gateways a lab has: namespace gateways, or systemd ones of a variant. */
interface LabKind {
  hosts: number;
  bare: boolean;
  systemd?: SystemdVariant;
  bastion: boolean;
  rttMs: number;
  benchRange: boolean;
  provider: 'openvpn' | 'wireguard';
}

/** Refuses a lab whose wireguard-go processes would not all fit under the inotify cap. */
function checkInotifyBudget(hosts: number, bare: boolean, systemd: boolean, wgUpstream: boolean): void {
  const budget = inotifyBudget();
  if (!budget) return;
  // A lab being replaced still holds its own instances: count only what others hold.
  const ours = readRecord(stateDir())?.options;
  const held = ours ? wireguardGoNeeded(ours.hosts, ours.bare, !!ours.systemd, ours.provider === 'wireguard') : 0;
  const fits = maxHostsForInotify({ limit: budget.limit, inUse: Math.max(0, budget.inUse - held) }, bare, systemd, wgUpstream);
  if (hosts > fits) {
    throw new LabError(
      `a lab of ${hosts} ${systemd ? 'systemd ' : ''}gateway(s)${bare ? '' : ' with clients'} needs ${wireguardGoNeeded(hosts, bare, systemd, wgUpstream)} inotify instances (one per wireguard-go process${systemd ? ', and what systemd, journald, logind and D-Bus hold in each gateway' : ''}); this machine allows ${budget.limit} per user (fs.inotify.max_user_instances) and ${budget.inUse} are in use, so at most ${fits} gateway(s) fit`,
      { hint: `use --hosts ${fits}${bare ? '' : ' (or --bare for more)'}, or raise fs.inotify.max_user_instances yourself: fleet does not change machine-wide settings` },
    );
  }
}

export async function labUp(opts: UpOptions = {}): Promise<LabState> {
  const hosts = opts.hosts ?? DEFAULT_HOSTS;
  const bare = opts.bare ?? false;
  const systemd = opts.systemd || opts.variant !== undefined ? (opts.variant ?? 'default') : undefined;
  const bastion = !!opts.bastion;
  const log = opts.log ?? (() => undefined);
  if (bastion && systemd) throw new LabError('--bastion works with namespace gateways only, not with --systemd');
  const rttMs = opts.rttMs ?? 0;
  if (!Number.isInteger(rttMs) || rttMs < 0) throw new LabError(`the round trip must be a whole number of milliseconds, got ${rttMs}`);
  if (rttMs && systemd) throw new LabError('--rtt works with namespace gateways only, not with --systemd');
  const maxHosts = bare && !bastion && !rttMs ? MAX_BENCH_HOSTS : bare ? MAX_HOSTS : MAX_HOSTS_WITH_CLIENTS;
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > maxHosts) {
    throw new LabError(`--hosts must be 1..${maxHosts}${bare ? '' : ' (more with --bare: 203.0.113.0/24 holds two clients per gateway up to 122)'}, got ${hosts}`);
  }
  const benchRange = hosts > MAX_HOSTS;
  const provider = opts.provider ?? 'openvpn';
  if (provider === 'wireguard' && bare) throw new LabError('--provider wireguard needs the provider: it does not work with --bare');
  const dir = stateDir();
  await assertPreflight({ stateDir: dir, systemd: !!systemd });
  if (!(bare && opts.wireguard === false)) checkInotifyBudget(hosts, bare, !!systemd, provider === 'wireguard');

  const foreign = await foreignOwner(dir);
  if (foreign) {
    throw new LabBusyError(`a lab from ${foreign} is running on this machine (it owns ${CONTROLLER_IP})`, {
      hint: `stop it with FLEET_LAB_DIR=${foreign} fleet lab down, then try again`,
    });
  }

  const existing = readRecord(dir);
  const same = existing?.options.hosts === hosts && existing.options.bare === bare && existing.options.systemd === systemd && !!existing.options.bastion === bastion && (existing.options.rttMs ?? 0) === rttMs && !!existing.options.benchRange === benchRange && (existing.options.provider ?? 'openvpn') === provider;
  if (!opts.fresh && existing?.phase === 'up' && existing.status && same && labHealthy(existing)) {
    log('lab already up');
    return { ...existing.status, up: true };
  }
  if (existing || (await labNamespaces()).length || (await ctlOwner()).exists) {
    log('removing the previous lab');
    await labDown({ log });
  }

  try {
    return await build(dir, { hosts, bare, systemd, bastion, rttMs, benchRange, provider }, log, opts.concurrency);
  } catch (err) {
    if (process.env.FLEET_LAB_KEEP_FAILED !== '1') {
      log('lab up failed: removing the half-built lab');
      try {
        await labDown({ log });
      } catch (downErr) {
        log(`lab down after the failure failed too: ${(downErr as Error).message}`);
      }
    }
    throw err;
  }
}

async function build(dir: string, kind: LabKind, log: (m: string) => void, concurrency?: number): Promise<LabState> {
  const t0 = Date.now();
  const { hosts, bare, systemd, bastion, rttMs, benchRange, provider } = kind;
  const P = labPaths(dir);
  for (const d of [dir, P.logs, P.gateways, P.clients, P.provider, P.internet]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const ctlPeer: CtlPeer | undefined = bastion ? { name: BASTION_OPS_IFACE, ns: BASTION_NS } : undefined;
  await probeOverlay(dir);
  const image = systemd ? await ensureImage({ log }) : undefined;

  const gateways: GatewayPlan[] = Array.from({ length: hosts }, (_, i) => gatewayPlanIn(i + 1, benchRange));
  const clients: ClientPlan[] = bare ? [] : gateways.flatMap((g) => [clientPlan(g.index, 'direct'), clientPlan(g.index, 'vpn')]);
  const namespaces = [SWITCH_NS, ...(bastion ? [BASTION_NS] : []), ...(bare ? [] : [INET_NS, ...PROVIDERS.map((p) => p.netns)]), ...gateways.map((g) => g.netns), ...clients.map((c) => c.netns)];
  const ports: SwitchPort[] = [
    ...(bare ? [] : [{ port: 'p-inet', peer: 'eth0', peerNs: INET_NS, mac: labMac(INET_IP) }, ...PROVIDERS.map((p) => ({ port: p.switchPort, peer: 'eth0', peerNs: p.netns, mac: labMac(p.ip) }))]),
    ...(bastion ? [{ port: 'p-bastion', peer: 'eth0', peerNs: BASTION_NS, mac: labMac(BASTION_IP) }] : []),
    ...gateways.map(gatewayPort),
    ...clients.map((c) => ({ port: c.switchPort, peer: 'eth0', peerNs: c.netns, mac: labMac(c.underlayIp) })),
  ];

  // Recorded before anything exists, so a crash from here on is cleaned up by `down`.
  const rec: LabRecord = {
    version: 1,
    stateDir: dir,
    options: { hosts, bare, ...(systemd ? { systemd } : {}), ...(bastion ? { bastion } : {}), ...(rttMs ? { rttMs } : {}), ...(benchRange ? { benchRange } : {}), ...(provider === 'wireguard' ? { provider } : {}) },
    phase: 'building',
    startedAt: new Date().toISOString(),
    namespaces,
    ctlVeth: 'fl-ctl',
    processes: [],
    files: [inventoryPath()],
    status: null,
  };
  writeRecord(rec);
  const addProc = (p: ProcRecord) => {
    rec.processes.push(p);
  };

  // Keys: the lab's SSH key, then per-gateway host keys (in parallel), the clients' WireGuard keys,
  // the provider PKI (also in a bare lab: the inventory's OpenVPN config must exist).
  const limit = pLimit(concurrency ?? Math.max(16, cpus().length * 8));
  const labPub = await ensureSshKey(P.sshKey, 'fleet-lab');
  writeFileSync(P.authorizedKeys, `${labPub}\n`, { mode: 0o600 });
  const [gwFiles, pki] = await Promise.all([prepareGateways(gateways, P.gateways, `${labPub}\n`, { image, systemd, limit, behindRelay: rttMs > 0 }), ensurePki(P.provider)]);
  const providerFiles = bare ? undefined : writeProviderFiles(P.provider, pki, gateways, P.clientConfig);
  if (bare) writeClientConfig(pki, P.clientConfig);
  const bastionFiles = bastion ? await prepareBastion(P.bastion, `${labPub}\n`, { perSourcePenalties: await sshdHasPerSourcePenalties() }) : undefined;
  // Every gateway gets its two peers in the inventory, also in a bare lab (no client runs there,
  // but a deploy renders the same config): the keys cost microseconds, made in-process.
  const peerKeys = new Map(gateways.flatMap((g) => HALVES.map((h) => [peerName(g.index, h), wgKeyPair()] as const)));
  const prepared = clients.map((c) => prepareClient(c, P.clients, peerKeys.get(c.name)));
  if (!systemd) writeFileSync(P.gatewayInit, GATEWAY_INIT, { mode: 0o755 });
  writeFileSync(P.clientInit, CLIENT_INIT, { mode: 0o755 });
  log(`keys ready (${Date.now() - t0} ms)`);

  await buildTopology(namespaces, ports, dir, ctlPeer, benchRange);
  log(`${namespaces.length} namespaces and ${ports.length + 1} links (${Date.now() - t0} ms)`);
  if (bastionFiles) {
    // First: the gateways' readiness is probed from the bastion.
    const b = await startBastion(bastionFiles.dir, { labDir: dir, logPath: bastionLog(dir) });
    addProc({ role: 'bastion:unshare', pid: b.unsharePid, start: b.unshareStart });
    addProc({ role: 'bastion:init', pid: b.initPid, start: b.initStart });
    writeRecord(rec);
    log(`bastion ${BASTION_IP} running (${Date.now() - t0} ms)`);
  }

  const services = bare
    ? Promise.resolve()
    : Promise.all([
        startInternet(P.internet, { logsDir: P.logs, dnsQueryLog: P.dnsQueryLog }).then((s) => {
          addProc({ role: 'dnsmasq', pid: s.dnsmasq.pid, start: s.dnsmasq.start });
          addProc({ role: 'echo', pid: s.echo.pid, start: s.echo.start });
        }),
        startProviders(pki, providerFiles!, P.logs, addProc),
      ]);
  const gwStarted = startGateways(gateways, gwFiles, { dir, image, systemd, limit, addProc, log, rttMs, ...(bastion ? { tcpProbe: tcpOpenFromBastion } : {}) });
  const clStarted = Promise.all(
    prepared.map((p) =>
      limit(async () => {
        const s = await startClient(p, { initScript: P.clientInit, logPath: path.join(P.logs, `${p.plan.name}.log`) });
        addProc({ role: `${p.plan.name}:unshare`, pid: s.unsharePid, start: s.unshareStart });
        addProc({ role: `${p.plan.name}:init`, pid: s.initPid, start: s.initStart });
        return s;
      }),
    ),
  );
  // Record the pids of whatever did start, even when something else failed.
  const settled = await Promise.allSettled([services, gwStarted, clStarted]);
  writeRecord(rec);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const gwInit = (settled[1] as PromiseFulfilledResult<number[]>).value;
  const clResults = (settled[2] as PromiseFulfilledResult<Awaited<typeof clStarted>>).value;
  log(`${gateways.length} ${systemd ? 'systemd ' : ''}gateways${bare ? '' : `, ${clients.length} clients, provider and internet`} running (${Date.now() - t0} ms)`);

  const knownHosts = [
    ...(bastionFiles ? [knownHostsLine(BASTION_IP, SSH_PORT, bastionFiles.hostPublicKey)] : []),
    ...gateways.map((g, i) => knownHostsLine(g.wanIp, SSH_PORT, gwFiles[i]!.hostPublicKey)),
  ];
  writeFileSync(P.knownHosts, knownHosts.map((l) => `${l}\n`).join(''), { mode: 0o644 });
  const peers = new Map(
    gateways.map((g) => [g.name, HALVES.map((h) => ({ name: peerName(g.index, h), address: clientAddress(h), address6: clientAddress6(h), publicKey: peerKeys.get(peerName(g.index, h))!.publicKey }))]),
  );
  const inventory = inventoryPath();
  const proxyJump = bastion ? bastionJump() : undefined;
  writeInventory(inventory, { gateways, peers, keyFile: P.sshKey, knownHostsFile: P.knownHosts, openvpnConfigFile: P.clientConfig, proxyJump, ...(providerFiles && provider === 'wireguard' ? { wireguard: { gatewayConfigs: providerFiles.wireguard[0]!.gatewayConfigs, exitIp: PROVIDER_WG_EXIT_IP } } : {}) });

  const bastionInit = rec.processes.find((p) => p.role === 'bastion:init')?.pid;
  const status = describeLab({ dir, kind, image, gateways, gwInit, prepared, clInit: clResults.map((c) => c.initPid), inventory, bastionInit, providerFiles });
  rec.phase = 'up';
  rec.status = status;
  writeRecord(rec);
  log(`lab up: ${hosts} gateways in ${Date.now() - t0} ms`);
  return status;
}

/** The lab's public description (`fleet lab status --json`), once everything runs. */
function describeLab(a: {
  dir: string;
  kind: LabKind;
  image?: LabImage;
  gateways: GatewayPlan[];
  gwInit: number[];
  prepared: ReturnType<typeof prepareClient>[];
  clInit: number[];
  inventory: string;
  bastionInit?: number;
  providerFiles?: ProviderFiles;
}): LabState {
  const P = labPaths(a.dir);
  const { hosts, bare, systemd } = a.kind;
  return {
    up: true,
    stateDir: a.dir,
    inventory: a.inventory,
    hosts,
    bare,
    ...(systemd && a.image ? { systemd: { variant: systemd, image: a.image.key, imageDir: a.image.dir } } : {}),
    controllerIp: CONTROLLER_IP,
    ssh: { user: 'root', keyPath: P.sshKey, knownHostsPath: P.knownHosts, becomeUser: BECOME_USER },
    gateways: a.gateways.map((g, i) => ({ name: g.name, netns: g.netns, wanIp: g.wanIp, ...(g.wanIp6 && !a.kind.systemd ? { wanIp6: g.wanIp6 } : {}), sshPort: SSH_PORT, initPid: a.gwInit[i]! })),
    provider: a.providerFiles ? labProvider(a.providerFiles, a.kind.provider) : null,
    providers: a.providerFiles ? labProviders(a.providerFiles, a.kind.provider) : [],
    internet: bare ? null : { netns: INET_NS, ip: INET_IP, ip6: INET_IP6, echoUrl: echoUrl(), echoUrl6: echoUrl6(), dnsIp: INET_IP, echoName: ECHO_NAME, dnsQueryLog: P.dnsQueryLog },
    clients: a.prepared.map((p, i) => ({
      name: p.plan.name,
      netns: p.plan.netns,
      gateway: p.plan.gateway,
      address: p.plan.address,
      address6: p.plan.address6,
      underlayIp: p.plan.underlayIp,
      half: p.plan.half,
      publicKey: p.keys.publicKey,
      initPid: a.clInit[i]!,
    })),
    ...(a.kind.rttMs ? { rttMs: a.kind.rttMs } : {}),
    ...(a.kind.benchRange ? { benchRange: true } : {}),
    ...(a.bastionInit !== undefined
      ? { bastion: { netns: BASTION_NS, ip: BASTION_IP, sshPort: SSH_PORT, user: BASTION_USER, jump: bastionJump(), logPath: bastionLog(a.dir), initPid: a.bastionInit } }
      : {}),
  };
}

function bastionJump(): string {
  return `${BASTION_USER}@${BASTION_IP}:${SSH_PORT}`;
}

function bastionLog(dir: string): string {
  return path.join(labPaths(dir).logs, 'bastion.log');
}

interface GatewayKind {
  image?: LabImage;
  systemd?: SystemdVariant;
  limit: ReturnType<typeof pLimit>;
  /** sshd moves aside for the rtt relay (src/lab/rtt.ts). */
  behindRelay?: boolean;
}

/** Each gateway's state dir and first files; its host public key for known_hosts. */
async function prepareGateways(gateways: GatewayPlan[], gatewaysDir: string, authorizedKeys: string, k: GatewayKind): Promise<GatewayFiles[]> {
  if (k.systemd && k.image) {
    const image = k.image;
    const variant = k.systemd;
    return Promise.all(gateways.map((g) => k.limit(() => prepareSystemdGateway(g, gatewaysDir, authorizedKeys, { image, variant }))));
  }
  const perSourcePenalties = await sshdHasPerSourcePenalties();
  const become = becomeAccount();
  const sshdListen = k.behindRelay ? RELAYED_SSHD : undefined;
  return Promise.all(gateways.map((g) => k.limit(() => prepareGateway(g, gatewaysDir, authorizedKeys, { perSourcePenalties, become, sshdListen }))));
}

/** Starts every gateway (recording each pid as it appears); resolves with their init pids. */
function startGateways(
  gateways: GatewayPlan[],
  files: GatewayFiles[],
  k: GatewayKind & { dir: string; addProc: (p: ProcRecord) => void; log: (m: string) => void; tcpProbe?: (ip: string, port: number) => Promise<boolean>; rttMs?: number },
): Promise<number[]> {
  const P = labPaths(k.dir);
  // A booting systemd is busy: a few at a time boot faster than all at once on a small machine.
  const bootLimit = pLimit(Math.max(2, cpus().length * 2));
  return Promise.all(
    gateways.map((g, i) => {
      const logPath = path.join(P.logs, `${g.name}.log`);
      if (k.systemd && k.image) {
        const image = k.image;
        const variant = k.systemd;
        return bootLimit(async () => {
          const s = await startSystemdGateway(g, files[i]!.dir, { image, variant, logPath });
          k.addProc({ role: `${g.name}:supervisor`, pid: s.supervisorPid, start: s.supervisorStart });
          k.addProc({ role: `${g.name}:nspawn`, pid: s.nspawnPid, start: s.nspawnStart });
          k.addProc({ role: `${g.name}:init`, pid: s.initPid, start: s.initStart });
          if (s.systemState !== 'running') k.log(`${g.name} booted ${s.systemState}: failed units ${(await failedUnits(s.initPid)).join(' ') || 'none'}`);
          return s.initPid;
        });
      }
      return k.limit(async () => {
        if (k.rttMs) {
          const relay = await startRelay(g, k.rttMs, path.join(P.logs, `${g.name}-relay.log`));
          k.addProc({ role: `${g.name}:relay`, pid: relay.pid, start: relay.start });
        }
        const s = await startGateway(g, files[i]!.dir, { initScript: P.gatewayInit, labDir: k.dir, logPath, tcpProbe: k.tcpProbe });
        k.addProc({ role: `${g.name}:unshare`, pid: s.unsharePid, start: s.unshareStart });
        k.addProc({ role: `${g.name}:init`, pid: s.initPid, start: s.initStart });
        return s.initPid;
      });
    }),
  );
}

/** The state dir must be able to hold an overlay upper dir (ext4, xfs, tmpfs do; overlay, NFS do not). */
async function probeOverlay(dir: string): Promise<void> {
  const base = path.join(dir, 'logs', '.overlay-probe');
  for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(path.join(base, d), { recursive: true });
  // In a throwaway mount namespace: the probe mount never exists in the machine's.
  const r = await run([
    'unshare', '--mount', '--propagation', 'private', 'mount', '-t', 'overlay', 'overlay',
    '-o', `lowerdir=${base}/lower,upperdir=${base}/upper,workdir=${base}/work`, `${base}/merged`,
  ]);
  await run(['rm', '-rf', base]);
  if (r.code !== 0) {
    throw new LabError(`the state dir ${dir} cannot hold the gateways' overlay upper dirs: ${r.stderr.trim()}`, {
      hint: 'set FLEET_LAB_DIR to a directory on ext4, xfs or tmpfs',
    });
  }
}

async function sshdHasPerSourcePenalties(): Promise<boolean> {
  const r = await run(['ssh', '-V']);
  const m = /OpenSSH_(\d+)\.(\d+)/.exec(r.stderr + r.stdout);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > 9 || (maj === 9 && min >= 8);
}

