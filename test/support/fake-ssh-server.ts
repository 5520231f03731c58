/**
 * A small SSH server for tests, on 127.0.0.1 only: it presents a chosen host key, accepts the
 * public keys it is given, logs every connection, login attempt, command (with the script it got on
 * stdin) and forwarding request, and runs nothing: a command gets the answer the test chose
 * (default: no output, exit 0). As a bastion it forwards direct-tcpip channels only to the names it
 * is given, each mapped to a port on 127.0.0.1, so no test traffic leaves the loopback.
 *
 * Every test that starts one stops it (`stop()` closes the listener and every connection).
 */
import net from 'node:net';
import ssh2, { type Connection, type ParsedKey } from 'ssh2';

const { Server, utils } = ssh2;

export interface KeyPair {
  /** OpenSSH private key text. */
  private: string;
  /** `ssh-ed25519 AAAA... comment` */
  public: string;
  type: string;
  /** base64 of the public key blob, as in known_hosts. */
  base64: string;
}

export function makeKeyPair(opts: { passphrase?: string; comment?: string } = {}): KeyPair {
  const generate = () =>
    utils.generateKeyPairSync('ed25519', {
      comment: opts.comment ?? 'fleet-test',
      ...(opts.passphrase ? { passphrase: opts.passphrase, cipher: 'aes256-ctr', rounds: 4 } : {}),
    });
  // ssh2 1.17 writes a malformed ed25519 key about once in 200 (its own parser rejects it, and a
  // Server given it throws): generate until the key reads back.
  let pair = generate();
  for (let i = 0; i < 20 && utils.parseKey(pair.private, opts.passphrase) instanceof Error; i++) pair = generate();
  const [type, base64] = pair.public.split(' ') as [string, string];
  return { private: pair.private, public: pair.public, type, base64 };
}

export type FakeSshEvent =
  | { kind: 'connect'; from: string }
  | { kind: 'login'; user: string; method: string; ok: boolean; key?: string }
  | { kind: 'exec'; user: string; command: string; stdin: string }
  | { kind: 'forward'; user: string; to: string; ok: boolean };

export interface Answer {
  stdout?: string;
  stderr?: string;
  code?: number;
}

export interface FakeSshServerOptions {
  hostKey?: KeyPair;
  /** Public keys (base64 blobs) that may log in, as any user. */
  authorizedKeys: string[];
  /** Forwarding targets this server (as a bastion) may open: `name:port` -> a port on 127.0.0.1. */
  forwards?: Record<string, number>;
  answer?: (command: string, stdin: string) => Answer;
}

export interface FakeSshServer {
  port: number;
  hostKey: KeyPair;
  log: FakeSshEvent[];
  /** The known_hosts line for this server under `name` (default `[127.0.0.1]:<port>`). */
  knownHostsLine(name?: string): string;
  logins(): Extract<FakeSshEvent, { kind: 'login' }>[];
  execs(): Extract<FakeSshEvent, { kind: 'exec' }>[];
  forwards(): Extract<FakeSshEvent, { kind: 'forward' }>[];
  connections(): number;
  stop(): Promise<void>;
}

function parsedPublic(base64: string): ParsedKey {
  const k = utils.parseKey(Buffer.from(base64, 'base64'));
  if (k instanceof Error) throw k;
  return Array.isArray(k) ? k[0] : k;
}

function onAuthentication(client: Connection, opts: FakeSshServerOptions, log: FakeSshEvent[], setUser: (u: string) => void): void {
  const allowed = opts.authorizedKeys.map(parsedPublic);
  client.on('authentication', (ctx) => {
    if (ctx.method !== 'publickey') {
      log.push({ kind: 'login', user: ctx.username, method: ctx.method, ok: false });
      return ctx.reject(['publickey']);
    }
    const offered = ctx.key.data.toString('base64');
    const match = allowed.find((k) => k.getPublicSSH().equals(ctx.key.data));
    if (!match) {
      log.push({ kind: 'login', user: ctx.username, method: 'publickey', ok: false, key: offered });
      return ctx.reject(['publickey']);
    }
    if (!ctx.signature) return ctx.accept(); // the client asks whether this key would do
    const ok = match.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true;
    log.push({ kind: 'login', user: ctx.username, method: 'publickey', ok, key: offered });
    if (!ok) return ctx.reject(['publickey']);
    setUser(ctx.username);
    ctx.accept();
  });
}

function onSessions(client: Connection, opts: FakeSshServerOptions, log: FakeSshEvent[], user: () => string): void {
  client.on('session', (acceptSession) => {
    const session = acceptSession();
    session.on('exec', (accept, _reject, info) => {
      const channel = accept();
      let stdin = '';
      channel.on('data', (d: Buffer) => (stdin += d.toString('utf8')));
      channel.on('end', () => {
        log.push({ kind: 'exec', user: user(), command: info.command, stdin });
        const a = opts.answer?.(info.command, stdin) ?? {};
        if (a.stdout) channel.write(a.stdout);
        if (a.stderr) channel.stderr.write(a.stderr);
        channel.exit(a.code ?? 0);
        channel.end();
      });
    });
  });
}

function onForwarding(client: Connection, opts: FakeSshServerOptions, log: FakeSshEvent[], user: () => string, sockets: Set<net.Socket>): void {
  client.on('tcpip', (accept, reject, info) => {
    const to = `${info.destIP}:${info.destPort}`;
    const port = opts.forwards?.[to];
    if (port === undefined) {
      log.push({ kind: 'forward', user: user(), to, ok: false });
      return reject();
    }
    const sock = net.connect({ host: '127.0.0.1', port });
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.once('error', () => {
      log.push({ kind: 'forward', user: user(), to, ok: false });
      reject();
    });
    sock.once('connect', () => {
      log.push({ kind: 'forward', user: user(), to, ok: true });
      const channel = accept();
      channel.pipe(sock).pipe(channel);
      channel.on('close', () => sock.destroy());
      sock.on('close', () => channel.close());
    });
  });
}

export async function startFakeSshServer(opts: FakeSshServerOptions): Promise<FakeSshServer> {
  const hostKey = opts.hostKey ?? makeKeyPair({ comment: 'fake-host' });
  const log: FakeSshEvent[] = [];
  const clients = new Set<Connection>();
  const sockets = new Set<net.Socket>();
  const server = new Server({ hostKeys: [hostKey.private] }, (client, info) => {
    clients.add(client);
    log.push({ kind: 'connect', from: `${info.ip}:${info.port}` });
    let user = '';
    client.on('error', () => undefined);
    client.on('close', () => clients.delete(client));
    onAuthentication(client, opts, log, (u) => (user = u));
    client.on('ready', () => {
      onSessions(client, opts, log, () => user);
      onForwarding(client, opts, log, () => user, sockets);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const only = <K extends FakeSshEvent['kind']>(kind: K) => log.filter((e): e is Extract<FakeSshEvent, { kind: K }> => e.kind === kind);
  return {
    port,
    hostKey,
    log,
    knownHostsLine: (name = `[127.0.0.1]:${port}`) => `${name} ${hostKey.type} ${hostKey.base64}`,
    logins: () => only('login'),
    execs: () => only('exec'),
    forwards: () => only('forward'),
    connections: () => only('connect').length,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        for (const c of clients) c.end();
        server.close(() => resolve());
      }),
  };
}
