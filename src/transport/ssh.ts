/**
 * SSH transport on node-ssh: one connection per host, every script sent on stdin to `sh -s`
 * (through `sudo -n` when the host has become). Where the connection goes (address, user, keys,
 * bastions) comes from the inventory and ~/.ssh/config (route.ts); host keys are verified against
 * known_hosts before any authentication happens, for the host and for every bastion in front of
 * it (host-key-check.ts); a mismatch always stops the host.
 */
import { NodeSSH } from 'node-ssh';
import type { Shell } from '../shell/sh.js';
import { TransportError } from '../errors.js';
import type { Connection } from '../inventory/index.js';
import { connectEndpoint, type EndpointConnectOptions } from './connect-endpoint.js';
import { JumpPool, sharedJumpPool, type JumpLease } from './jump-pool.js';
import { resolveRoute, type RouteOptions } from './route.js';
import type { RunOptions, RunResult, Transport } from './types.js';

export { JumpPool } from './jump-pool.js';

export interface SshOptions extends RouteOptions {
  /** Record unknown host keys instead of refusing them (first contact). Mismatches still fail. */
  acceptNewHostKeys?: boolean;
  /** Overrides the inventory's connect timeout (seconds). */
  connectTimeout?: number;
  /** Ask on the terminal for the passphrase of a protected key (--ask-key-passphrase). */
  askKeyPassphrase?: boolean;
  /**
   * The run's bastion connections (one per hop, shared by the hosts behind it). Default: the
   * process-wide pool, whose connections end shortly after their last host closes.
   */
  jumps?: JumpPool;
}

export class SshTransport implements Transport {
  private ssh = new NodeSSH();
  private lease: JumpLease | undefined;
  private trips = 0;
  /** The user logged in as (the inventory's, or the ssh config's User). */
  private user: string;
  private constructor(
    readonly host: string,
    private readonly conn: Connection,
  ) {
    this.user = conn.user;
  }

  get roundTrips(): number {
    return this.trips;
  }

  /**
   * Connects to the inventory host `name` (through its bastions, if any).
   * @throws TransportError (reason: host-key-*, auth, refused, unreachable, timeout, closed); for a
   *   host behind a bastion that failed, the message names the bastion.
   */
  static async connect(name: string, conn: Connection, opts: SshOptions = {}): Promise<SshTransport> {
    const t = new SshTransport(name, conn);
    await t.open(opts);
    return t;
  }

  private async open(opts: SshOptions): Promise<void> {
    const route = resolveRoute(this.host, this.conn, opts);
    this.user = route.target.user;
    const connectOpts: EndpointConnectOptions = {
      acceptNewHostKeys: opts.acceptNewHostKeys,
      askKeyPassphrase: opts.askKeyPassphrase,
      connectTimeoutS: opts.connectTimeout ?? this.conn.connectTimeout,
    };
    if (route.jumps.length) this.lease = await (opts.jumps ?? sharedJumpPool).open(this.host, route.jumps, route.target, connectOpts);
    try {
      this.ssh = await connectEndpoint(route.target, connectOpts, this.lease?.stream);
    } catch (err) {
      this.lease?.release();
      throw err;
    }
  }

  async run(script: Shell, opts: RunOptions = {}): Promise<RunResult> {
    this.trips++;
    const command = this.conn.become && this.user !== 'root' ? 'sudo -n -H /bin/sh -s' : '/bin/sh -s';
    try {
      const res = await this.ssh.execCommand(command, {
        stdin: script.text,
        noTrim: true,
        onStdout: opts.onStdout ? (chunk) => opts.onStdout!(chunk.toString('utf8')) : undefined,
      });
      if (this.conn.become && res.code !== 0 && /^sudo: /m.test(res.stderr)) {
        throw new TransportError(this.host, 'sudo', `sudo -n failed for ${this.user}: ${res.stderr.trim().split('\n')[0]}`, {
          hint: `give ${this.user} passwordless sudo on the host (NOPASSWD), or connect as root`,
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
    this.lease?.release();
    this.lease = undefined;
  }
}
