/**
 * `fleet inventory --list | --host NAME | --graph`, as ansible-inventory has them, and the
 * inventory flags every command shares (-i, -e, --limit).
 */
import { Option, type Command } from 'commander';
import { hostVarsOf, inventoryGraph, inventoryList, loadInventory, toSortedJson, type Inventory } from '../inventory/index.js';
import { UsageError } from './exit-codes.js';

export const DEFAULT_INVENTORY = 'inventory/hosts.yaml';

export interface InventoryOptions {
  inventory?: string;
  extraVars?: string[];
  limit?: string;
}

export const PRECEDENCE_HELP = `Variable precedence (lowest first; a higher level replaces whole values, lists and maps included):
  1. role defaults      roles/<role>/defaults.yaml
  2. all vars           all: vars:
  3. group vars         parent group before child (by depth), then ansible_group_priority,
                        then group name, as Ansible orders them
  4. host vars          the host's own entries
  5. extra vars         -e key=value / -e @file.yaml, later -e wins
Ansible's connection names work beside fleet's: ansible_host, ansible_port, ansible_user,
ansible_ssh_private_key_file, ansible_become (and ansible_ssh_host/_port/_user); where both are
set at one level, fleet's name (host, port, user, key_file, become) wins.`;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** -i, -e and --limit, with the same meaning on every command. */
export function addInventoryOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-i, --inventory <file>', 'inventory file (YAML, in Ansible inventory shape)').default(DEFAULT_INVENTORY))
    .addOption(
      new Option('-e, --extra-vars <key=value|@file>', 'set a variable for every host, highest precedence; repeatable (value read as YAML: -e wg_port=51822)')
        .argParser(collect)
        .default([] as string[], 'none'),
    )
    .addOption(new Option('-l, --limit <pattern>', "only these hosts: names, groups, globs (gw*), 'eu,!gw02', 'eu,&prod'"));
}

/** The validated inventory the options name. Throws InventoryError (every issue) or FleetError. */
export function inventoryFromOptions(opts: InventoryOptions): Inventory {
  const loadOpts: { extraVars?: string[]; limit?: string } = { extraVars: opts.extraVars ?? [] };
  if (opts.limit !== undefined) loadOpts.limit = opts.limit;
  return loadInventory(opts.inventory ?? DEFAULT_INVENTORY, loadOpts);
}

export interface InventoryCommandOptions extends InventoryOptions {
  list?: boolean;
  host?: string;
  graph?: boolean;
}

/** What `fleet inventory` prints, as one string (the command writes it to stdout). */
export function runInventory(opts: InventoryCommandOptions): { output: string; warnings: string[] } {
  const actions = [opts.list && '--list', opts.host !== undefined && '--host', opts.graph && '--graph'].filter(Boolean);
  if (actions.length > 1) throw new UsageError(`choose one of --list, --host NAME and --graph (got ${actions.join(' and ')})`);
  const inv = inventoryFromOptions(opts);
  let output: string;
  if (opts.graph) output = inventoryGraph(inv);
  else if (opts.host !== undefined) output = toSortedJson(hostVarsOf(inv, opts.host));
  else output = toSortedJson(inventoryList(inv));
  return { output, warnings: inv.warnings };
}

export function registerInventoryCommand(program: Command): void {
  const cmd = program
    .command('inventory')
    .description("show the inventory as fleet reads it: every host's merged, validated variables (secrets masked), or the group tree")
    .option('--list', 'all groups and hosts with their merged variables, as ansible-inventory --list JSON (the default)')
    .option('--host <name>', "one host's merged variables as JSON")
    .option('--graph', 'the group tree, as ansible-inventory --graph');
  addInventoryOptions(cmd);
  cmd.addHelpText(
    'after',
    `
The inventory is validated as a deploy would: on any problem, every issue is printed with its
file:line, host and field, and the exit code is 4.

${PRECEDENCE_HELP}

Examples:
  fleet inventory --graph
  fleet inventory -i examples/fleet-groups.yaml --list
  fleet inventory -i prod.yaml --host gw01 -e wg_port=51822
  fleet inventory -i prod.yaml --list --limit 'eu,!gw02' | jq '._meta.hostvars | keys'`,
  );
  cmd.action((opts: InventoryCommandOptions) => {
    const { output, warnings } = runInventory(opts);
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    process.stdout.write(`${output}\n`);
  });
}
