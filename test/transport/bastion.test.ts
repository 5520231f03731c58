/**
 * Bastions (ProxyJump), against fake SSH servers on 127.0.0.1: a fake bastion forwards
 * direct-tcpip channels to fake gateways that the controller knows only by names it cannot
 * resolve (gw1.internal), so a script that arrives went through the bastion.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/errors.js';
import { sh } from '../../src/shell/sh.js';
import { sharedJumpPool } from '../../src/transport/jump-pool.js';
import { JumpPool, SshTransport } from '../../src/transport/ssh.js';
import { makeKeyPair, startFakeSshServer, type FakeSshServer, type FakeSshServerOptions } from '../support/fake-ssh-server.js';
import { clientSide, type ClientSide } from './helpers.js';

let client: ClientSide;
let pool: JumpPool;
const servers: FakeSshServer[] = [];

async function server(opts: Partial<FakeSshServerOptions> = {}): Promise<FakeSshServer> {
  const s = await startFakeSshServer({ authorizedKeys: [client.key.base64], ...opts });
  servers.push(s);
  return s;
}

/** Two gateways behind one bastion, every key on file. */
async function site() {
  const gw1 = await server();
  const gw2 = await server();
  const bastion = await server({ forwards: { 'gw1.internal:22': gw1.port, 'gw2.internal:22': gw2.port } });
  client.writeKnownHosts([bastion.knownHostsLine(), gw1.knownHostsLine('gw1.internal'), gw2.knownHostsLine('gw2.internal')]);
  return { gw1, gw2, bastion, jump: `root@127.0.0.1:${bastion.port}` };
}

async function settle<T>(p: Promise<T>): Promise<T | TransportError> {
  return p.catch((e: unknown) => {
    expect(e).toBeInstanceOf(TransportError);
    return e as TransportError;
  });
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

beforeEach(() => {
  client = clientSide();
  pool = new JumpPool();
});
afterEach(async () => {
  await pool.close();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  client.cleanup();
});

describe('through a bastion', () => {
  it('reaches every host behind it over ONE bastion connection, each host on its own channel', async () => {
    const { gw1, gw2, bastion, jump } = await site();
    const opts = { jumps: pool, sshConfigFile: false as const };
    const [t1, t2] = await Promise.all([
      SshTransport.connect('gw1', client.conn(22, { host: 'gw1.internal', proxyJump: [jump] }), opts),
      SshTransport.connect('gw2', client.conn(22, { host: 'gw2.internal', proxyJump: [jump] }), opts),
    ]);
    await t1.run(sh`echo on gw1`);
    await t2.run(sh`echo on gw2`);
    await t1.close();
    // A host connected after another closed (--forks 1, a confirm) reuses it too.
    const again = await SshTransport.connect('gw1', client.conn(22, { host: 'gw1.internal', proxyJump: [jump] }), opts);
    await again.run(sh`echo again`);
    await Promise.all([t2.close(), again.close()]);

    expect(bastion.connections()).toBe(1);
    expect(bastion.logins()).toEqual([{ kind: 'login', user: 'root', method: 'publickey', ok: true, key: client.key.base64 }]);
    expect(bastion.forwards().map((f) => `${f.to} ${f.ok}`)).toEqual(['gw1.internal:22 true', 'gw2.internal:22 true', 'gw1.internal:22 true']);
    expect(bastion.execs()).toEqual([]);
    expect(gw1.execs().map((e) => e.stdin)).toEqual(['echo on gw1', 'echo again']);
    expect(gw2.execs().map((e) => e.stdin)).toEqual(['echo on gw2']);
    await pool.close();
    expect(pool.openConnections).toBe(0);
  });

  it('several hops, in order, one connection each', async () => {
    const gw1 = await server();
    const inner = await server({ forwards: { 'gw1.internal:22': gw1.port } });
    const outer = await server({ forwards: { 'inner.internal:22': inner.port } });
    client.writeKnownHosts([outer.knownHostsLine(), inner.knownHostsLine('inner.internal'), gw1.knownHostsLine('gw1.internal')]);
    const t = await SshTransport.connect('gw1', client.conn(22, { host: 'gw1.internal', proxyJump: [`127.0.0.1:${outer.port}`, 'root@inner.internal'] }), { jumps: pool, sshConfigFile: false });
    await t.run(sh`echo two hops`);
    await t.close();
    expect(gw1.execs().map((e) => e.stdin)).toEqual(['echo two hops']);
    expect(outer.forwards().map((f) => f.to)).toEqual(['inner.internal:22']);
    expect(inner.forwards().map((f) => f.to)).toEqual(['gw1.internal:22']);
    expect([outer.connections(), inner.connections()]).toEqual([1, 1]);
  });

  it('through an ~/.ssh/config alias: Host gw1 with HostName and ProxyJump, the bastion an alias too', async () => {
    const { gw1, bastion } = await site();
    const config = path.join(client.dir, '.ssh', 'config');
    mkdirSync(path.dirname(config), { recursive: true });
    writeFileSync(config, `Host gw*\n  HostName %h.internal\n  ProxyJump jump\nHost jump\n  HostName 127.0.0.1\n  Port ${bastion.port}\n  User root\n`);
    const t = await SshTransport.connect('gw1', client.conn(22, { host: 'gw1', alias: 'gw1' }), { jumps: pool });
    await t.run(sh`echo via config`);
    await t.close();
    expect(gw1.execs().map((e) => e.stdin)).toEqual(['echo via config']);
    expect(bastion.forwards().map((f) => f.to)).toEqual(['gw1.internal:22']);
  });

  it("without a pool of the caller's, the shared one ends the bastion connection soon after its last host", async () => {
    const { gw1, bastion, jump } = await site();
    const t = await SshTransport.connect('gw1', client.conn(22, { host: 'gw1.internal', proxyJump: [jump] }), { sshConfigFile: false });
    await t.run(sh`echo shared`);
    expect(sharedJumpPool.openConnections).toBe(1);
    await t.close();
    await new Promise((r) => setTimeout(r, 600));
    expect(sharedJumpPool.openConnections).toBe(0);
    expect(gw1.execs()).toHaveLength(1);
    expect(bastion.connections()).toBe(1);
  });

  it('first contact records the bastion and the host, each under its own name', async () => {
    const gw1 = await server();
    const bastion = await server({ forwards: { 'gw1.internal:22': gw1.port } });
    const t = await SshTransport.connect('gw1', client.conn(22, { host: 'gw1.internal', proxyJump: [`127.0.0.1:${bastion.port}`] }), { jumps: pool, acceptNewHostKeys: true, sshConfigFile: false });
    await t.close();
    expect(client.knownHosts()).toBe(`${bastion.knownHostsLine()}\n${gw1.knownHostsLine('gw1.internal')}\n`);
  });
});

describe('when the bastion fails', () => {
  it('an unreachable bastion makes every host behind it unreachable, each error naming the bastion', async () => {
    const port = await closedPort();
    const results = await Promise.all(
      ['gw1', 'gw2'].map((name) => settle(SshTransport.connect(name, client.conn(22, { host: `${name}.internal`, proxyJump: [`ops@127.0.0.1:${port}`] }), { jumps: pool, sshConfigFile: false }))),
    );
    for (const [i, r] of results.entries()) {
      const err = r as TransportError;
      expect(err.host).toBe(`gw${i + 1}`);
      expect(err.reason).toBe('refused');
      expect(err.message).toBe(`gw${i + 1}: bastion ops@127.0.0.1:${port}: connection refused by ops@127.0.0.1:${port}`);
      expect(err.hint).toMatch(/every host behind this bastion is unreachable/);
    }
  });

  it('a wrong bastion host key stops the hosts behind it with HOST KEY MISMATCH naming the bastion; nothing reaches them', async () => {
    const { gw1, gw2, bastion, jump } = await site();
    const other = makeKeyPair();
    client.writeKnownHosts([`[127.0.0.1]:${bastion.port} ${other.type} ${other.base64}`, gw1.knownHostsLine('gw1.internal'), gw2.knownHostsLine('gw2.internal')]);
    const before = client.knownHosts();
    const results = await Promise.all(
      ['gw1', 'gw2'].map((name) => settle(SshTransport.connect(name, client.conn(22, { host: `${name}.internal`, proxyJump: [jump] }), { jumps: pool, acceptNewHostKeys: true, sshConfigFile: false }))),
    );
    for (const r of results) {
      const err = r as TransportError;
      expect(err.reason).toBe('host-key-mismatch');
      expect(err.message).toMatch(new RegExp(`^gw\\d: bastion root@127\\.0\\.0\\.1:${bastion.port}: HOST KEY MISMATCH for 127\\.0\\.0\\.1:${bastion.port}`));
    }
    // A host started later in the run gets the same answer without another try at the bastion.
    const later = (await settle(SshTransport.connect('gw1', client.conn(22, { host: 'gw1.internal', proxyJump: [jump] }), { jumps: pool, sshConfigFile: false }))) as TransportError;
    expect(later.message).toMatch(/HOST KEY MISMATCH/);
    expect(bastion.connections()).toBe(1);
    expect(bastion.logins()).toEqual([]);
    expect(bastion.forwards()).toEqual([]);
    expect([gw1.connections(), gw2.connections()]).toEqual([0, 0]);
    expect(client.knownHosts()).toBe(before);
  });

  it("a host's own wrong key behind a good bastion: that host stops, named, before any login", async () => {
    const { gw1, jump } = await site();
    const other = makeKeyPair();
    client.writeKnownHosts([servers[2]!.knownHostsLine(), `gw1.internal ${other.type} ${other.base64}`]);
    const err = (await settle(SshTransport.connect('gw1', client.conn(22, { host: 'gw1.internal', proxyJump: [jump] }), { jumps: pool, sshConfigFile: false }))) as TransportError;
    expect(err.message).toMatch(/^gw1: HOST KEY MISMATCH for gw1\.internal:22/);
    expect(gw1.connections()).toBe(1);
    expect(gw1.logins()).toEqual([]);
    expect(gw1.execs()).toEqual([]);
  });

  it('a host the bastion cannot reach is unreachable, with the bastion and the host named', async () => {
    const { jump, bastion } = await site();
    const err = (await settle(SshTransport.connect('gw3', client.conn(22, { host: 'gw3.internal', proxyJump: [jump] }), { jumps: pool, sshConfigFile: false }))) as TransportError;
    expect(err.reason).toBe('unreachable');
    expect(err.message).toBe(`gw3: bastion root@127.0.0.1:${bastion.port}: could not open a connection to gw3.internal:22 ((SSH) Channel open failure)`);
  });
});
