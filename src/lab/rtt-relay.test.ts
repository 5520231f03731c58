/** The delaying relay, on 127.0.0.1: bytes pass both ways in order, each chunk only when its delay is up. */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay } from './rtt-relay.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** An echo server that upper-cases what it receives and ends when the client does. */
async function echo(): Promise<number> {
  const s = createServer({ allowHalfOpen: true }, (c) => {
    c.on('data', (b: Buffer) => c.write(b.toString().toUpperCase()));
    c.on('end', () => c.end());
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

/** A scheduler the test runs by hand: nothing is passed on until `flush`. */
function manual() {
  const due: { fn: () => void; ms: number }[] = [];
  return {
    schedule: (fn: () => void, ms: number) => void due.push({ fn, ms }),
    pending: () => due.length,
    delays: () => [...new Set(due.map((d) => d.ms))],
    flush: () => due.splice(0).forEach((d) => d.fn()),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

async function until(cond: () => boolean, step: () => void = () => undefined): Promise<void> {
  for (let i = 0; i < 250 && !cond(); i++) {
    step();
    await tick();
  }
}

describe('rtt relay', () => {
  it('holds each chunk until its delay is up, in both directions, and keeps order and the end', async () => {
    const target = await echo();
    const clock = manual();
    const relay = await startRelay({ listenHost: '127.0.0.1', listenPort: 0, toHost: '127.0.0.1', toPort: target, oneWayMs: 25, schedule: clock.schedule });
    servers.push(relay);
    const c: Socket = connect((relay.address() as AddressInfo).port, '127.0.0.1');
    let got = '';
    let ended = false;
    c.on('data', (b: Buffer) => (got += b.toString()));
    c.on('end', () => (ended = true));
    await new Promise((r) => c.once('connect', r));
    c.write('one ');
    c.write('two ');
    await until(() => clock.pending() >= 1);
    await tick();
    // Held at the relay: nothing reached the target, so nothing came back.
    expect(got).toBe('');
    expect(clock.delays()).toEqual([25]);
    // Towards the target, then the answer back: two delays per round trip.
    clock.flush();
    await until(() => clock.pending() >= 1);
    expect(got).toBe('');
    await until(() => got === 'ONE TWO ', clock.flush);
    expect(got).toBe('ONE TWO ');
    c.end('three');
    await until(() => ended, clock.flush);
    expect(got).toBe('ONE TWO THREE');
    expect(ended).toBe(true);
  });
});
