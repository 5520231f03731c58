/**
 * Host-key trust on first contact (security review items 1-3), against fake SSH servers on
 * 127.0.0.1: an impostor is refused before any login, never receives the script, and its key is
 * never appended to known_hosts.
 */
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/errors.js';
import { sh } from '../../src/shell/sh.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { makeKeyPair, startFakeSshServer, type FakeSshServer } from '../support/fake-ssh-server.js';
import { clientSide, type ClientSide } from './helpers.js';

let client: ClientSide;
const servers: FakeSshServer[] = [];

async function server(hostKey = makeKeyPair()): Promise<FakeSshServer> {
  const s = await startFakeSshServer({ hostKey, authorizedKeys: [client.key.base64] });
  servers.push(s);
  return s;
}

async function refusal(p: Promise<unknown>): Promise<TransportError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  return err as TransportError;
}

/** The script reached the server: it connected, logged in, and ran what we sent. */
async function runsScript(t: SshTransport, s: FakeSshServer): Promise<void> {
  await t.run(sh`echo deploy`);
  await t.close();
  expect(s.execs().map((e) => e.stdin)).toEqual(['echo deploy']);
}

function expectUntouched(s: FakeSshServer, knownBefore: string): void {
  expect(s.logins()).toEqual([]);
  expect(s.execs()).toEqual([]);
  expect(client.knownHosts()).toBe(knownBefore);
}

beforeEach(() => {
  client = clientSide();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  client.cleanup();
});

describe('a host covered by @cert-authority (item 1)', () => {
  it('is known: refused with a clear message even with --accept-new-host-keys, and no key is recorded', async () => {
    const impostor = await server();
    const ca = makeKeyPair({ comment: 'host-ca' });
    client.writeKnownHosts([`@cert-authority [127.0.0.1]:* ${ca.type} ${ca.base64}`]);
    const before = client.knownHosts();
    const err = await refusal(SshTransport.connect('gw1', client.conn(impostor.port), { acceptNewHostKeys: true, sshConfigFile: false }));
    expect(err.reason).toBe('host-key-unknown');
    expect(err.message).toMatch(/@cert-authority/);
    expect(err.message).toMatch(/cannot verify host certificates/);
    expect(err.message).toContain(`${client.knownHostsFile}:1`);
    expectUntouched(impostor, before);
  });

  it('a plain key on file beside the CA line still works', async () => {
    const s = await server();
    const ca = makeKeyPair();
    client.writeKnownHosts([`@cert-authority * ${ca.type} ${ca.base64}`, s.knownHostsLine()]);
    await runsScript(await SshTransport.connect('gw1', client.conn(s.port), { sshConfigFile: false }), s);
  });
});

describe('host names are compared as OpenSSH compares them (item 2)', () => {
  it('host LOCALHOST is [localhost]:port: a different key there is a mismatch, not a new host', async () => {
    const impostor = await server();
    const recorded = makeKeyPair();
    client.writeKnownHosts([`[localhost]:${impostor.port} ${recorded.type} ${recorded.base64}`]);
    const before = client.knownHosts();
    const err = await refusal(SshTransport.connect('gw1', client.conn(impostor.port, { host: 'LOCALHOST' }), { acceptNewHostKeys: true, sshConfigFile: false }));
    expect(err.reason).toBe('host-key-mismatch');
    expect(err.message).toMatch(/HOST KEY MISMATCH/);
    expectUntouched(impostor, before);
  });

  it('a hashed entry is of the lowercased name (ssh-keygen -H), and a trailing dot names the same host', async () => {
    const impostor = await server();
    const recorded = makeKeyPair();
    const salt = Buffer.from('fleet-test-salt-0001');
    const mac = createHmac('sha1', salt).update(`[localhost]:${impostor.port}`).digest('base64');
    client.writeKnownHosts([`|1|${salt.toString('base64')}|${mac} ${recorded.type} ${recorded.base64}`]);
    const before = client.knownHosts();
    for (const host of ['LocalHost', 'localhost.']) {
      const err = await refusal(SshTransport.connect('gw1', client.conn(impostor.port, { host }), { acceptNewHostKeys: true, sshConfigFile: false }));
      expect(err.message, host).toMatch(/HOST KEY MISMATCH/);
    }
    expectUntouched(impostor, before);
  });

  it('the right key under the lowercase name lets LocalHost. in, and first contact records the normalised name', async () => {
    const s = await server();
    client.writeKnownHosts([s.knownHostsLine(`[localhost]:${s.port}`)]);
    await runsScript(await SshTransport.connect('gw1', client.conn(s.port, { host: 'LocalHost.' }), { sshConfigFile: false }), s);

    const fresh = await server();
    await runsScript(await SshTransport.connect('gw2', client.conn(fresh.port, { host: 'LOCALHOST' }), { acceptNewHostKeys: true, sshConfigFile: false }), fresh);
    expect(client.knownHosts()).toContain(`[localhost]:${fresh.port} ${fresh.hostKey.type} ${fresh.hostKey.base64}\n`);
  });
});

describe('@revoked (item 3)', () => {
  it('`@revoked *` stops only the host that presents that key, and says "revoked"', async () => {
    const bad = makeKeyPair({ comment: 'leaked' });
    const compromised = await server(bad);
    const fresh = await server();
    client.writeKnownHosts([`@revoked * ${bad.type} ${bad.base64}`]);

    const err = await refusal(SshTransport.connect('gw1', client.conn(compromised.port), { acceptNewHostKeys: true, sshConfigFile: false }));
    expect(err.reason).toBe('host-key-mismatch');
    expect(err.message).toMatch(/revoked/i);
    expect(err.message).toContain(`${client.knownHostsFile}:1`);
    expect(compromised.logins()).toEqual([]);
    expect(compromised.execs()).toEqual([]);
    expect(client.knownHosts()).not.toContain(`[127.0.0.1]:${compromised.port}`);

    // Every other host is still new: first contact works and records its key.
    await runsScript(await SshTransport.connect('gw2', client.conn(fresh.port), { acceptNewHostKeys: true, sshConfigFile: false }), fresh);
    expect(client.knownHosts()).toContain(fresh.knownHostsLine());
  });

  it('a revoked key is refused even where a plain line for the same host lists it', async () => {
    const key = makeKeyPair();
    const s = await server(key);
    client.writeKnownHosts([s.knownHostsLine(), `@revoked [127.0.0.1]:${s.port} ${key.type} ${key.base64}`]);
    const err = await refusal(SshTransport.connect('gw1', client.conn(s.port), { sshConfigFile: false }));
    expect(err.message).toMatch(/REVOKED HOST KEY/);
    expect(s.execs()).toEqual([]);
  });
});

describe('the ordinary cases stay as they were', () => {
  it('an unknown host without --accept-new-host-keys is refused before login', async () => {
    const s = await server();
    const err = await refusal(SshTransport.connect('gw1', client.conn(s.port), { sshConfigFile: false }));
    expect(err.reason).toBe('host-key-unknown');
    expect(err.message).toMatch(/no host key for \[127\.0\.0\.1\]:\d+/);
    expectUntouched(s, '');
  });

  it('a changed key is a mismatch, with --accept-new-host-keys too', async () => {
    const s = await server();
    const old = makeKeyPair();
    client.writeKnownHosts([`[127.0.0.1]:${s.port} ${old.type} ${old.base64}`]);
    const err = await refusal(SshTransport.connect('gw1', client.conn(s.port), { acceptNewHostKeys: true, sshConfigFile: false }));
    expect(err.message).toMatch(/HOST KEY MISMATCH for 127\.0\.0\.1:\d+/);
    expectUntouched(s, client.knownHosts());
  });
});
