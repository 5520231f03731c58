/**
 * The CLI as an operator meets it: help with examples and exit codes, bad input stops before any
 * host is contacted with file:line messages and exit 4. (Runs the built CLI; no lab needed: the
 * inventories point at addresses that are never contacted.)
 */
import { describe, expect, it } from 'vitest';
import { fleetCli } from './lab/cli.js';

describe('fleet CLI', () => {
  it('documents exit codes and examples in --help', async () => {
    const top = await fleetCli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Exit codes:[\s\S]*4 +bad input/);
    for (const cmd of ['deploy', 'status', 'rollback', 'inventory', 'lab']) {
      const r = await fleetCli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(/Examples?:|fleet lab up/);
    }
  });

  it('a bad inventory gives every problem with file:line:col, host and field, and exit 4', async () => {
    const started = Date.now();
    const r = await fleetCli(['deploy', 'test/fixtures/inventory/bad-values.yaml']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('test/fixtures/inventory/bad-values.yaml:15:19: host gw1, field wan_ip: expected an IPv4 address');
    expect(r.stderr).toContain('bad-values.yaml:19:17: host gw2, field port: expected a number <= 65535');
    expect(r.stderr).toMatch(/nothing was run on any host/);
    // no connection attempt: a connect to an unroutable address would take the connect timeout
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a misspelt variable is reported with a suggestion, not ignored', async () => {
    const r = await fleetCli(['deploy', 'test/fixtures/inventory/bad-unknown-var.yaml', '--check']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/did you mean/);
  });

  it('a missing inventory file, an unknown role and a conflicting flag are bad input too', async () => {
    expect((await fleetCli(['deploy', 'no/such/inventory.yaml'])).code).toBe(4);
    const roles = await fleetCli(['deploy', 'examples/single-gateway.yaml', '--roles', 'firewal']);
    expect(roles.code).toBe(4);
    expect(roles.stderr).toMatch(/unknown role 'firewal'/);
    const rb = await fleetCli(['rollback', 'gw1', '-i', 'examples/single-gateway.yaml', '--last', '--previous']);
    expect(rb.code).toBe(4);
  });

  it('rollback refuses to run without confirmation when not on a terminal', async () => {
    const r = await fleetCli(['rollback', 'gw1', '-i', 'examples/single-gateway.yaml']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/confirm with --yes/);
  });
});
