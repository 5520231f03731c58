/**
 * What `fleet inventory` prints, in ansible-inventory's shapes: --list is the inventory-script JSON
 * (`_meta.hostvars` plus each group's hosts and children, empty entries dropped, keys sorted),
 * --graph the `@group:` tree. Host variables are the raw merged ones (rawInventoryList) or the
 * merged, validated ones (inventoryList), secrets masked either way.
 */
import { InventoryError } from '../errors.js';
import { maskSecrets } from './mask.js';
import { didYouMean } from './suggest.js';
import type { Inventory } from './types.js';

/** ansible-inventory --list. */
export function inventoryList(inv: Inventory): Record<string, unknown> {
  const hostvars = Object.create(null) as Record<string, unknown>;
  for (const h of inv.hosts) hostvars[h.name] = maskSecrets({ ...(h.otherVars ?? {}), ...(h.vars as Record<string, unknown>) });
  return { _meta: { hostvars }, ...groupEntries(inv.groups) };
}

/**
 * ansible-inventory --list from the raw merged variables: `_meta.hostvars` for the selected hosts
 * that have any (secrets masked; a `!vault` value as ansible-inventory shows it, its ciphertext), and
 * every group's entry.
 */
export function rawInventoryList(groups: Inventory['groups'], selected: readonly string[], vars: Map<string, Record<string, unknown>>): Record<string, unknown> {
  const hostvars = Object.create(null) as Record<string, unknown>;
  for (const h of selected) {
    const v = vars.get(h);
    if (v && Object.keys(v).length) hostvars[h] = maskSecrets(v, { vault: 'ansible' });
  }
  return { _meta: { hostvars }, ...groupEntries(groups) };
}

/** The group part of --list: each group's hosts and children, empty entries left out, as Ansible does. */
export function groupEntries(groups: Inventory['groups']): Record<string, { hosts?: string[]; children?: string[] }> {
  const out = Object.create(null) as Record<string, { hosts?: string[]; children?: string[] }>;
  const seen = new Set<string>();
  const visit = (name: string) => {
    const g = groups[name];
    if (!g) return;
    const entry: { hosts?: string[]; children?: string[] } = {};
    if (name !== 'all' && g.hosts.length) entry.hosts = [...g.hosts];
    if (g.children.length) entry.children = [...g.children];
    if (Object.keys(entry).length) out[name] = entry;
    for (const child of g.children) {
      if (seen.has(child)) continue;
      seen.add(child);
      visit(child);
    }
  };
  visit('all');
  return out;
}

/** ansible-inventory --host NAME. */
export function hostVarsOf(inv: Inventory, name: string): Record<string, unknown> {
  const host = inv.hosts.find((h) => h.name === name);
  if (!host) {
    const guess = didYouMean(name, inv.hosts.map((h) => h.name));
    throw new InventoryError([{ location: { file: inv.file }, host: name, message: `no such host in the inventory${guess ? `: did you mean ${guess}?` : ''}` }]);
  }
  return maskSecrets({ ...(host.otherVars ?? {}), ...(host.vars as Record<string, unknown>) });
}

/** ansible-inventory --graph: children first, then the group's own hosts; `all` lists no hosts. */
export function inventoryGraph(inv: Pick<Inventory, 'file' | 'groups'>, root = 'all'): string {
  if (!inv.groups[root]) throw new InventoryError([{ location: { file: inv.file }, message: `no group named ${root}` }]);
  const lines: string[] = [];
  const name = (text: string, depth: number) => (depth ? `${'  |'.repeat(depth)}--${text}` : text);
  const walk = (group: string, depth: number) => {
    const g = inv.groups[group]!;
    lines.push(name(`@${group}:`, depth));
    for (const child of g.children) walk(child, depth + 1);
    if (group !== 'all') for (const h of g.hosts) lines.push(name(h, depth + 1));
  };
  walk(root, 0);
  return lines.join('\n');
}

/** JSON as ansible-inventory prints it: keys sorted at every level, four-space indent. */
export function toSortedJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 4);
}
