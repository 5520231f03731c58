/**
 * `fleet peer add | list | remove`: the operator's day-two work on a gateway's clients.
 *
 * add: a free address in the half asked for (the address decides the path), the client's key pair
 *   made here unless its public key is given, the peer written into the inventory file (comments
 *   and formatting kept), applied to the running gateway by a deploy of that gateway limited to the
 *   wireguard role (`wg syncconf`: wg0 and the other peers' sessions stay up), and the client's
 *   config, with the gateway's public key as the gateway itself reports it.
 * The inventory file is written only once the gateway has the peer: a failed apply (rolled back)
 * leaves the file as it was.
 */
import type { HostResult } from '../engine/fleet.js';
import { deployFleet, withEachHost } from '../engine/fleet.js';
import { healthProbe, parseHealth, type PeerStatus } from '../roles/health.js';
import { planHost } from '../engine/plan.js';
import { PeerInventoryChangedError, PeerNotAppliedError, RemoteCommandError, type FleetError } from '../errors.js';
import { loadInventory, loadInventoryText, type Host, type Peer } from '../inventory/index.js';
import { desiredState } from '../roles/tasks.js';
import { sh } from '../shell/sh.js';
import { SshTransport, type SshOptions } from '../transport/ssh.js';
import type { Transport } from '../transport/types.js';
import { networkText } from '../types/net.js';
import { address6For, allocateAddress, findPeer, halfOf, PeerError, type Half } from './allocate.js';
import { renderClientConfig } from './config.js';
import { clientAllowedIps } from './tunnel.js';
import { checkEndpoint } from './endpoint.js';
import { addPeerText, readInventoryText, removePeerText, writeInventory } from './inventory-edit.js';
import { generateKeys, isWgKey } from './keys.js';

export { PeerError, type Half } from './allocate.js';

export interface AddPeerRequest {
  inventory: string;
  gateway: string;
  name: string;
  half?: Half;
  address?: string;
  publicKey?: string;
  /** Only the WireGuard subnet (and `allowedIps`) through the tunnel, instead of everything. */
  split?: boolean;
  /** With `split`: more AllowedIPs for the client beside the WireGuard subnet. */
  allowedIps?: string[];
  /** host[:port] for the client's Endpoint; default wan_ip:wg_port. */
  endpoint?: string;
  ssh?: SshOptions;
}

export interface AddPeerResult {
  gateway: string;
  peer: Peer;
  half: Half;
  /** The client's wg-quick config (holds its private key unless a public key was given). */
  config: string;
  gatewayPublicKey: string;
  deploy: HostResult;
}

export interface RemovePeerResult {
  gateway: string;
  peer: Peer;
  deploy: HostResult;
}

function hostOf(file: string, gateway: string, text?: string): Host {
  const inv = text === undefined ? loadInventory(file) : loadInventoryText(text, file);
  const host = inv.hosts.find((h) => h.name === gateway);
  if (!host) throw new PeerError(`no gateway ${gateway} in ${file} (has: ${inv.hosts.map((h) => h.name).join(', ') || 'none'})`);
  return host;
}

/** A transport whose close() waits for us: deploy closes what it is given, and we read after it. */
function kept(t: Transport): Transport {
  return {
    get host() {
      return t.host;
    },
    get roundTrips() {
      return t.roundTrips;
    },
    run: (script, opts) => t.run(script, opts),
    close: async () => undefined,
  };
}

function deployError(r: HostResult): FleetError {
  const f = r.apply?.failure;
  const why = r.error?.message ?? (f ? `step ${f.id} (${f.phase}, exit ${f.exitCode}): ${f.output.trim().slice(-500)}` : r.status);
  return new PeerNotAppliedError(`${r.host}: applying the peer change failed (${r.status}): ${why}`, {
    hint: r.status === 'failed' ? 'the gateway was rolled back and the inventory file was not changed' : 'the inventory file was not changed',
  });
}

/** Deploys `host` limited to the wireguard role on `t`; throws when it did not succeed. */
async function applyWireguard(host: Host, t: Transport): Promise<HostResult> {
  const desired = new Map([[host.name, desiredState(host.vars as unknown as Record<string, unknown>, ['wireguard'])]]);
  const [r] = await deployFleet([host], desired, { roles: ['wireguard'], connect: async () => kept(t) });
  if (!r || (r.status !== 'ok' && r.status !== 'changed')) throw deployError(r ?? { host: host.name, status: 'failed', roundTrips: 0, seconds: 0 });
  return r;
}

async function gatewayPublicKey(t: Transport, host: Host): Promise<string> {
  const r = await t.run(sh`wg show ${host.vars.wg_interface} public-key`);
  const key = r.stdout.trim();
  if (r.code !== 0 || !isWgKey(key)) {
    throw new RemoteCommandError(host.name, undefined, `wg show ${host.vars.wg_interface} public-key`, r.code, r.stderr || r.stdout, { hint: "the gateway's wireguard role is not applied, or wg0 is down: fleet status shows it" });
  }
  return key;
}

/** Writes the edited inventory, unless someone changed the file while the gateway was updated. */
function writeUnlessChanged(file: string, before: string, text: string, done: string): void {
  if (readInventoryText(file) !== before) {
    throw new PeerInventoryChangedError(`${file} changed while fleet was updating the gateway: ${done}, but the file was not written`, {
      hint: 'make the same change to the file by hand, or the next deploy from it undoes this one',
    });
  }
  writeInventory(file, text);
}

export async function addPeer(req: AddPeerRequest): Promise<AddPeerResult> {
  if (req.endpoint !== undefined) checkEndpoint(req.endpoint);
  const host = hostOf(req.inventory, req.gateway);
  const v = host.vars;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(req.name)) throw new PeerError(`'${req.name}' is not a peer name (letters, digits, _ . -; up to 64)`);
  if (findPeer(v, req.name)) throw new PeerError(`${req.gateway} already has a peer ${req.name}`, { hint: `fleet peer remove ${req.gateway} ${req.name} first, or pick another name` });
  if (req.publicKey !== undefined) {
    if (!isWgKey(req.publicKey)) throw new PeerError(`--public-key is not a WireGuard key (44 characters of base64)`);
    const dup = v.wg_peers.find((p) => p.public_key === req.publicKey);
    if (dup) throw new PeerError(`that public key is already peer ${dup.name} of ${req.gateway}`);
  }
  for (const a of req.allowedIps ?? []) if (!networkText(a)) throw new PeerError(`--allowed-ips ${a} is not a CIDR like 198.51.100.0/24 or 2001:db8::/32`);
  const allowedIps = clientAllowedIps([v.wg_subnet, v.wg_subnet6], { split: req.split, extra: req.allowedIps });
  const half: Half = req.half ?? (req.address ? (halfOf(v, req.address) ?? 'direct') : 'direct');
  const address = allocateAddress(v, half, req.address);
  const address6 = address6For(v, half, address);
  const keys = req.publicKey ? { publicKey: req.publicKey, privateKey: undefined } : generateKeys();
  const peer: Peer = { name: req.name, public_key: keys.publicKey, allowed_ips: [`${address}/32`, `${address6}/128`] };

  const before = readInventoryText(req.inventory);
  // Peers the host only inherits (from a group) are copied into its own new list.
  const text = addPeerText(before, req.inventory, req.gateway, peer, v.wg_peers);
  const next = hostOf(req.inventory, req.gateway, text); // the edited file must still load, and validate
  if (!findPeer(next.vars, req.name)) throw new PeerError(`${req.gateway}'s wg_peers is overridden (by -e or a later group): cannot add ${req.name} in ${req.inventory}`);

  const t = await SshTransport.connect(next.name, next.connection, req.ssh ?? {});
  try {
    const deploy = await applyWireguard(next, t);
    writeUnlessChanged(req.inventory, before, text, `${req.name} is live on ${req.gateway}`);
    const serverKey = await gatewayPublicKey(t, next);
    const wgAddr = next.vars.wg_address.split('/')[0]!;
    const config = renderClientConfig({
      privateKey: keys.privateKey,
      address,
      address6,
      dns: wgAddr,
      dns6: next.vars.wg_address6.split('/')[0]!,
      serverPublicKey: serverKey,
      endpoint: req.endpoint ?? `${next.vars.wan_ip}:${next.vars.wg_port}`,
      allowedIps,
      keepalive: 25,
      comment: `${req.name} on ${req.gateway} (${half} half): made by fleet peer add`,
    });
    return { gateway: req.gateway, peer, half, config, gatewayPublicKey: serverKey, deploy };
  } finally {
    await t.close().catch(() => undefined);
  }
}

export async function removePeer(req: { inventory: string; gateway: string; name: string; ssh?: SshOptions }): Promise<RemovePeerResult> {
  const host = hostOf(req.inventory, req.gateway);
  const peer = findPeer(host.vars, req.name);
  if (!peer) throw new PeerError(`${req.gateway} has no peer ${req.name}`, { hint: `fleet peer list ${req.gateway} -i ${req.inventory}` });
  const before = readInventoryText(req.inventory);
  const text = removePeerText(before, req.inventory, req.gateway, req.name);
  const next = hostOf(req.inventory, req.gateway, text);
  if (findPeer(next.vars, req.name)) throw new PeerError(`${req.name} is still a peer of ${req.gateway} after removing it from the host's entry (a group sets it)`);
  const t = await SshTransport.connect(next.name, next.connection, req.ssh ?? {});
  try {
    const deploy = await applyWireguard(next, t);
    writeUnlessChanged(req.inventory, before, text, `${req.name} is gone from ${req.gateway}`);
    return { gateway: req.gateway, peer, deploy };
  } finally {
    await t.close().catch(() => undefined);
  }
}

export interface PeerRow {
  gateway: string;
  name?: string;
  publicKey: string;
  address: string;
  half?: Half;
  /** in-inventory: in the file; live: on the running wg0 (both is the normal case). */
  inInventory: boolean;
  live: boolean;
  endpoint?: string;
  handshakeAgeS?: number;
  rxBytes?: number;
  txBytes?: number;
}

export interface PeerListResult {
  gateway: string;
  reachable: boolean;
  error?: string;
  wgUp?: boolean;
  peers: PeerRow[];
}

/** Every peer of the gateways (inventory and live), with handshake and transfer. One round trip each. */
export async function listPeers(req: { inventory: string; gateway?: string; ssh?: SshOptions; forks?: number }): Promise<PeerListResult[]> {
  const inv = loadInventory(req.inventory);
  const hosts = req.gateway ? [hostOf(req.inventory, req.gateway)] : inv.hosts;
  const rows = (host: Host, live: PeerStatus[]): PeerRow[] => {
    const byKey = new Map(live.map((p) => [p.publicKey, p]));
    const out: PeerRow[] = host.vars.wg_peers.map((p) => {
      const l = byKey.get(p.public_key);
      const address = p.allowed_ips[0]?.split('/')[0] ?? '';
      return {
        gateway: host.name,
        name: p.name,
        publicKey: p.public_key,
        address: p.allowed_ips.join(','),
        half: address ? halfOf(host.vars, address) : undefined,
        inInventory: true,
        live: !!l,
        endpoint: l?.endpoint,
        handshakeAgeS: l?.handshakeAgeS,
        rxBytes: l?.rxBytes,
        txBytes: l?.txBytes,
      };
    });
    const known = new Set(host.vars.wg_peers.map((p) => p.public_key));
    for (const l of live) {
      if (known.has(l.publicKey)) continue;
      const address = l.allowedIps[0]?.split('/')[0] ?? '';
      out.push({ gateway: host.name, publicKey: l.publicKey, address: l.allowedIps.join(','), half: address ? halfOf(host.vars, address) : undefined, inInventory: false, live: true, endpoint: l.endpoint, handshakeAgeS: l.handshakeAgeS, rxBytes: l.rxBytes, txBytes: l.txBytes });
    }
    return out;
  };
  return withEachHost<PeerListResult>(
    hosts,
    { forks: req.forks, ssh: req.ssh },
    async (host, t) => {
      const plan = await planHost(t, [], {}, healthProbe(host.vars));
      const health = parseHealth(plan.markers, host.vars);
      return { gateway: host.name, reachable: true, wgUp: health.wg.up, peers: rows(host, health.wg.peers) };
    },
    (host, err) => ({ gateway: host.name, reachable: false, error: (err as Error).message, peers: rows(host, []) }),
  );
}
