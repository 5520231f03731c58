import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InventoryError } from '../errors.js';
import { UsageError } from './exit-codes.js';
import { addInventoryOptions, inventoryFromOptions, inventorySources, registerInventoryCommand } from './inventory.js';

/** Runs `fleet <args>` on a fresh program; returns what it printed. */
async function fleet(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const program = new Command('fleet').exitOverride().configureOutput({
    writeOut: (s) => void (stdout += s),
    writeErr: (s) => void (stderr += s),
  });
  registerInventoryCommand(program);
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    await program.parseAsync(['node', 'fleet', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}

afterEach(() => vi.restoreAllMocks());

describe('fleet inventory', () => {
  it('--graph draws the group tree as ansible-inventory --graph', async () => {
    const { stdout } = await fleet('inventory', '--graph', '-i', 'examples/fleet-groups.yaml');
    expect(stdout).toBe(
      [
        '@all:',
        '  |--@ungrouped:',
        '  |--@eu:',
        '  |  |--@eu_fra:',
        '  |  |  |--eu-fra-1',
        '  |  |  |--eu-fra-2',
        '  |  |--@eu_ams:',
        '  |  |  |--eu-ams-1',
        '  |--@us:',
        '  |  |--us-east-1',
        '',
      ].join('\n'),
    );
  });

  it('--list (the default) prints the merged variables and groups as ansible-inventory --list JSON', async () => {
    const { stdout } = await fleet('inventory', '-i', 'examples/fleet-groups.yaml', '--limit', 'eu,!eu-fra-2', '-e', 'wg_mtu=1380', '--resolved');
    const json = JSON.parse(stdout) as Record<string, { hosts?: string[]; children?: string[]; hostvars?: Record<string, Record<string, unknown>> }>;
    expect(Object.keys(json._meta!.hostvars!)).toEqual(['eu-ams-1', 'eu-fra-1']);
    expect(json._meta!.hostvars!['eu-ams-1']).toMatchObject({ wg_mtu: 1380, wg_port: 51822, wan_interface: 'eth0', user: 'fleet', become: true });
    expect(json.all).toEqual({ children: ['ungrouped', 'eu', 'us'] });
    expect(json.eu).toEqual({ children: ['eu_fra', 'eu_ams'] });
    expect(json.eu_fra).toEqual({ hosts: ['eu-fra-1'] });
    expect(json.us).toBeUndefined();
    expect(stdout).toMatch(/^\{\n {4}"_meta": \{/); // four-space indent, sorted keys, as Ansible prints
  });

  it('--host prints the raw merged variables, as ansible-inventory --host, and says which fleet uses', async () => {
    const { stdout, stderr } = await fleet('inventory', '--host', 'gw02', '-i', 'examples/ansible-inventory.yaml');
    const vars = JSON.parse(stdout) as Record<string, unknown>;
    expect(vars).toMatchObject({ ansible_host: '192.0.2.12', ansible_port: 2222, ansible_user: 'admin', ansible_become: true });
    expect(vars).not.toHaveProperty('wg_mtu'); // no role defaults
    expect(stderr).toMatch(/^fleet uses: .*ansible_host.*\nnot used by fleet \(kept, ignored by its roles\): ansible_python_interpreter\n$/);
  });

  it('--host --resolved prints one host as fleet resolves it', async () => {
    const { stdout, stderr } = await fleet('inventory', '--host', 'gw02', '--resolved', '-i', 'examples/ansible-inventory.yaml');
    expect(JSON.parse(stdout)).toMatchObject({ host: '192.0.2.12', port: 2222, user: 'admin', become: true, wg_mtu: 1420 });
    expect(stderr).toBe('warning: examples/ansible-inventory.yaml:13:5: host gw01, gw02, gw03, field ansible_python_interpreter: ignored: fleet does not use it\n');
  });

  it('an unknown --host is an error with a suggestion', async () => {
    await expect(fleet('inventory', '--host', 'gw2', '-i', 'examples/ansible-inventory.yaml')).rejects.toThrow(
      'examples/ansible-inventory.yaml: host gw2: no such host in the inventory: did you mean gw02?',
    );
  });

  it('bad input rejects with every issue (main maps InventoryError to exit 4)', async () => {
    const run = fleet('inventory', '--list', '--resolved', '-i', 'test/fixtures/inventory/bad-missing.yaml');
    await expect(run).rejects.toBeInstanceOf(InventoryError);
    await expect(run).rejects.toThrow(/bad-missing.yaml:7:9: host gw1.*\n.*bad-missing.yaml:10:9: host gw2/);
  });

  it('one action at a time', async () => {
    await expect(fleet('inventory', '--list', '--graph', '-i', 'examples/single-gateway.yaml')).rejects.toBeInstanceOf(UsageError);
  });

  it('--help documents precedence and has examples', async () => {
    const run = fleet('inventory', '--help');
    await expect(run).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
    let help = '';
    const program = new Command('fleet').exitOverride().configureOutput({ writeOut: (s) => void (help += s) });
    registerInventoryCommand(program);
    await program.parseAsync(['node', 'fleet', 'inventory', '--help']).catch(() => undefined);
    expect(help).toContain('-i, --inventory <source>');
    expect(help.replace(/\s+/g, ' ')).toContain('(default: inventory/hosts.yaml)');
    expect(help).toContain('-e, --extra-vars <key=value|@file>');
    expect(help).toContain('-l, --limit <pattern>');
    expect(help).toMatch(/1\. role defaults[\s\S]*2\. all vars[\s\S]*3\. group vars[\s\S]*4\. group_vars\/all[\s\S]*6\. host vars[\s\S]*7\. host_vars\/HOST[\s\S]*8\. extra vars/);
    expect(help).toContain('Examples:');
  });
});

describe('addInventoryOptions / inventoryFromOptions', () => {
  it('give every command the same -i, repeatable -e and --limit', async () => {
    let seen: Record<string, unknown> = {};
    const program = new Command('fleet').exitOverride();
    addInventoryOptions(program.command('deploy')).action((opts: Record<string, unknown>) => void (seen = opts));
    await program.parseAsync(['node', 'fleet', 'deploy', '-e', 'a=1', '--extra-vars', '@x.yaml', '-l', 'eu']);
    expect(seen).toEqual({ extraVars: ['a=1', '@x.yaml'], limit: 'eu' });
    expect(inventorySources(seen)).toEqual(['inventory/hosts.yaml']);
    await program.parseAsync(['node', 'fleet', 'deploy', '-i', 'prod.yaml', '-i', 'group_vars_dir']);
    expect(seen).toEqual({ inventory: ['prod.yaml', 'group_vars_dir'], extraVars: [] });
  });

  it('loads and validates', () => {
    const inv = inventoryFromOptions({ inventory: 'examples/ansible-inventory.yaml', extraVars: ['ansible_user=ops'], limit: 'gw0[!1]' });
    expect(inv.hosts.map((h) => [h.name, h.connection.user])).toEqual([
      ['gw02', 'ops'],
      ['gw03', 'ops'],
    ]);
  });
});
