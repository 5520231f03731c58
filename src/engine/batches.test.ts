import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { batchSizes, parseSerial, runInBatches, splitBatches, type GateVerdict } from './batches.js';
import type { HostResult, HostStatus } from './fleet.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `gw${i + 1}` }));
const result = (host: string, status: HostStatus): HostResult => ({ host, status, roundTrips: 1, seconds: 0 });

describe('parseSerial', () => {
  it('reads counts, percentages and lists', () => {
    expect(parseSerial('1')).toEqual([{ count: 1 }]);
    expect(parseSerial('10%')).toEqual([{ percent: 10 }]);
    expect(parseSerial('1, 10%,100%')).toEqual([{ count: 1 }, { percent: 10 }, { percent: 100 }]);
  });
  it.each(['', '0', '0%', '101%', '-1', '1,,2', 'ten', '1.5', '10%%', '1,'])('refuses %j with a usage error naming --serial', (bad) => {
    expect(() => parseSerial(bad)).toThrow(UsageError);
    expect(() => parseSerial(bad)).toThrow(/--serial/);
  });
});

describe('batchSizes (as Ansible computes them)', () => {
  it('repeats the last entry and rounds percentages down, at least 1', () => {
    expect(batchSizes(4, parseSerial('1,50%'))).toEqual([1, 2, 1]);
    expect(batchSizes(7, parseSerial('1,30%'))).toEqual([1, 2, 2, 2]);
    expect(batchSizes(3, parseSerial('10%'))).toEqual([1, 1, 1]);
    expect(batchSizes(10, parseSerial('1,10%,100%'))).toEqual([1, 1, 8]);
    expect(batchSizes(5, parseSerial('100'))).toEqual([5]);
    expect(batchSizes(0, parseSerial('1'))).toEqual([]);
  });
  it('splits in host order and covers every host once', () => {
    const split = splitBatches(hosts(7), parseSerial('2,40%'));
    expect(split.map((b) => b.map((h) => h.name))).toEqual([['gw1', 'gw2'], ['gw3', 'gw4'], ['gw5', 'gw6'], ['gw7']]);
  });
});

describe('runInBatches', () => {
  const okGate = async (b: { name: string }[]): Promise<GateVerdict[]> => b.map((h) => ({ host: h.name, ok: true }));

  it('runs each batch after the previous gate and gives every host its batch', async () => {
    const log: string[] = [];
    const run = await runInBatches(splitBatches(hosts(4), parseSerial('1,50%')), {}, {
      run: async (b, n) => (log.push(`run ${n}`), b.map((h) => result(h.name, 'changed'))),
      gate: async (b, n) => (log.push(`gate ${n}`), okGate(b)),
    });
    expect(log).toEqual(['run 1', 'gate 1', 'run 2', 'gate 2', 'run 3', 'gate 3']);
    expect(run.results.map((r) => [r.host, r.batch])).toEqual([['gw1', 1], ['gw2', 2], ['gw3', 2], ['gw4', 3]]);
    expect(run.stopped).toBeUndefined();
    expect(run.batches.map((b) => b.gate)).toEqual(['passed', 'passed', 'passed']);
  });

  it('a failed gate stops the run: that host failed, later hosts skipped and never run', async () => {
    const ran: string[] = [];
    const skippedSeen: string[] = [];
    const run = await runInBatches(splitBatches(hosts(4), parseSerial('1,50%')), {}, {
      run: async (b) => (ran.push(...b.map((h) => h.name)), b.map((h) => result(h.name, 'changed'))),
      gate: async (b) => b.map((h) => ({ host: h.name, ok: false, reason: '1 resource(s) drifted: x' })),
      onSkipped: (rs) => skippedSeen.push(...rs.map((r) => r.host)),
    });
    expect(ran).toEqual(['gw1']);
    expect(run.stopped).toEqual({ batch: 1, reason: expect.stringContaining('gw1 (1 resource(s) drifted: x)') });
    expect(run.results.map((r) => [r.host, r.status, r.batch, r.error?.code])).toEqual([
      ['gw1', 'failed', 1, 'BATCH_GATE_FAILED'],
      ['gw2', 'skipped', 2, 'SERIAL_STOPPED'],
      ['gw3', 'skipped', 2, 'SERIAL_STOPPED'],
      ['gw4', 'skipped', 3, 'SERIAL_STOPPED'],
    ]);
    expect(skippedSeen).toEqual(['gw2', 'gw3', 'gw4']);
    expect(run.batches).toHaveLength(1);
  });

  it('--max-fail-percent counts per batch; a batch that all failed stops without one', async () => {
    const failing = new Set(['gw2']);
    const cb = {
      run: async (b: { name: string }[]) => b.map((h) => result(h.name, failing.has(h.name) ? 'failed' : 'changed')),
      gate: okGate,
    };
    // gw2 of batch [gw2, gw3]: 50% of the batch, more than 40%: stop.
    const strict = await runInBatches(splitBatches(hosts(5), parseSerial('1,2')), { maxFailPercent: 40 }, cb);
    expect(strict.stopped?.batch).toBe(2);
    expect(strict.results.filter((r) => r.status === 'skipped').map((r) => r.host)).toEqual(['gw4', 'gw5']);
    // 50% is not more than 50%: go on (Ansible's rule is "greater than").
    const lenient = await runInBatches(splitBatches(hosts(5), parseSerial('1,2')), { maxFailPercent: 50 }, cb);
    expect(lenient.stopped).toBeUndefined();
    // No policy: a partly failed batch goes on, a wholly failed one stops.
    expect((await runInBatches(splitBatches(hosts(5), parseSerial('1,2')), {}, cb)).stopped).toBeUndefined();
    failing.add('gw3');
    const all = await runInBatches(splitBatches(hosts(5), parseSerial('1,2')), {}, cb);
    expect(all.stopped).toEqual({ batch: 2, reason: 'every host of the batch failed (2)' });
  });

  it('--fail-fast stops after the batch with the first failure; the gate does not run then', async () => {
    let gates = 0;
    const run = await runInBatches(splitBatches(hosts(4), parseSerial('2')), { failFast: true }, {
      run: async (b) => b.map((h) => result(h.name, h.name === 'gw1' ? 'unreachable' : 'ok')),
      gate: async (b) => (gates++, okGate(b)),
    });
    expect(run.stopped?.batch).toBe(1);
    expect(gates).toBe(0);
  });

  it('a failed proof (deploy --verify) fails the gate, even when other hosts are fine', async () => {
    const run = await runInBatches(splitBatches(hosts(4), parseSerial('2')), { failsGate: (r) => r.error?.code === 'VERIFY_FAILED' }, {
      run: async (b) => b.map((h) => (h.name === 'gw2' ? { ...result(h.name, 'failed'), error: Object.assign(new Error('proof'), { code: 'VERIFY_FAILED' }) as never } : result(h.name, 'changed'))),
      gate: okGate,
    });
    expect(run.batches[0]?.gate).toBe('failed');
    expect(run.stopped?.reason).toMatch(/proof failed on gw2/);
  });

  it('a check run has no gate', async () => {
    let gates = 0;
    const run = await runInBatches(splitBatches(hosts(2), parseSerial('1')), { skipGate: true }, { run: async (b) => b.map((h) => result(h.name, 'changed')), gate: async (b) => (gates++, okGate(b)) });
    expect(gates).toBe(0);
    expect(run.batches.map((b) => b.gate)).toEqual(['not run', 'not run']);
  });
});
