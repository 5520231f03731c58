/**
 * Variable precedence, lowest first (each level replaces whole values of the levels below it):
 *
 *   1. role defaults          roles/<role>/defaults.yaml
 *   2. all vars               all: vars: / [all:vars] in the inventory
 *   3. group vars             in the inventory, by group depth (a parent before its child), then
 *                             ansible_group_priority, then group name, as Ansible sorts them
 *   4. group_vars/all         beside each source, in source order
 *   5. group_vars/<group>     for each source in order, the groups in the order of 3
 *   6. host vars              the host's own entries (several listings combine, the later wins)
 *   7. host_vars/<host>       beside each source, in source order
 *   8. extra vars             -e key=value / -e @file.yaml, in command-line order
 *
 * Lists and maps replace, they do not merge (Ansible's default hash_behaviour=replace): a host's
 * wg_peers replaces its group's wg_peers entirely.
 *
 * Levels 2-7 are exactly what `ansible-inventory --list` computes for `_meta.hostvars`
 * (the parity tests compare the two).
 */
import type { ParsedGroup, ParsedInventory } from './data.js';
import type { VarLayer } from './types.js';
import type { VarsFiles } from './vars-files.js';

/** Each group's depth: the longest path from `all` (Ansible's Group.depth). */
export function groupDepths(groups: Map<string, ParsedGroup>): Map<string, number> {
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const of = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (name === 'all' || visiting.has(name)) return 0; // loops are rejected while parsing
    visiting.add(name);
    const parents = groups.get(name)?.parents ?? [];
    const d = parents.length ? Math.max(...parents.map((p) => of(p) + 1)) : 1;
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  for (const name of groups.keys()) of(name);
  depth.set('all', 0);
  return depth;
}

const membership = new WeakMap<ParsedInventory, Map<string, string[]>>();

/** host -> the groups listing it directly, built once per inventory. */
function directGroups(inv: ParsedInventory): Map<string, string[]> {
  let index = membership.get(inv);
  if (!index) {
    index = new Map();
    for (const g of inv.groups.values()) for (const h of g.hosts) (index.get(h) ?? index.set(h, []).get(h)!).push(g.name);
    membership.set(inv, index);
  }
  return index;
}

/** Every group containing the host, directly or through children, `all` included. */
export function groupsOfHost(inv: ParsedInventory, host: string): Set<string> {
  const out = new Set<string>();
  const todo = [...(directGroups(inv).get(host) ?? [])];
  while (todo.length) {
    const g = todo.pop()!;
    if (out.has(g)) continue;
    out.add(g);
    todo.push(...(inv.groups.get(g)?.parents ?? []));
  }
  out.add('all');
  return out;
}

/** Groups in the order their vars apply (Ansible's sort_groups: depth, priority, name); `all` first. */
export function groupPrecedence(inv: ParsedInventory, names: Iterable<string>, depths = groupDepths(inv.groups)): ParsedGroup[] {
  const groups = [...names].map((n) => inv.groups.get(n)!).filter(Boolean);
  return groups.sort(
    (a, b) =>
      depths.get(a.name)! - depths.get(b.name)! ||
      a.priority - b.priority ||
      // Python compares strings by code point; so does `<` on the BMP.
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/** The inventory's levels for one host, lowest first (levels 2-7 above). */
export function inventoryLayers(inv: ParsedInventory, host: string, depths = groupDepths(inv.groups), files?: VarsFiles): VarLayer[] {
  const groups = groupPrecedence(inv, groupsOfHost(inv, host), depths);
  const layers = groups.map((g) => g.vars);
  if (files?.dirs) {
    const others = groups.filter((g) => g.name !== 'all');
    layers.push(...(files.groups.get('all') ?? []));
    for (let d = 0; d < files.dirs; d++) for (const g of others) layers.push(files.groups.get(g.name)?.[d] ?? new Map());
  }
  layers.push(inv.hosts.get(host)?.vars ?? new Map());
  if (files?.dirs) layers.push(...(files.hosts.get(host) ?? []));
  return layers;
}

/** Later layers replace earlier ones, key by key (whole values: no deep merge). */
export function mergeLayers(layers: readonly VarLayer[]): VarLayer {
  const out: VarLayer = new Map();
  for (const layer of layers) for (const [k, def] of layer) out.set(k, def);
  return out;
}

/** Plain values of a layer. */
export function layerValues(layer: VarLayer): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, def] of layer) out[k] = def.value;
  return out;
}
