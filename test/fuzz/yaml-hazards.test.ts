/**
 * YAML hazards (issue 10): alias bombs, recursive aliases, duplicate keys, merge keys, foreign
 * tags, and a 50 MB file. Each is a clear InventoryError (file:line where there is a line), in
 * bounded time and memory. The bounds are generous: they catch an exponential blow-up, not a
 * slow machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryError, formatIssue } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';
import { fleetCli } from '../lab/cli.js';

const H = 'test/fixtures/hostile';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-yaml-hazards-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loads `file`, expecting an InventoryError; returns its lines, the time and the heap growth. */
function rejected(file: string, opts: Parameters<typeof loadInventory>[1] = {}): { lines: string[]; ms: number; heapMb: number } {
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  try {
    loadInventory(file, opts);
  } catch (err) {
    const ms = performance.now() - t0;
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024;
    if (!(err instanceof InventoryError)) throw err;
    return { lines: err.issues.map(formatIssue), ms, heapMb };
  }
  throw new Error(`${file} loaded`);
}

describe('YAML hazards', () => {
  it('an alias bomb (9^9 nodes) fails at the alias, in milliseconds', () => {
    const r = rejected(`${H}/alias-bomb.yaml`);
    expect(r.lines).toEqual([expect.stringMatching(/^test\/fixtures\/hostile\/alias-bomb\.yaml:\d+:\d+: YAML aliases expand to more than 1000 nodes \(an alias bomb\?\)/)]);
    expect(r.ms).toBeLessThan(2000);
    expect(r.heapMb).toBeLessThan(200);
  });

  it('a recursive alias is an error at the alias, not a stack overflow', () => {
    const r = rejected(`${H}/recursive-alias.yaml`);
    expect(r.lines).toEqual([`${H}/recursive-alias.yaml:5:21: recursive YAML alias *p: the anchor &p contains an alias to itself`]);
  });

  it('a duplicate key names both lines (a hostile second value cannot hide behind the first)', () => {
    const r = rejected(`${H}/duplicate-keys.yaml`);
    expect(r.lines).toEqual([`${H}/duplicate-keys.yaml:7:7: duplicate key wan_interface (first at line 5): YAML keeps only one of them; merge the two entries`]);
  });

  it('merge keys: a non-mapping source is an error at its line; a merged hostile value is validated like any other', () => {
    const r = rejected(`${H}/merge-keys.yaml`);
    expect(r.lines).toEqual([`${H}/merge-keys.yaml:8:11: YAML merge (<<) or alias failed: Merge sources must be maps or map aliases`]);
    const ok = path.join(dir, 'merged.yaml');
    writeFileSync(ok, 'x-d: &d\n  wan_interface: "ens5$(touch /tmp/pwned)"\nall:\n  hosts:\n    gw1:\n      <<: *d\n      host: 203.0.113.10\n');
    const m = rejected(ok);
    expect(m.lines.some((l) => l.startsWith(`${ok}:2:`) && /wan_interface/.test(l) && /interface name/.test(l)), m.lines.join('\n')).toBe(true);
  });

  it('foreign tags (!!python/object) are refused at their lines; !vault is not foreign (test/inventory/vault.test.ts)', () => {
    const r = rejected(`${H}/nul-and-tags.yaml`);
    expect(r.lines[0]).toMatch(/^test\/fixtures\/hostile\/nul-and-tags\.yaml:4:\d+: unknown YAML tag .*python\/object/);
    expect(r.lines.some((l) => /:6:/.test(l))).toBe(false);
  });

  it('a recursive or aliased -e value is refused', () => {
    const base = path.join(dir, 'base.yaml');
    writeFileSync(base, 'all:\n  hosts:\n    gw1:\n      host: 203.0.113.10\n');
    const r = rejected(base, { extraVars: ['{"dns_upstreams": &a [*a]}'] });
    expect(r.lines.length).toBeGreaterThan(0);
  });

  it('a 50 MB file is refused before it is read: clear message, bounded time and memory', () => {
    const big = path.join(dir, 'big.yaml');
    const line = `# ${'x'.repeat(1020)}\n`;
    writeFileSync(big, `all:\n  hosts:\n${line.repeat(50 * 1024)}    gw1:\n      host: 203.0.113.10\n`);
    const r = rejected(big);
    expect(r.lines).toEqual([expect.stringMatching(/big\.yaml: too large to be an inventory: 50\.0 MiB \(fleet reads at most 8 MiB\)/)]);
    expect(r.ms).toBeLessThan(1000);
    expect(r.heapMb).toBeLessThan(50);
  });

  it('a 7 MB inventory (under the limit) still loads or fails cleanly in bounded time', () => {
    const big = path.join(dir, 'seven.yaml');
    const line = `    # ${'x'.repeat(1018)}\n`;
    writeFileSync(big, `all:\n  hosts:\n${line.repeat(7 * 1024)}    gw1:\n      host: 203.0.113.10\n`);
    const t0 = performance.now();
    expect(() => loadInventory(big)).toThrow(InventoryError); // gw1 lacks its required variables
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('the CLI turns each hazard into exit 4 (bad input, no host contacted)', async () => {
    for (const f of ['alias-bomb', 'recursive-alias', 'duplicate-keys', 'merge-keys']) {
      const r = await fleetCli(['deploy', `${H}/${f}.yaml`, '--check'], { timeoutMs: 30_000 });
      expect(r.code, `${f}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(new RegExp(`${f}\\.yaml:\\d+:\\d+: `));
    }
  });
});
