/**
 * One SSH login to one endpoint (a target host or a bastion), directly over TCP or over a stream
 * a bastion forwarded: the host key is checked against known_hosts before any authentication
 * (host-key-check.ts), then the credentials of auth.ts are offered in order.
 */
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import { TransportError } from '../errors.js';
import { credentialsFor, type AuthOptions } from './auth.js';
import { checkHostKey, type HostKeyVerdict } from './host-key-check.js';
import { appendKnownHost, keyTypeOfBlob, lookupHostKeys, readKnownHosts, type HostKeyLookup } from './known-hosts.js';
import { hostPort, type SshEndpoint } from './route.js';

export interface EndpointConnectOptions extends AuthOptions {
  /** Record the key of a host known_hosts says nothing about (first contact). */
  acceptNewHostKeys?: boolean;
  connectTimeoutS: number;
}

/** Host key algorithms that can verify against the key types we know for this host. */
function hostKeyAlgorithms(types: string[]): ServerHostKeyAlgorithm[] | undefined {
  const algs = new Set<string>();
  for (const t of types) {
    if (t === 'ssh-rsa') ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'].forEach((a) => algs.add(a));
    else algs.add(t);
  }
  return algs.size ? ([...algs] as ServerHostKeyAlgorithm[]) : undefined;
}

function target(ep: SshEndpoint): string {
  return `${ep.user}@${hostPort(ep.host, ep.port)}`;
}

/**
 * Logs in to `ep`, over `sock` when a bastion forwarded one.
 * @throws TransportError (host: ep.label) with the reason: host-key-*, auth, refused, unreachable, timeout, closed.
 */
type Refusal = Extract<HostKeyVerdict, { verdict: 'refuse' }>;

/** ssh2's hostVerifier for `ep`: records a first-contact key, keeps the reason of a refusal. */
function hostKeyVerifier(ep: SshEndpoint, known: HostKeyLookup, acceptNew: boolean, onRefuse: (r: Refusal) => void) {
  const subject = { label: hostPort(ep.host, ep.port), host: ep.host, port: ep.port, knownHostsFile: ep.knownHostsFile };
  return (blob: Buffer): boolean => {
    const presented = { type: keyTypeOfBlob(blob), key: blob.toString('base64') };
    const v = checkHostKey(known, presented, subject, acceptNew);
    if (v.verdict === 'refuse') onRefuse(v);
    else if (v.verdict === 'record') appendKnownHost(ep.knownHostsFile, ep.host, ep.port, presented.type, presented.key);
    return v.verdict !== 'refuse';
  };
}

export async function connectEndpoint(ep: SshEndpoint, opts: EndpointConnectOptions, sock?: Duplex): Promise<NodeSSH> {
  const creds = await credentialsFor(ep, opts);
  const known = lookupHostKeys(readKnownHosts(ep.knownHostsFile), ep.host, ep.port);
  let refused: Refusal | undefined;
  const hostVerifier = hostKeyVerifier(ep, known, !!opts.acceptNewHostKeys, (r) => (refused = r));
  const ssh = new NodeSSH();
  try {
    const connecting = ssh.connect({
      ...(sock ? { sock } : { host: ep.host, port: ep.port }),
      username: ep.user,
      authHandler: creds.methods,
      readyTimeout: opts.connectTimeoutS * 1000,
      hostVerifier,
      algorithms: { serverHostKey: hostKeyAlgorithms(known.keys.map((k) => k.type)) },
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
    });
    // node-ssh creates the ssh2 client synchronously inside connect(): turn Nagle off before the
    // handshake. An SSH exchange is small request/response messages; with Nagle on, each one that
    // follows an unacknowledged write waits for the peer's delayed ACK (40 ms on Linux), which
    // made every round trip cost about 90 ms even on a local link (OpenSSH sets TCP_NODELAY too).
    ssh.connection?.setNoDelay(true);
    await connecting;
  } catch (err) {
    ssh.dispose();
    if (refused) throw new TransportError(ep.label, refused.reason, refused.message, { hint: refused.hint, cause: err });
    throw classifyConnectError(ep, opts.connectTimeoutS, creds.skipped, err);
  }
  ssh.connection?.on('error', () => {
    /* surfaced by the next use as 'closed' */
  });
  return ssh;
}

function classifyConnectError(ep: SshEndpoint, timeoutS: number, skipped: string[], err: unknown): TransportError {
  const e = err as NodeJS.ErrnoException & { level?: string };
  const msg = e?.message ?? String(err);
  const to = target(ep);
  if (e?.code === 'ECONNREFUSED') return new TransportError(ep.label, 'refused', `connection refused by ${to}`, { hint: 'is sshd running on that port?', cause: err });
  if (e?.code === 'EHOSTUNREACH' || e?.code === 'ENETUNREACH' || e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN')
    return new TransportError(ep.label, 'unreachable', `${to} is unreachable (${e.code})`, { cause: err });
  if (e?.code === 'ETIMEDOUT' || /timed out/i.test(msg)) return new TransportError(ep.label, 'timeout', `no SSH answer from ${to} within ${timeoutS}s`, { hint: 'check the address and any firewall; raise connect_timeout for slow links', cause: err });
  if (e?.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
    const locked = skipped.length ? `; ${skipped.join(', ')} was not tried: it needs its passphrase (--ask-key-passphrase, or ssh-add it)` : '';
    return new TransportError(ep.label, 'auth', `authentication failed for ${to}${locked}`, { hint: 'check user and key_file (ansible_user, ansible_ssh_private_key_file)', cause: err });
  }
  return new TransportError(ep.label, 'closed', `cannot connect to ${to}: ${msg}`, { cause: err });
}
