/**
 * `fleet inventory --list | --host NAME | --graph [GROUP]`, equal to ansible-inventory's output
 * for the same sources (the raw merged variables, secrets masked), or fleet's own view of them
 * with --resolved (role defaults applied, validated); and the inventory flags every command
 * shares (-i, -e, --limit).
 */
import { Option, type Command } from 'commander';
import {
  extraVarsLayer,
  hostVarsOf,
  inventoryGraph,
  inventoryHostVars,
  inventoryList,
  isPassThrough,
  loadInventory,
  maskSecrets,
  readInventory,
  rawInventoryList,
  selectHosts,
  skeletonOf,
  toSortedJson,
  type Inventory,
} from '../inventory/index.js';
import { InventoryError } from '../errors.js';
import { didYouMean } from '../inventory/suggest.js';
import { UsageError } from './exit-codes.js';
import { addVaultOptions } from './options.js';

export const DEFAULT_INVENTORY = 'inventory/hosts.yaml';

export interface InventoryOptions {
  /** One -i or several (merged in order); default inventory/hosts.yaml. */
  inventory?: string | string[];
  extraVars?: string[];
  limit?: string;
}

/** The -i values, in order, or the default. */
export function inventorySources(opts: Pick<InventoryOptions, 'inventory'>): string[] {
  const given = typeof opts.inventory === 'string' ? [opts.inventory] : (opts.inventory ?? []);
  return given.length ? given : [DEFAULT_INVENTORY];
}

export const PRECEDENCE_HELP = `Variable precedence (lowest first; a higher level replaces whole values, lists and maps included):
  1. role defaults      roles/<role>/defaults.yaml
  2. all vars           all: vars: (YAML) or [all:vars] (INI)
  3. group vars         parent group before child (by depth), then ansible_group_priority,
                        then group name, as Ansible orders them
  4. group_vars/all     beside each -i source, in -i order
  5. group_vars/GROUP   beside each -i source, groups ordered as in 3
  6. host vars          the host's own entries
  7. host_vars/HOST     beside each -i source
  8. extra vars         -e key=value / -e @file.yaml, later -e wins
group_vars/NAME may be NAME, NAME.yml, NAME.yaml, NAME.json or a directory NAME/ of such files.
Ansible's connection names work beside fleet's: ansible_host, ansible_port, ansible_user,
ansible_ssh_private_key_file, ansible_become (and ansible_ssh_host/_port/_user); where both are
set at one level, fleet's name (host, port, user, key_file, become) wins.`;

export const VAULT_HELP = `Ansible Vault: \`!vault |\` values and wholly encrypted files (group_vars/, host_vars/, -e @file,
the inventory itself) are decrypted on the controller with --vault-password-file, --vault-id or
--ask-vault-pass (or ANSIBLE_VAULT_PASSWORD_FILE). Decrypted values are secrets: every output shows
them as *** (fleet inventory --list/--host as ansible-inventory does: {"__ansible_vault": ...}).`;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** -i, -e and --limit, with the same meaning on every command. */
export function addInventoryOptions(cmd: Command): Command {
  cmd
    .addOption(
      new Option('-i, --inventory <source>', `inventory: a YAML or INI file, a directory of them, or host1,host2, ; repeatable (merged in order) (default: ${DEFAULT_INVENTORY})`).argParser(
        collect,
      ),
    )
    .addOption(
      new Option('-e, --extra-vars <key=value|@file>', 'set a variable for every host, highest precedence; repeatable (value read as YAML: -e wg_port=51822)')
        .argParser(collect)
        .default([] as string[], 'none'),
    )
    .addOption(new Option('-l, --limit <pattern>', "only these hosts: names, groups, globs (gw*), 'eu,!gw02', 'eu,&prod'"));
  return addVaultOptions(cmd);
}

/** The validated inventory the options name. Throws InventoryError (every issue) or FleetError. */
export function inventoryFromOptions(opts: InventoryOptions): Inventory {
  const loadOpts: { extraVars?: string[]; limit?: string } = { extraVars: opts.extraVars ?? [] };
  if (opts.limit !== undefined) loadOpts.limit = opts.limit;
  return loadInventory(inventorySources(opts), loadOpts);
}

export interface InventoryCommandOptions extends InventoryOptions {
  list?: boolean;
  host?: string;
  graph?: boolean | string;
  resolved?: boolean;
}

/** What `fleet inventory` prints, as one string (the command writes it to stdout); notes go to stderr. */
export function runInventory(opts: InventoryCommandOptions): { output: string; warnings: string[]; notes: string[] } {
  const actions = [opts.list && '--list', opts.host !== undefined && '--host', opts.graph !== undefined && opts.graph !== false && '--graph'].filter(Boolean);
  if (actions.length > 1) throw new UsageError(`choose one of --list, --host NAME and --graph (got ${actions.join(' and ')})`);
  const root = typeof opts.graph === 'string' ? opts.graph : 'all';
  if (opts.resolved) {
    const inv = inventoryFromOptions(opts);
    let output: string;
    if (opts.graph) output = inventoryGraph(inv, root);
    else if (opts.host !== undefined) output = toSortedJson(hostVarsOf(inv, opts.host));
    else output = toSortedJson(inventoryList(inv));
    return { output, warnings: inv.warnings, notes: [] };
  }
  return rawView(opts, root);
}

/** ansible-inventory's view: sources and vars files merged, nothing validated beyond their syntax. */
function rawView(opts: InventoryCommandOptions, root: string): { output: string; warnings: string[]; notes: string[] } {
  const sources = inventorySources(opts);
  const raw = readInventory(sources);
  const extra = extraVarsLayer(raw, opts.extraVars ?? []);
  const file = sources.join(', ');
  const skeleton = skeletonOf(raw, file);
  const selected = opts.limit ? selectHosts(skeleton, opts.limit).map((h) => h.name) : raw.order;
  if (opts.limit) {
    const chosen = new Set(selected);
    for (const g of Object.values(skeleton.groups)) g.hosts = g.hosts.filter((h) => chosen.has(h));
  }
  const vars = inventoryHostVars(raw, extra);
  if (opts.graph) return { output: inventoryGraph(skeleton, root), warnings: [], notes: [] };
  if (opts.host === undefined) return { output: toSortedJson(rawInventoryList(skeleton.groups, selected, vars)), warnings: [], notes: [] };
  const hostVars = vars.get(opts.host);
  if (!hostVars || !selected.includes(opts.host)) {
    const guess = didYouMean(opts.host, selected);
    throw new InventoryError([{ location: { file }, host: opts.host, message: `no such host in the inventory${guess ? `: did you mean ${guess}?` : ''}` }]);
  }
  const names = Object.keys(hostVars).sort();
  const used = names.filter((k) => !isPassThrough(k));
  const other = names.filter((k) => isPassThrough(k));
  const notes = [
    `fleet uses: ${used.length ? used.join(', ') : 'none of these'}`,
    ...(other.length ? [`not used by fleet (kept, ignored by its roles): ${other.join(', ')}`] : []),
  ];
  return { output: toSortedJson(maskSecrets(hostVars, { vault: 'ansible' })), warnings: [], notes };
}

export function registerInventoryCommand(program: Command): void {
  const cmd = program
    .command('inventory')
    .description("show the inventory as ansible-inventory does (every host's merged variables, secrets masked, or the group tree); --resolved: as fleet resolves it")
    .option('--list', 'all groups and hosts with their merged variables, as ansible-inventory --list JSON (the default)')
    .option('--host <name>', "one host's merged variables as JSON; stderr says which of them fleet uses")
    .option('--graph [group]', 'the group tree (from GROUP, default all), as ansible-inventory --graph')
    .option('--resolved', "fleet's own view: role defaults applied and every selected host validated as a deploy would");
  addInventoryOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Without --resolved, the output equals ansible-inventory's for the same sources: the variables as
the inventory, group_vars/ and host_vars/ set them (secrets masked), no fleet defaults, and no
check beyond the files' syntax. With --resolved the selected hosts are validated as a deploy
would: on any problem, every issue is printed with its file:line, host and field (exit code 4).

${PRECEDENCE_HELP}

${VAULT_HELP}

Examples:
  fleet inventory --graph
  fleet inventory -i hosts.ini -i group_vars_dir/ --graph gateways
  fleet inventory -i examples/fleet-groups.yaml --list
  fleet inventory -i examples/fleet-groups.yaml --list --resolved
  fleet inventory -i prod.yaml --host gw01 -e wg_port=51822
  fleet inventory -i prod.yaml --list --vault-id prod@~/.vault-prod
  fleet inventory -i prod.yaml --list --limit 'eu,!gw02' | jq '._meta.hostvars | keys'`,
  );
  cmd.action((opts: InventoryCommandOptions) => {
    const { output, warnings, notes } = runInventory(opts);
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    for (const n of notes) process.stderr.write(`${n}\n`);
    process.stdout.write(`${output}\n`);
  });
}
