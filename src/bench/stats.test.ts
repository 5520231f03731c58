import { describe, expect, it } from 'vitest';
import { BenchUsageError, bareFor, median, parseArgs, ratios, stat } from './stats.js';

describe('bench arguments', () => {
  it('defaults to 1,10,50 with 5 reps and the auto lab', () => {
    expect(parseArgs([])).toEqual({ hosts: [1, 10, 50], reps: 5, lab: 'auto', rtts: [0] });
  });
  it('parses --hosts (sorted, deduplicated), --reps, --json, --lab and --forks, also with =', () => {
    expect(parseArgs(['--hosts', '50,1,10,10', '--reps=3', '--json', 'out.json', '--lab', 'bare', '--forks', '20'])).toEqual({
      hosts: [1, 10, 50],
      reps: 3,
      json: 'out.json',
      lab: 'bare',
      forks: 20,
      rtts: [0],
    });
  });
  it('parses --rtt as round trips in milliseconds (sorted, deduplicated)', () => {
    expect(parseArgs(['--rtt', '50ms,0,0.1s,50']).rtts).toEqual([0, 50, 100]);
    expect(() => parseArgs(['--rtt', '50us'])).toThrow(/--rtt: expected round trips/);
    expect(() => parseArgs(['--rtt', '3s'])).toThrow(/up to 2000ms/);
  });
  it('parses --skip-roles as a list', () => {
    expect(parseArgs(['--skip-roles', 'wireguard, dnsmasq']).skipRoles).toEqual(['wireguard', 'dnsmasq']);
  });
  it('rejects bad values and unknown flags', () => {
    expect(() => parseArgs(['--hosts', '1,x'])).toThrow(BenchUsageError);
    expect(() => parseArgs(['--reps', '0'])).toThrow(/positive whole number/);
    expect(() => parseArgs(['--json'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--lab', 'big'])).toThrow(/auto, full or bare/);
    expect(() => parseArgs(['--hosts', '200', '--lab', 'full'])).toThrow(/full lab holds \(122\)/);
    expect(parseArgs(['--hosts', '300']).hosts).toEqual([300]);
    expect(() => parseArgs(['--hosts', '1001'])).toThrow(/bare lab holds \(1000\)/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown argument/);
  });
  it('uses the full lab up to 122 gateways in auto mode, bare above', () => {
    expect(bareFor(50, 'auto')).toBe(false);
    expect(bareFor(122, 'auto')).toBe(false);
    expect(bareFor(200, 'auto')).toBe(true);
    expect(bareFor(1, 'bare')).toBe(true);
    expect(bareFor(1, 'full')).toBe(false);
  });
});

describe('bench statistics', () => {
  it('median of odd and even counts, min and max', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(stat([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(stat([]).n).toBe(0);
  });
  it('ratios to the floor of the same run and growth from the smallest to the largest N', () => {
    const r = ratios([
      { hosts: 50, floorOpenssh: 1, cold: 6, converged: 1.5, status: 1.8 },
      { hosts: 1, floorOpenssh: 0.2, cold: 2, converged: 1, status: 1 },
    ]);
    expect(r.perRun.map((p) => p.hosts)).toEqual([1, 50]);
    expect(r.perRun[0]).toEqual({ hosts: 1, coldOverFloor: 10, convergedOverFloor: 5, statusOverFloor: 5 });
    expect(r.perRun[1]!.convergedOverFloor).toBe(1.5);
    expect(r.growth).toEqual({ from: 1, to: 50, floor: 5, cold: 3, converged: 1.5, status: 1.8 });
    expect(ratios([{ hosts: 1, floorOpenssh: 0, cold: 1, converged: 1, status: 1 }]).perRun[0]!.coldOverFloor).toBeNaN();
    expect(ratios([{ hosts: 1, floorOpenssh: 1, cold: 1, converged: 1, status: 1 }]).growth).toBeUndefined();
  });
});
