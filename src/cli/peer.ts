/**
 * `fleet peer add | list | remove`: a gateway's WireGuard clients, in the inventory and live.
 */
import { openSync, closeSync, writeSync, fchmodSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { addPeer, listPeers, PeerError, removePeer, type Half, type PeerListResult } from '../peers/index.js';
import { qrCode } from '../peers/config.js';
import { table } from '../report/format.js';
import { DEFAULT_INVENTORY } from './inventory.js';
import { EXIT, UsageError } from './exit-codes.js';
import { addVaultOptions, ASK_KEY_PASSPHRASE_HELP, CONNECT_TIMEOUT_RANGE, connectTimeoutArg, positiveInt, sshOptions } from './options.js';

function halfArg(v: string): Half {
  if (v !== 'direct' && v !== 'vpn') throw new InvalidArgumentError("expected 'direct' or 'vpn'");
  return v;
}

function listArg(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** PeerErrors are bad input: nothing was changed anywhere. */
async function asUsage<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof PeerError) throw new UsageError(err.message, { hint: err.hint });
    throw err;
  }
}

/** Writes the client config 0600 from birth (it holds the client's private key). */
function writeSecretFile(file: string, text: string): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

function age(s?: number): string {
  if (s === undefined) return 'never';
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

function bytes(n?: number): string {
  if (n === undefined) return '-';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

function listTable(results: PeerListResult[]): string {
  const rows = results.flatMap((r) =>
    r.peers.length
      ? r.peers.map((p) => [
          r.gateway,
          p.name ?? '(not in inventory)',
          p.address,
          p.half ?? '-',
          !r.reachable ? 'unreachable' : !p.live ? 'not applied' : age(p.handshakeAgeS),
          bytes(p.rxBytes),
          bytes(p.txBytes),
          p.endpoint ?? '-',
        ])
      : [[r.gateway, r.reachable ? '(no peers)' : `unreachable: ${r.error ?? ''}`, '', '', '', '', '', '']],
  );
  return table(['GATEWAY', 'PEER', 'ADDRESS', 'HALF', 'HANDSHAKE', 'RECEIVED', 'SENT', 'ENDPOINT'], rows);
}

export function registerPeerCommand(program: Command): void {
  const peer = program
    .command('peer')
    .description("a gateway's WireGuard clients: add one (and get its config), list them, remove one")
    .addHelpText(
      'after',
      `
The client's address decides its path: the direct half (wg_direct_range, 10.4.0.0/25) exits from
the gateway's WAN address, the VPN half (wg_vpn_range, 10.4.0.128/25) through the provider.

Examples:
  fleet peer add gw1 laptop --half vpn -i prod.yaml          # prints the config and a QR code
  fleet peer add gw1 phone --out phone.conf --no-qr -i prod.yaml
  fleet peer list -i prod.yaml
  fleet peer remove gw1 laptop -i prod.yaml`,
    );

  registerPeerAdd(peer);
  registerPeerList(peer);
  registerPeerRemove(peer);
}

/** The options every peer subcommand takes. */
function common(cmd: Command): Command {
  return addVaultOptions(cmd)
    .addOption(new Option('-i, --inventory <file>', 'inventory file (edited in place by add and remove)').default(DEFAULT_INVENTORY))
    .option('--accept-new-host-keys', 'record the host key of a host not yet in known_hosts (first contact)')
    .option('-T, --connect-timeout <seconds>', `SSH connect timeout, ${CONNECT_TIMEOUT_RANGE.min}-${CONNECT_TIMEOUT_RANGE.max}`, connectTimeoutArg)
    .option('--ask-key-passphrase', ASK_KEY_PASSPHRASE_HELP)
    .option('--json', 'print JSON');
}

function registerPeerAdd(peer: Command): void {
  common(
    peer
      .command('add')
      .argument('<gateway>', 'the gateway (an inventory host)')
      .argument('<name>', 'the peer name (letters, digits, _ . -)')
      .description('add a client: address, keys, inventory, live on the gateway; prints its config')
      .addOption(new Option('--half <half>', 'which half of the subnet: direct or vpn (default: direct, or the half of --address)').argParser(halfArg))
      .option('--address <ip>', 'this address instead of the first free one in the half')
      .option('--public-key <key>', "the client's own public key: no key pair is made and the config has no PrivateKey")
      .option('--split', 'a split client: only the WireGuard subnet goes through the tunnel (default: everything, a full tunnel)')
      .option('--allowed-ips <cidrs>', 'with --split: more networks for the tunnel beside the WireGuard subnet (repeatable, comma-separated)', listArg)
      .option('--endpoint <host:port>', "the Endpoint clients use (default: the inventory's wan_ip:wg_port)")
      .option('--out <file>', 'write the client config to this file (mode 0600) instead of printing it')
      .option('--qr', 'print a QR code of the config (default on a terminal)')
      .option('--no-qr', 'no QR code'),
  )
    .addHelpText(
      'after',
      `
What it does:
  1. picks the first free address in the half (skipping the gateway's and every peer's), or
     checks --address;
  2. makes the client's key pair here (wg genkey, wg pubkey) unless --public-key is given; the
     private key is printed once (or written to --out) and stored nowhere else;
  3. deploys the gateway limited to the wireguard role (wg syncconf: wg0 and the other clients'
     sessions stay up); on failure the gateway is rolled back and the inventory is not changed;
  4. writes the peer into the inventory file, keeping its comments and formatting;
  5. prints the client config: Address, DNS (the gateway's wg0 address), the gateway's public key
     read from the gateway, Endpoint, AllowedIPs, PersistentKeepalive 25.

AllowedIPs: a full tunnel by default (0.0.0.0/0): all the client's traffic meets the gateway,
which sends it out of the WAN or through the provider by the client's half. --split tunnels only
the WireGuard subnet (and --allowed-ips): the client's other traffic bypasses the gateway.

Examples:
  fleet peer add gw1 laptop --half vpn -i prod.yaml
  fleet peer add gw1 phone --address 10.4.0.20 --out phone.conf -i prod.yaml
  fleet peer add gw1 nas --split --allowed-ips 192.168.1.0/24 -i prod.yaml
  fleet peer add gw1 router --public-key 'kkF9mcIbAkIS8yuU9op2masQSd/wQPLAN4RskuUG2Ho=' -i prod.yaml`,
    )
    .action(async (gateway: string, name: string, opts) => {
      const r = await asUsage(() =>
        addPeer({
          inventory: opts.inventory,
          gateway,
          name,
          half: opts.half,
          address: opts.address,
          publicKey: opts.publicKey,
          split: opts.split,
          allowedIps: opts.allowedIps,
          endpoint: opts.endpoint,
          ssh: sshOptions(opts),
        }),
      );
      if (opts.out) writeSecretFile(opts.out, r.config);
      // --qr forces it; --no-qr never; by default only on a terminal, with the config printed there.
      const qr = process.argv.includes('--qr') || (opts.qr !== false && !opts.out && !opts.json && !!process.stdout.isTTY);
      if (opts.json) {
        const out: Record<string, unknown> = { gateway, peer: r.peer, half: r.half, gatewayPublicKey: r.gatewayPublicKey, changed: r.deploy.status === 'changed' };
        if (opts.out) out.out = opts.out;
        else out.config = r.config;
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      process.stderr.write(`${gateway}: peer ${name} added at ${r.peer.allowed_ips[0]} (${r.half} half), live on the gateway and in ${opts.inventory}\n`);
      if (opts.out) process.stderr.write(`client config written to ${opts.out} (0600)${opts.publicKey ? '' : ": it holds the client's private key, which fleet keeps nowhere"}\n`);
      else {
        if (!opts.publicKey) process.stderr.write("the client's private key is below and nowhere else: keep this config\n\n");
        process.stdout.write(r.config);
      }
      if (qr) process.stdout.write(`\n${qrCode(r.config)}\n`);
    });
}

function registerPeerList(peer: Command): void {
  common(
    peer
      .command('list')
      .argument('[gateway]', 'only this gateway')
      .description('every peer, in the inventory and live: address, half, latest handshake, transfer')
      .option('-f, --forks <n>', 'gateways read in parallel', (v) => positiveInt(v, '--forks')),
  )
    .addHelpText('after', '\nExit code: 0, or 3 when a gateway is unreachable.\n\nExamples:\n  fleet peer list -i prod.yaml\n  fleet peer list gw1 -i prod.yaml --json')
    .action(async (gateway: string | undefined, opts) => {
      const results = await asUsage(() =>
        listPeers({ inventory: opts.inventory, gateway, forks: opts.forks, ssh: sshOptions(opts) }),
      );
      process.stdout.write(opts.json ? `${JSON.stringify({ command: 'peer list', gateways: results }, null, 2)}\n` : `${listTable(results)}\n`);
      if (results.some((r) => !r.reachable)) process.exitCode = EXIT.HOSTS_UNREACHABLE;
    });
}

function registerPeerRemove(peer: Command): void {
  common(
    peer
      .command('remove')
      .argument('<gateway>', 'the gateway')
      .argument('<name>', 'the peer to remove')
      .description('remove a client from the inventory and from the running gateway (its session ends)'),
  )
    .addHelpText('after', '\nExamples:\n  fleet peer remove gw1 laptop -i prod.yaml')
    .action(async (gateway: string, name: string, opts) => {
      const r = await asUsage(() => removePeer({ inventory: opts.inventory, gateway, name, ssh: sshOptions(opts) }));
      if (opts.json) process.stdout.write(`${JSON.stringify({ gateway, removed: r.peer, changed: r.deploy.status === 'changed' }, null, 2)}\n`);
      else process.stdout.write(`${gateway}: peer ${name} (${r.peer.allowed_ips.join(', ')}) removed from the gateway and from ${opts.inventory}\n`);
    });
}
