/**
 * Bastion connections, shared: one SSH connection per bastion hop, however many hosts behind it
 * a run reaches, each host getting its own forwarded channel (direct-tcpip, what `ssh -J` uses).
 *
 * Lifetime: a bastion connection lives while a host connection (or a further hop) uses it, and
 * `lingerMs` after the last one closes, so that hosts connected one after another (--forks 1, a
 * commit-confirm reconnect) reuse it too. `close()` ends every connection at once: a run that owns
 * a pool closes it at its end; the process-wide `sharedJumpPool` needs no closing (its
 * connections end `lingerMs` after their last user).
 *
 * Failure: every host behind a bastion that cannot be reached, or whose host key is wrong, gets a
 * TransportError of its own that names the bastion. A failed bastion is remembered for
 * `failureTtlMs`, so the hosts behind it fail at once instead of each waiting out a timeout.
 */
import type { Duplex } from 'node:stream';
import type { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import { TransportError } from '../errors.js';
import { connectEndpoint, type EndpointConnectOptions } from './connect-endpoint.js';
import { hostPort, type SshEndpoint } from './route.js';

export interface JumpPoolOptions {
  lingerMs?: number;
  failureTtlMs?: number;
}

/** A channel to the target through the bastions; `release` when the target's connection is closed. */
export interface JumpLease {
  stream: Duplex;
  release(): void;
}

interface Hop {
  key: string;
  endpoint: SshEndpoint;
  parent?: Hop;
  ready: Promise<NodeSSH>;
  ssh?: NodeSSH;
  users: number;
  failedAt?: number;
  linger?: NodeJS.Timeout;
  closed: boolean;
  parentReleased?: boolean;
}

function hopKey(ep: SshEndpoint, parent?: Hop): string {
  const own = `${ep.user}@${ep.host}:${ep.port} known:${ep.knownHostsFile} keys:${ep.identityFiles.map((i) => i.file).join(',')}`;
  return parent ? `${parent.key} > ${own}` : own;
}

/** A TransportError of `host` from a bastion's failure (whose own host is the bastion's label). */
function behindBastion(host: string, err: unknown): TransportError {
  if (err instanceof TransportError) {
    return new TransportError(host, err.reason, err.message, {
      hint: `${err.hint ? `${err.hint}; ` : ''}every host behind this bastion is unreachable until it is fixed`,
      cause: err,
    });
  }
  return new TransportError(host, 'closed', `bastion: ${(err as Error).message}`, { cause: err });
}

export class JumpPool {
  private readonly hops = new Map<string, Hop>();
  private readonly lingerMs: number;
  private readonly failureTtlMs: number;

  constructor(opts: JumpPoolOptions = {}) {
    this.lingerMs = opts.lingerMs ?? 250;
    this.failureTtlMs = opts.failureTtlMs ?? 30_000;
  }

  /** Bastion connections open now (for tests and diagnostics). */
  get openConnections(): number {
    return [...this.hops.values()].filter((h) => h.ssh && !h.closed).length;
  }

  /**
   * A channel to `target` through `jumps` (in order), for the inventory host `host`.
   * @throws TransportError of `host` naming the bastion that failed.
   */
  async open(host: string, jumps: SshEndpoint[], target: SshEndpoint, opts: EndpointConnectOptions): Promise<JumpLease> {
    let last: Hop | undefined;
    try {
      for (const ep of jumps) last = this.acquire(ep, last, opts);
      const ssh = await last!.ready;
      const stream = await this.forward(last!, ssh, target, opts.connectTimeoutS);
      const hop = last!;
      let released = false;
      return {
        stream,
        release: () => {
          if (released) return;
          released = true;
          stream.destroy();
          this.release(hop);
        },
      };
    } catch (err) {
      if (last) this.release(last);
      throw err instanceof TransportError && err.host === host ? err : behindBastion(host, err);
    }
  }

  /** Ends every bastion connection now. */
  async close(): Promise<void> {
    const all = [...this.hops.values()];
    this.hops.clear();
    for (const hop of all) this.end(hop);
  }

  /** The hop for `ep` behind `parent`, connecting it if need be; counts one user (and holds its parent). */
  private acquire(ep: SshEndpoint, parent: Hop | undefined, opts: EndpointConnectOptions): Hop {
    const key = hopKey(ep, parent);
    let hop = this.hops.get(key);
    // A failed hop stays while its failure is fresh (closed or not): it answers with that failure.
    const stale = hop && (hop.failedAt !== undefined ? Date.now() - hop.failedAt > this.failureTtlMs : hop.closed);
    if (stale) {
      this.hops.delete(key);
      hop = undefined;
    }
    if (hop) {
      // The parent was acquired by our caller for this hop; the hop already holds its own.
      if (parent) this.release(parent);
    } else {
      hop = { key, endpoint: ep, parent, users: 0, closed: false, ready: undefined as unknown as Promise<NodeSSH> };
      hop.ready = this.connectHop(hop, opts);
      hop.ready.catch(() => undefined);
      this.hops.set(key, hop);
    }
    hop.users++;
    clearTimeout(hop.linger);
    hop.linger = undefined;
    return hop;
  }

  private async connectHop(hop: Hop, opts: EndpointConnectOptions): Promise<NodeSSH> {
    try {
      let sock: Duplex | undefined;
      if (hop.parent) sock = await this.forward(hop.parent, await hop.parent.ready, hop.endpoint, opts.connectTimeoutS);
      const ssh = await connectEndpoint(hop.endpoint, opts, sock);
      hop.ssh = ssh;
      const onGone = () => {
        hop.closed = true;
        if (this.hops.get(hop.key) === hop) this.hops.delete(hop.key);
      };
      ssh.connection?.on('close', onGone);
      if (hop.closed) ssh.dispose();
      return ssh;
    } catch (err) {
      hop.failedAt = Date.now();
      throw err;
    }
  }

  /** A direct-tcpip channel from `via` to `to`, within the connect timeout. */
  private forward(via: Hop, ssh: NodeSSH, to: SshEndpoint, timeoutS: number): Promise<ClientChannel> {
    const bastion = via.endpoint;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new TransportError(bastion.label, 'timeout', `${hostPort(to.host, to.port)} did not answer through it within ${timeoutS}s`, { hint: 'check that the host is up and that the bastion can reach it' }));
      }, timeoutS * 1000);
      try {
        ssh.connection!.forwardOut('127.0.0.1', 0, to.host, to.port, (err, channel) => {
          clearTimeout(timer);
          if (timedOut) channel?.close(); // too late: the host was already reported
          else if (err) {
            reject(new TransportError(bastion.label, 'unreachable', `could not open a connection to ${hostPort(to.host, to.port)} (${err.message.replace(/:\s*$/, '')})`, { hint: 'check that the host is up, that the bastion can reach it and allows TCP forwarding (AllowTcpForwarding)' }));
          } else resolve(channel);
        });
      } catch (err) {
        clearTimeout(timer);
        reject(new TransportError(bastion.label, 'closed', `the connection was lost: ${(err as Error).message}`, { cause: err }));
      }
    });
  }

  private release(hop: Hop): void {
    hop.users = Math.max(0, hop.users - 1);
    if (hop.users > 0) return;
    if (hop.closed) return this.end(hop);
    if (hop.linger) return;
    hop.linger = setTimeout(() => {
      hop.linger = undefined;
      if (hop.users > 0) return;
      if (hop.failedAt === undefined && this.hops.get(hop.key) === hop) this.hops.delete(hop.key);
      this.end(hop);
    }, this.lingerMs);
  }

  /** Closes one hop's connection and lets go of its parent (once). */
  private end(hop: Hop): void {
    clearTimeout(hop.linger);
    hop.linger = undefined;
    hop.closed = true;
    hop.ssh?.dispose();
    if (hop.parent && !hop.parentReleased) {
      hop.parentReleased = true;
      this.release(hop.parent);
    }
  }
}

/** The pool used when a caller brings none: one per process, connections end when unused. */
export const sharedJumpPool = new JumpPool();
