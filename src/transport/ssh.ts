/**
 * SSH transport on node-ssh: one connection per host, every script sent on stdin to `sh -s`
 * (through `sudo -n` when the host has become). Host keys are verified against known_hosts before
 * any authentication happens; a mismatch always stops the host.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeSSH } from 'node-ssh';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import type { Shell } from '../shell/sh.js';
import { TransportError, type TransportFailure } from '../errors.js';
import type { Connection } from '../inventory/index.js';
import { appendKnownHost, findKnownKeys, keyTypeOfBlob, readKnownHosts } from './known-hosts.js';
import type { RunOptions, RunResult, Transport } from './types.js';

export interface SshOptions {
  /** Record unknown host keys instead of refusing them (first contact). Mismatches still fail. */
  acceptNewHostKeys?: boolean;
  /** Overrides the inventory's connect timeout (seconds). */
  connectTimeout?: number;
}


const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

function defaultKnownHosts(): string {
  return path.join(os.homedir(), '.ssh', 'known_hosts');
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

export class SshTransport implements Transport {
  private ssh = new NodeSSH();
  private trips = 0;
  private constructor(
    readonly host: string,
    private readonly conn: Connection,
  ) {}

  get roundTrips(): number {
    return this.trips;
  }

  static async connect(name: string, conn: Connection, opts: SshOptions = {}): Promise<SshTransport> {
    const t = new SshTransport(name, conn);
    await t.open(opts);
    return t;
  }

  private async open(opts: SshOptions): Promise<void> {
    const { conn, host } = this;
    const knownHostsFile = conn.knownHostsFile ?? defaultKnownHosts();
    const known = findKnownKeys(readKnownHosts(knownHostsFile), conn.host, conn.port);
    let hostKeyProblem: { reason: TransportFailure; message: string; hint: string } | undefined;

    const hostVerifier = (key: Buffer): boolean => {
      const type = keyTypeOfBlob(key);
      const b64 = key.toString('base64');
      const same = known.filter((k) => k.type === type);
      if (same.some((k) => k.revoked && k.key === b64)) {
        hostKeyProblem = { reason: 'host-key-mismatch', message: `host key ${type} is marked @revoked in ${knownHostsFile}`, hint: 'the host key was revoked: do not connect' };
        return false;
      }
      if (same.some((k) => !k.revoked && k.key === b64)) return true;
      if (known.length === 0 && opts.acceptNewHostKeys) {
        appendKnownHost(knownHostsFile, conn.host, conn.port, type, b64);
        return true;
      }
      hostKeyProblem =
        known.length === 0
          ? {
              reason: 'host-key-unknown',
              message: `no host key for ${conn.host}:${conn.port} in ${knownHostsFile}`,
              hint: 'verify the host key out of band, then add it (ssh-keyscan) or run once with --accept-new-host-keys',
            }
          : {
              reason: 'host-key-mismatch',
              message: `HOST KEY MISMATCH for ${conn.host}:${conn.port}: the ${type} key offered does not match ${knownHostsFile}`,
              hint: 'someone may be intercepting the connection, or the host was rebuilt; fix known_hosts only after checking the new key out of band',
            };
      return false;
    };

    const keyFile = conn.keyFile ?? DEFAULT_KEYS.map((k) => path.join(os.homedir(), '.ssh', k)).find((f) => existsSync(f));
    let privateKey: string | undefined;
    if (keyFile) {
      try {
        privateKey = readFileSync(keyFile, 'utf8');
      } catch (err) {
        throw new TransportError(host, 'auth', `cannot read key file ${keyFile}: ${(err as Error).message}`, { cause: err });
      }
    }
    const agent = process.env.SSH_AUTH_SOCK;
    if (!privateKey && !agent) {
      throw new TransportError(host, 'auth', 'no SSH key: set key_file (ansible_ssh_private_key_file) or start ssh-agent');
    }
    const timeoutS = opts.connectTimeout ?? conn.connectTimeout;
    try {
      const connecting = this.ssh.connect({
        host: conn.host,
        port: conn.port,
        username: conn.user,
        privateKey,
        agent,
        readyTimeout: timeoutS * 1000,
        hostVerifier,
        algorithms: { serverHostKey: hostKeyAlgorithms(known.filter((k) => !k.revoked).map((k) => k.type)) },
        keepaliveInterval: 5000,
        keepaliveCountMax: 3,
      });
      // node-ssh creates the ssh2 client synchronously inside connect(): turn Nagle off before the
      // handshake. An SSH exchange is small request/response messages; with Nagle on, each one that
      // follows an unacknowledged write waits for the peer's delayed ACK (40 ms on Linux), which
      // made every round trip cost about 90 ms even on a local link (OpenSSH sets TCP_NODELAY too).
      this.ssh.connection?.setNoDelay(true);
      await connecting;
    } catch (err) {
      if (hostKeyProblem) throw new TransportError(host, hostKeyProblem.reason, hostKeyProblem.message, { hint: hostKeyProblem.hint, cause: err });
      throw classifyConnectError(host, conn, timeoutS, err);
    }
    this.ssh.connection?.on('error', () => {
      /* surfaced by the next run() as 'closed' */
    });
  }

  async run(script: Shell, opts: RunOptions = {}): Promise<RunResult> {
    this.trips++;
    const command = this.conn.become && this.conn.user !== 'root' ? 'sudo -n -H /bin/sh -s' : '/bin/sh -s';
    try {
      const res = await this.ssh.execCommand(command, {
        stdin: script.text,
        noTrim: true,
        onStdout: opts.onStdout ? (chunk) => opts.onStdout!(chunk.toString('utf8')) : undefined,
      });
      if (this.conn.become && res.code !== 0 && /^sudo: /m.test(res.stderr)) {
        throw new TransportError(this.host, 'sudo', `sudo -n failed for ${this.conn.user}: ${res.stderr.trim().split('\n')[0]}`, {
          hint: `give ${this.conn.user} passwordless sudo on the host (NOPASSWD), or connect as root`,
        });
      }
      return { stdout: res.stdout, stderr: res.stderr, code: res.code };
    } catch (err) {
      if (err instanceof TransportError) throw err;
      throw new TransportError(this.host, 'closed', `connection lost: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.ssh.dispose();
  }
}

function classifyConnectError(host: string, conn: Connection, timeoutS: number, err: unknown): TransportError {
  const e = err as NodeJS.ErrnoException & { level?: string };
  const msg = e?.message ?? String(err);
  const target = `${conn.user}@${conn.host}:${conn.port}`;
  if (e?.code === 'ECONNREFUSED') return new TransportError(host, 'refused', `connection refused by ${target}`, { hint: 'is sshd running on that port?', cause: err });
  if (e?.code === 'EHOSTUNREACH' || e?.code === 'ENETUNREACH' || e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN')
    return new TransportError(host, 'unreachable', `${target} is unreachable (${e.code})`, { cause: err });
  if (e?.code === 'ETIMEDOUT' || /timed out/i.test(msg)) return new TransportError(host, 'timeout', `no SSH answer from ${target} within ${timeoutS}s`, { hint: 'check the address and any firewall; raise connect_timeout for slow links', cause: err });
  if (e?.level === 'client-authentication' || /authentication methods failed/i.test(msg))
    return new TransportError(host, 'auth', `authentication failed for ${target}`, { hint: 'check user and key_file (ansible_user, ansible_ssh_private_key_file)', cause: err });
  return new TransportError(host, 'closed', `cannot connect to ${target}: ${msg}`, { cause: err });
}
