/**
 * The groups and hosts every inventory source adds to, as Ansible's InventoryData keeps them:
 * one model shared by all `-i` sources (YAML, INI, host lists), so a host or group named in two
 * sources is one host or group. After the last source, as in Ansible (`finish`): groups without
 * a parent become children of `all`, hosts in no group but `all` go to `ungrouped`.
 *
 * Keys are kept in null-prototype objects or Maps throughout: a variable called `__proto__` is
 * rejected by the parsers, and must not reach Object.prototype on its way there.
 */
import type { PathSeg } from './locate.js';
import type { Finding, Origin, VarLayer } from './types.js';

export interface ParsedGroup {
  name: string;
  hosts: string[];
  children: string[];
  parents: string[];
  vars: VarLayer;
  /** ansible_group_priority (default 1): orders groups of equal depth before their names do. */
  priority: number;
  /** Where the group was first defined. */
  origin: Origin;
}

export interface ParsedHost {
  name: string;
  vars: VarLayer;
  /** The host's first listing: "the host's line". */
  origin: Origin;
}

export interface ParsedInventory {
  /** The sources as given (-i), in order. */
  sources: string[];
  groups: Map<string, ParsedGroup>;
  hosts: Map<string, ParsedHost>;
  /** Errors (as Findings: the caller adds file:line). */
  errors: Finding[];
  warnings: Finding[];
}

/** Variable names no inventory may use: they would reach Object.prototype in JavaScript. */
export const FORBIDDEN_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export class InventoryBuilder {
  readonly inv: ParsedInventory = { sources: [], groups: new Map(), hosts: new Map(), errors: [], warnings: [] };
  /** Each group's hosts as a set: large fleets list thousands of hosts in one group. */
  private readonly members = new Map<string, Set<string>>();

  constructor() {
    const origin: Origin = { file: 'inventory', path: [], where: 'inventory' };
    this.group('all', origin);
    this.group('ungrouped', origin);
    this.addChild('all', 'ungrouped');
  }

  group(name: string, origin: Origin): ParsedGroup {
    let g = this.inv.groups.get(name);
    if (!g) {
      g = { name, hosts: [], children: [], parents: [], vars: new Map(), priority: 1, origin };
      this.inv.groups.set(name, g);
    }
    return g;
  }

  /** Every group above `name`. */
  ancestors(name: string): Set<string> {
    const seen = new Set<string>();
    const todo = [...(this.inv.groups.get(name)?.parents ?? [])];
    while (todo.length) {
      const g = todo.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      todo.push(...(this.inv.groups.get(g)?.parents ?? []));
    }
    return seen;
  }

  /** Make `child` a child of `parent`; a message when that would make a loop. */
  addChild(parent: string, child: string): string | undefined {
    const p = this.inv.groups.get(parent)!;
    const c = this.inv.groups.get(child)!;
    if (p.children.includes(child)) return undefined;
    if (parent === child || this.ancestors(parent).has(child)) {
      return `group ${child} cannot be a child of ${parent}: ${child} already contains ${parent} (a group loop)`;
    }
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
    return undefined;
  }

  /** The host, created at its first listing; `port` applies only then, as Ansible's Host(name, port). */
  addHost(name: string, group: string | undefined, port: number | undefined, origin: Origin): ParsedHost {
    let host = this.inv.hosts.get(name);
    if (!host) {
      host = { name, vars: new Map(), origin };
      this.inv.hosts.set(name, host);
      if (port !== undefined) this.setVar(host.vars, 'ansible_port', port, origin);
    }
    if (group !== undefined) {
      const g = this.inv.groups.get(group)!;
      const set = this.members.get(group) ?? this.members.set(group, new Set(g.hosts)).get(group)!;
      if (!set.has(name)) {
        g.hosts.push(name);
        set.add(name);
      }
    }
    return host;
  }

  setVar(layer: VarLayer, key: string, value: unknown, origin: Origin): void {
    layer.set(key, { key, value, origin });
  }

  error(origin: Origin, message: string, at: 'key' | 'value' = 'key', subpath: PathSeg[] = []): void {
    this.inv.errors.push({ origin, at, message, subpath });
  }

  warn(origin: Origin, message: string): void {
    this.inv.warnings.push({ origin, at: 'key', message });
  }

  /** Ansible's reconcile_inventory, run once after every source is read. */
  private reconcile(): void {
    for (const g of this.inv.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const ungrouped = this.inv.groups.get('ungrouped')!;
    const member = new Map<string, Set<string>>();
    for (const g of this.inv.groups.values()) for (const h of g.hosts) (member.get(h) ?? member.set(h, new Set()).get(h)!).add(g.name);
    for (const h of this.inv.hosts.keys()) {
      const groups = member.get(h) ?? new Set();
      const others = [...groups].filter((g) => g !== 'all' && g !== 'ungrouped');
      if (others.length && groups.has('ungrouped')) ungrouped.hosts.splice(ungrouped.hosts.indexOf(h), 1);
      else if (!others.length && !groups.has('ungrouped')) ungrouped.hosts.push(h);
    }
    this.members.delete('ungrouped');
  }

  /** After the last source: names used as both host and group. */
  finish(): ParsedInventory {
    this.reconcile();
    for (const h of this.inv.hosts.values()) {
      if (this.inv.groups.has(h.name)) this.warn(h.origin, `${h.name} is both a host and a group: --limit ${h.name} selects the host`);
    }
    return this.inv;
  }
}
