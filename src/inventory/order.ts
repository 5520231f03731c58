/**
 * Host order as Ansible's Group.get_hosts() gives it: the group's own hosts, then its children's
 * (in the order they were added), then their children's, level by level, each host where it is
 * first met. `all[0]`, `eu[-1]` and every list of hosts fleet prints follow this order.
 *
 * Within one level below the children, Ansible walks a Python set, whose order is not defined;
 * fleet takes the groups in the order of the level above, which is what Ansible gives whenever
 * no two groups at that level hold hosts the other does not.
 */
import type { ParsedInventory } from './data.js';

interface GroupTree {
  hosts: readonly string[];
  children: readonly string[];
}

/** The groups below `root`, `root` first, level by level (Ansible's get_descendants with preserve_ordering). */
export function descendants(groups: { get(name: string): GroupTree | undefined }, root: string): string[] {
  const ordered = [root];
  const seen = new Set([root]);
  let level = [root];
  while (level.length) {
    const next: string[] = [];
    for (const g of level) {
      for (const child of groups.get(g)?.children ?? []) {
        if (seen.has(child)) continue;
        seen.add(child);
        ordered.push(child);
        next.push(child);
      }
    }
    level = next;
  }
  return ordered;
}

/** A group's hosts, its descendants' included, in Ansible's order. */
export function hostsOfGroup(groups: { get(name: string): GroupTree | undefined }, root: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const g of descendants(groups, root)) {
    for (const h of groups.get(g)?.hosts ?? []) {
      if (seen.has(h)) continue;
      seen.add(h);
      out.push(h);
    }
  }
  return out;
}

/** Every host of the inventory in Ansible's order (that of `all`). */
export function hostOrder(parsed: ParsedInventory): string[] {
  const ordered = hostsOfGroup(parsed.groups, 'all');
  // Every host is in some group after reconcile; keep any other at the end rather than lose it.
  const seen = new Set(ordered);
  for (const h of parsed.hosts.keys()) if (!seen.has(h)) ordered.push(h);
  return ordered;
}
