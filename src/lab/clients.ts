/**
 * WireGuard clients: two per gateway, each its own network namespace on the switch (underlay in
 * 203.0.113.0/24, default via the internet host) with its own mount, uts and pid namespace, so
 * wireguard-go's UAPI socket (/run/wireguard) lives in a private /run and never in the machine's.
 * The gateway's public key only exists once fleet has deployed it (it is made on the gateway), so
 * peers are set later by `connectClients` (`fleet lab connect`).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CLIENT_ALLOWED_IPS, CLIENT_GW, CLIENT_KEEPALIVE, INET_IP, INET_IP6, WG_PORT, gatewayPlan, type ClientPlan } from './names.js';
import { LabError } from './errors.js';
import { LAB_ENV, enter, processStartTime, spawnDaemon, waitFor } from './run.js';
import { wgKeyPair, writeSecret, type WgKeyPair } from './keys.js';
import { childOf } from './gateway.js';
import { shellAsset } from '../shell/asset.js';
import type { LabClient, LabState } from './state.js';

/**
 * Client init (client-init.sh), written to the state dir at `up` and run as `unshare --mount --uts
 * --pid --fork --kill-child --mount-proc sh init.sh <dir> <name> <underlay-ip> <default-gw>
 * <wg-address> <echo-ip>` inside the client's netns.
 */
export const CLIENT_INIT = shellAsset(import.meta.url, 'client-init.sh');
const CLIENT_PEER = shellAsset(import.meta.url, 'client-peer.sh');

export interface PreparedClient {
  plan: ClientPlan;
  dir: string;
  keys: WgKeyPair;
}

export function prepareClient(c: ClientPlan, clientsDir: string, keys: WgKeyPair = wgKeyPair()): PreparedClient {
  const dir = path.join(clientsDir, c.name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeSecret(path.join(dir, 'private.key'), `${keys.privateKey}\n`);
  writeFileSync(path.join(dir, 'public.key'), `${keys.publicKey}\n`);
  return { plan: c, dir, keys };
}

export interface StartedClient {
  initPid: number;
  initStart: number;
  unsharePid: number;
  unshareStart: number;
}

export async function startClient(p: PreparedClient, opts: { initScript: string; logPath: string; timeoutMs?: number }): Promise<StartedClient> {
  const c = p.plan;
  const pid = spawnDaemon(
    ['ip', 'netns', 'exec', c.netns, 'unshare', '--mount', '--uts', '--pid', '--fork', '--kill-child', '--mount-proc',
      '/bin/sh', opts.initScript, p.dir, c.name, c.underlayIp, CLIENT_GW, c.address, INET_IP, c.address6, INET_IP6],
    opts.logPath,
    LAB_ENV,
  );
  const unshareStart = processStartTime(pid) ?? 0;
  const died = () => {
    let tail = '';
    try {
      tail = readFileSync(opts.logPath, 'utf8').trim().split('\n').slice(-6).join('\n    ');
    } catch {
      /* none */
    }
    return new LabError(`client ${c.name} did not start${tail ? `:\n    ${tail}` : ''}`, { hint: `its log: ${opts.logPath}` });
  };
  const timeoutMs = opts.timeoutMs ?? 20_000;
  await waitFor(`client ${c.name}`, timeoutMs, () => {
    if (processStartTime(pid) === undefined) throw died();
    return existsSync(path.join(p.dir, 'ready')) ? true : undefined;
  }, 25);
  const initPid = childOf(pid);
  if (!initPid) throw died();
  return { initPid, initStart: processStartTime(initPid) ?? 0, unsharePid: pid, unshareStart };
}

/** wg_port from the inventory the lab wrote (a user may have edited it), else the default. */
export function inventoryWgPort(inventoryFile: string, gateway: string): number {
  try {
    const doc = parse(readFileSync(inventoryFile, 'utf8')) as { all?: { vars?: Record<string, unknown>; hosts?: Record<string, Record<string, unknown> | null> } };
    const v = doc.all?.hosts?.[gateway]?.wg_port ?? doc.all?.vars?.wg_port;
    return typeof v === 'number' ? v : WG_PORT;
  } catch {
    return WG_PORT;
  }
}

export interface ConnectResult {
  gateway: string;
  publicKey?: string;
  /** Clients whose peer was set. */
  clients: string[];
  /** Why this gateway's clients could not be connected (no wg0 yet: not deployed). */
  error?: string;
}

/**
 * Points each client at its gateway: reads the gateway's `wg show wg0 public-key` (inside the
 * gateway, no SSH) and sets the client's only peer. Gateways without wg0 are reported, not fatal.
 */
export async function connectClients(state: LabState): Promise<ConnectResult[]> {
  const byGateway = new Map<string, LabClient[]>();
  for (const c of state.clients) byGateway.set(c.gateway, [...(byGateway.get(c.gateway) ?? []), c]);
  return Promise.all(
    state.gateways
      .filter((g) => byGateway.has(g.name))
      .map(async (g): Promise<ConnectResult> => {
        const r = await enter(g.initPid, 'wg show wg0 public-key');
        const key = r.stdout.trim();
        if (r.code !== 0 || !/^[A-Za-z0-9+/]{43}=$/.test(key)) {
          return { gateway: g.name, clients: [], error: `no WireGuard key on ${g.name} (is it deployed?): ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}` };
        }
        const port = inventoryWgPort(state.inventory, g.name);
        const plan = gatewayPlan(Number(g.name.replace(/^gw/, '')));
        const endpoint = `${plan.wanIp}:${port}`;
        const done: string[] = [];
        for (const c of byGateway.get(g.name) ?? []) {
          const s = await enter(c.initPid, CLIENT_PEER, { args: [key, endpoint, CLIENT_ALLOWED_IPS.join(','), String(CLIENT_KEEPALIVE)] });
          if (s.code !== 0) throw new LabError(`cannot set ${c.name}'s peer: ${s.stderr.trim()}`);
          done.push(c.name);
        }
        return { gateway: g.name, publicKey: key, clients: done };
      }),
  );
}

const CLIENT_UNDERLAY = shellAsset(import.meta.url, 'client-underlay.sh');
const CLIENT_RESOLVCONF = shellAsset(import.meta.url, 'client-resolvconf.sh');
const CLIENT_WG_QUICK = shellAsset(import.meta.url, 'client-wg-quick.sh');

export interface UnderlayClient {
  /** The client's netns (created and wired to the switch by the caller). */
  netns: string;
  name: string;
  underlayIp: string;
  /** A directory of its own: the init script, its resolvconf, the ready marker. */
  dir: string;
  logPath: string;
  timeoutMs?: number;
}

/** Starts a client with only its underlay (no WireGuard yet): the tunnel comes from `wgQuickUp`. */
export async function startUnderlayClient(c: UnderlayClient): Promise<StartedClient> {
  mkdirSync(path.join(c.dir, 'bin'), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(c.dir, 'init.sh'), CLIENT_UNDERLAY);
  writeFileSync(path.join(c.dir, 'bin', 'resolvconf'), CLIENT_RESOLVCONF, { mode: 0o755 });
  rmSync(path.join(c.dir, 'ready'), { force: true });
  const pid = spawnDaemon(
    ['ip', 'netns', 'exec', c.netns, 'unshare', '--mount', '--uts', '--pid', '--fork', '--kill-child', '--mount-proc',
      '/bin/sh', path.join(c.dir, 'init.sh'), c.dir, c.name, c.underlayIp, CLIENT_GW],
    c.logPath,
    LAB_ENV,
  );
  const unshareStart = processStartTime(pid) ?? 0;
  await waitFor(`client ${c.name}`, c.timeoutMs ?? 20_000, () => {
    if (processStartTime(pid) === undefined) throw new LabError(`client ${c.name} did not start`, { hint: `its log: ${c.logPath}` });
    return existsSync(path.join(c.dir, 'ready')) ? true : undefined;
  }, 25);
  const initPid = childOf(pid);
  if (!initPid) throw new LabError(`client ${c.name} did not start`, { hint: `its log: ${c.logPath}` });
  return { initPid, initStart: processStartTime(initPid) ?? 0, unsharePid: pid, unshareStart };
}

/** `wg-quick up <conf>` inside the client whose init is `initPid` (conf: <iface>.conf, 0600). */
export async function wgQuickUp(initPid: number, dir: string, conf: string): Promise<void> {
  const r = await enter(initPid, CLIENT_WG_QUICK, { args: [dir, conf], timeoutMs: 30_000 });
  if (r.code !== 0) throw new LabError(`wg-quick up ${conf} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-6).join('\n    ')}`);
}
