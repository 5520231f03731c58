/**
 * --shard and `fleet report merge` as an operator meets them on the built CLI: bad values are bad
 * input (exit 4) before any host is contacted, and a merge prints one recap with one exit code.
 * (No lab: the inventories point at addresses that are never contacted; the reports are files.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetCli } from './lab/cli.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-merge-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const file = (name: string, doc: unknown): string => {
  const p = path.join(tmp, name);
  writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return p;
};

const host = (name: string, status: string, extra: Record<string, unknown> = {}) => ({ host: name, status, label: status, ok: 5, changed: status === 'changed' ? 2 : 0, failed: 0, roundTrips: 2, seconds: 1.25, ...extra });
const deploy = (hosts: unknown[], shard?: unknown) => ({ command: 'deploy', check: false, seconds: 2, summary: {}, hosts, ...(shard ? { shard } : {}) });

describe('--shard on the command line', () => {
  it.each([
    [['deploy', 'examples/single-gateway.yaml', '--shard', '0/3'], /K is 1-based and must be from 1 to 3, got 0/],
    [['status', '-i', 'examples/single-gateway.yaml', '--shard', '2/1'], /must be from 1 to 1, got 2/],
    [['rollback', 'all', '-i', 'examples/single-gateway.yaml', '--yes', '--shard-index', '3', '--shard-count', '3'], /from 0 to 2 for 3 shards/],
    [['deploy', 'examples/single-gateway.yaml', '--shard-count', '3'], /JOB_COMPLETION_INDEX/],
  ])('%j is bad input naming the range', async (args, message) => {
    const started = Date.now();
    const r = await fleetCli(args);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(message);
    expect(Date.now() - started).toBeLessThan(10_000); // nothing was contacted
  });

  it('an empty shard does nothing and says so, and its --json is an empty run of that shard', async () => {
    // single-gateway.yaml has one host: of 3 shards, two are empty
    const runs = await Promise.all([1, 2, 3].map((k) => fleetCli(['deploy', 'examples/single-gateway.yaml', '--check', '--shard', `${k}/3`, '--json'], { timeoutMs: 60_000 })));
    const empty = runs.filter((r) => r.json?.hosts?.length === 0);
    expect(empty).toHaveLength(2);
    for (const r of empty) {
      expect(r.code).toBe(0);
      expect(r.json.shard).toMatchObject({ count: 3, selected: 1, positions: [] });
    }
    const plain = await fleetCli(['deploy', 'examples/single-gateway.yaml', '--check', '--shard-count', '3'], { env: { JOB_COMPLETION_INDEX: String(empty[0]!.json.shard.index - 1) } });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(new RegExp(`shard ${empty[0]!.json.shard.index}/3: none of the 1 selected host\\(s\\) is in this shard; nothing to do`));
  });

  it('is documented in the help of deploy, status and rollback', async () => {
    for (const cmd of ['deploy', 'status', 'rollback']) {
      const r = await fleetCli([cmd, '--help']);
      expect(r.stdout, cmd).toMatch(/--shard <K\/N>/);
      expect(r.stdout, cmd).toMatch(/adding or removing hosts never\s+moves another host to a different shard/);
      expect(r.stdout, cmd).toMatch(/JOB_COMPLETION_INDEX/);
    }
  });
});

describe('fleet report merge', () => {
  it('prints one recap and gives the exit code one run would', async () => {
    const a = file('a.json', deploy([host('gw1', 'changed'), host('gw3', 'ok')], { index: 1, count: 2, selected: 3, positions: [0, 2] }));
    const b = file('b.json', deploy([host('gw2', 'unreachable', { error: { code: 'TRANSPORT_FAILED', title: 'cannot reach host', message: 'gw2: no SSH answer', hint: 'is it up?' } })], { index: 2, count: 2, selected: 3, positions: [1] }));
    const r = await fleetCli(['report', 'merge', b, a]);
    expect(r.code, r.stderr).toBe(3);
    const rows = r.stdout.split('\n').filter((l) => /^gw\d\s/.test(l));
    expect(rows.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['gw1 changed', 'gw2 unreachable', 'gw3 ok']);
    expect(r.stdout).toMatch(/\ngw2: no SSH answer\n {2}hint: is it up\?\n/);
    expect(r.stdout).toContain('3 host(s): 1 ok, 1 changed, 0 failed, 1 unreachable');
    const j = await fleetCli(['report', 'merge', a, b, '--json']);
    expect(j.code).toBe(3);
    expect(Object.keys(j.json)).toEqual(['command', 'check', 'seconds', 'summary', 'hosts']);
    expect(j.json.summary).toEqual({ hosts: 3, ok: 1, changed: 1, failed: 0, unreachable: 1, skipped: 0 });
  });

  it('refuses overlapping hosts, mixed kinds and unreadable files with exit 4', async () => {
    const a = file('o1.json', deploy([host('gw1', 'changed'), host('gw2', 'ok')]));
    const b = file('o2.json', deploy([host('gw2', 'ok')]));
    const overlap = await fleetCli(['report', 'merge', a, b]);
    expect(overlap.code).toBe(4);
    expect(overlap.stderr).toContain(`report ${b}: host gw2 is also in ${a}`);
    const status = file('s.json', { command: 'status', at: '2025-01-01T00:00:00Z', summary: {}, hosts: [] });
    const mixed = await fleetCli(['report', 'merge', a, status]);
    expect(mixed.code).toBe(4);
    expect(mixed.stderr).toMatch(/is status's output, .* is deploy's: merge one kind at a time/);
    const missing = await fleetCli(['report', 'merge', a, path.join(tmp, 'nope.json')]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/report .*nope\.json: no such file/);
    const garbage = await fleetCli(['report', 'merge', file('g.json', 'not json')]);
    expect(garbage.code).toBe(4);
    expect(garbage.stderr).toMatch(/g\.json: not JSON/);
  });
});
