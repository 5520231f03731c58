/**
 * The lab's WAN distance (`lab up --rtt 50ms`): a TCP relay in front of a gateway's sshd, inside
 * the gateway's network namespace, that holds every chunk of data for half the round trip in each
 * direction before passing it on. This kernel has no netem; a relay delays what SSH sends, which
 * is what a distant gateway costs fleet (handshake and command round trips), at the price of not
 * delaying TCP's own ACKs.
 *
 * Run as its own process: `node rtt-relay.js <listen-host> <listen-port> <to-host> <to-port> <one-way-ms>`.
 * Chunks keep their order (timers of one duration fire in the order they were set); a direction
 * with more than HIGH_WATER bytes in flight pauses its reader until the backlog drains.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';

export type Schedule = (fn: () => void, ms: number) => void;

export interface RelayOptions {
  listenHost: string;
  listenPort: number;
  toHost: string;
  toPort: number;
  /** Delay of each chunk in each direction: half the round trip. */
  oneWayMs: number;
  /** For tests: when a delayed chunk is passed on (default setTimeout). */
  schedule?: Schedule;
}

const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

/** Passes `from`'s data (and its end) to `to`, each chunk `ms` later. */
export function delayedPipe(from: Socket, to: Socket, ms: number, schedule: Schedule): void {
  let inFlight = 0;
  from.on('data', (chunk: Buffer) => {
    inFlight += chunk.length;
    if (inFlight > HIGH_WATER) from.pause();
    schedule(() => {
      inFlight -= chunk.length;
      if (!to.destroyed) to.write(chunk);
      if (from.isPaused() && inFlight < LOW_WATER) from.resume();
    }, ms);
  });
  from.on('end', () => schedule(() => to.end(), ms));
}

/** One relayed connection: the client's socket joined to a new connection to the target. */
function relay(client: Socket, o: RelayOptions, schedule: Schedule): void {
  const upstream = connect({ host: o.toHost, port: o.toPort });
  for (const s of [client, upstream]) {
    s.setNoDelay(true);
    s.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
  }
  // A reset on one side resets the other (after the delay, as the news would travel).
  client.on('close', (hadError) => hadError && schedule(() => upstream.destroy(), o.oneWayMs));
  upstream.on('close', (hadError) => hadError && schedule(() => client.destroy(), o.oneWayMs));
  delayedPipe(client, upstream, o.oneWayMs, schedule);
  delayedPipe(upstream, client, o.oneWayMs, schedule);
}

export function startRelay(o: RelayOptions): Promise<Server> {
  const schedule = o.schedule ?? ((fn, ms) => void setTimeout(fn, ms));
  const server = createServer({ allowHalfOpen: true }, (client) => relay(client, o, schedule));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listenPort, o.listenHost, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function parseArgv(argv: string[]): RelayOptions {
  const [listenHost, listenPort, toHost, toPort, oneWay] = argv;
  const num = (v: string | undefined, what: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`rtt-relay: ${what} must be a whole number >= ${min}, got ${v}`);
    return n;
  };
  if (!listenHost || !toHost) throw new Error('usage: rtt-relay <listen-host> <listen-port> <to-host> <to-port> <one-way-ms>');
  return { listenHost, listenPort: num(listenPort, 'listen-port', 1), toHost, toPort: num(toPort, 'to-port', 1), oneWayMs: num(oneWay, 'one-way-ms', 0) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const o = parseArgv(process.argv.slice(2));
  await startRelay(o);
  process.stdout.write(`rtt-relay listening on ${o.listenHost}:${o.listenPort}, to ${o.toHost}:${o.toPort}, ${o.oneWayMs} ms each way\n`);
}
