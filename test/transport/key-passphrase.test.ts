/**
 * A passphrase-protected default key (security review item 14), against a fake SSH server on
 * 127.0.0.1 and a real ssh-agent: the agent is used when it holds keys; --ask-key-passphrase asks
 * on the terminal (run under `script`, a real pty); otherwise the error names both ways.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/errors.js';
import { repoRoot } from '../../src/lab/state.js';
import { sh } from '../../src/shell/sh.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { makeKeyPair, startFakeSshServer, type FakeSshServer, type KeyPair } from '../support/fake-ssh-server.js';
import { clientSide, type ClientSide } from './helpers.js';

const PASSPHRASE = 'correct horse battery';
let client: ClientSide;
let locked: KeyPair;
let server: FakeSshServer;
let agent: ChildProcess | undefined;

/** A real ssh-agent on a socket in the test's dir, holding `keys`. Stopped by afterEach (by its pid). */
async function startAgent(keys: string[]): Promise<string> {
  const sock = path.join(client.dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
  for (const file of keys) {
    const r = spawnSync('ssh-add', [file], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }
  return sock;
}

beforeEach(async () => {
  client = clientSide();
  locked = makeKeyPair({ passphrase: PASSPHRASE, comment: 'locked' });
  mkdirSync(path.join(client.dir, '.ssh'), { mode: 0o700 });
  writeFileSync(path.join(client.dir, '.ssh', 'id_ed25519'), locked.private, { mode: 0o600 });
  server = await startFakeSshServer({ authorizedKeys: [client.key.base64, locked.base64] });
  client.writeKnownHosts([server.knownHostsLine()]);
});
afterEach(async () => {
  if (agent?.pid) process.kill(agent.pid);
  agent = undefined;
  await server.stop();
  client.cleanup();
});

/** The inventory's connection with no key_file: the default key is used. */
const defaultKeyConn = () => client.conn(server.port, { keyFile: undefined });

describe('a passphrase-protected default key', () => {
  it('with ssh-agent holding a usable key: logs in with the agent', async () => {
    process.env.SSH_AUTH_SOCK = await startAgent([client.keyFile]);
    const t = await SshTransport.connect('gw1', defaultKeyConn(), { sshConfigFile: false });
    await t.run(sh`true`);
    await t.close();
    expect(server.logins().filter((l) => l.ok)).toEqual([{ kind: 'login', user: 'root', method: 'publickey', ok: true, key: client.key.base64 }]);
    expect(server.execs()).toHaveLength(1);
  });

  it('without an agent: fails before connecting, and says both ways', async () => {
    const err = await SshTransport.connect('gw1', defaultKeyConn(), { sshConfigFile: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    const e = err as TransportError;
    expect(e.reason).toBe('auth');
    expect(e.message).toBe(`gw1: the key ${path.join(client.dir, '.ssh', 'id_ed25519')} is protected by a passphrase, and no ssh-agent is available (SSH_AUTH_SOCK is not set)`);
    expect(e.hint).toMatch(/ssh-add .*id_ed25519/);
    expect(e.hint).toMatch(/--ask-key-passphrase/);
    expect(server.connections()).toBe(0);
  });

  it('with an agent that holds no keys: the same, naming the empty agent', async () => {
    process.env.SSH_AUTH_SOCK = await startAgent([]);
    const err = (await SshTransport.connect('gw1', defaultKeyConn(), { sshConfigFile: false }).catch((e: unknown) => e)) as TransportError;
    expect(err.message).toMatch(/is protected by a passphrase, and ssh-agent \(SSH_AUTH_SOCK=.*agent\.sock\) holds no keys/);
    expect(err.hint).toMatch(/--ask-key-passphrase/);
  });
});

describe('--ask-key-passphrase', () => {
  function inventory(): string {
    const ovpn = path.join(client.dir, 'provider.ovpn');
    writeFileSync(ovpn, 'client\n');
    const file = path.join(client.dir, 'inv.yaml');
    writeFileSync(
      file,
      `all:\n  hosts:\n    gw1:\n      host: 127.0.0.1\n      port: ${server.port}\n      known_hosts_file: ${client.knownHostsFile}\n      wan_interface: ens5\n      wan_ip: 10.0.1.191\n      vpn_server_ip: 198.51.100.20\n      openvpn_config_file: ${ovpn}\n`,
    );
    return file;
  }
  const cli = (inv: string) => [process.execPath, path.join(repoRoot(), 'bin', 'fleet.js'), 'deploy', inv, '--check', '--json', '-T', '5', '--ask-key-passphrase'];

  it('asks on the terminal, without echo, once, and logs in with the unlocked key', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: client.dir, CI: 'true', NO_COLOR: '1' };
    delete env.SSH_AUTH_SOCK;
    // `script` gives fleet a real pseudo-terminal; what we write to its stdin is typed on it.
    const command = cli(inventory()).map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdout.on('data', (d: Buffer) => {
      const before = screen;
      screen += d.toString();
      if (!/Passphrase for/.test(before) && /Passphrase for .*id_ed25519: /.test(screen)) child.stdin.write(`${PASSPHRASE}\r`);
    });
    const timer = setTimeout(() => child.kill(), 30_000);
    await exited;
    clearTimeout(timer);
    expect(screen.match(/Passphrase for/g)).toHaveLength(1);
    expect(screen).not.toContain(PASSPHRASE);
    expect(server.logins().filter((l) => l.ok)).toEqual([{ kind: 'login', user: 'root', method: 'publickey', ok: true, key: locked.base64 }]);
    expect(server.execs()).toHaveLength(1);
  });

  it('without a terminal it says so, and nothing connects', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: client.dir, CI: 'true', NO_COLOR: '1' };
    delete env.SSH_AUTH_SOCK;
    // detached: a new session, so fleet has no controlling terminal even when the tests do.
    const [bin, ...args] = cli(inventory());
    const child = spawn(bin!, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    const host = JSON.parse(out).hosts[0];
    expect(host.status).toBe('unreachable');
    expect(host.error.message).toMatch(/--ask-key-passphrase needs a terminal/);
    expect(server.connections()).toBe(0);
  });
});
