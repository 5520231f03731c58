/**
 * The Ansible shape of a YAML inventory, read as ansible-core 2.14's yaml inventory plugin reads it:
 *
 *   all:                      # top-level keys are groups; `all` is the root
 *     vars: {...}             # vars at every level
 *     hosts:
 *       gw[01:03]: {...}      # a key is a host pattern; its mapping holds host vars
 *     children:
 *       eu: {hosts, children, vars}
 *
 * A host may be listed in several groups: it is one host, member of each, and its vars from every
 * listing combine (a later listing wins per key). A group may be defined in several places too.
 * Afterwards, as Ansible's reconcile_inventory does: groups without a parent become children of
 * `all`, hosts in no group but `all` go to `ungrouped`.
 *
 * Where Ansible only warns and skips (an unexpected key in a group, a group that is not a mapping),
 * fleet reports an error: a misspelt `host:` for `hosts:` would otherwise drop gateways silently.
 */
import type { PathSeg } from './locate.js';
import { HostPatternError, expandHostKey } from './hosts-pattern.js';
import { didYouMean } from './suggest.js';
import { toPlain } from './yaml.js';
import type { Finding, Origin, VarLayer } from './types.js';

export interface ParsedGroup {
  name: string;
  hosts: string[];
  children: string[];
  parents: string[];
  vars: VarLayer;
  /** ansible_group_priority (default 1): orders groups of equal depth before their names do. */
  priority: number;
  /** Path to the group's first definition (its key). */
  path: PathSeg[];
}

export interface ParsedHost {
  name: string;
  vars: VarLayer;
  /** Path to the host's first listing (its key in a `hosts:` map): "the host's line". */
  path: PathSeg[];
}

export interface ParsedInventory {
  file: string;
  groups: Map<string, ParsedGroup>;
  hosts: Map<string, ParsedHost>;
  /** Errors (as Findings: the caller adds file:line). */
  errors: Finding[];
  warnings: Finding[];
}

const SECTIONS = ['hosts', 'children', 'vars'] as const;

export function parseStructure(file: string, data: unknown): ParsedInventory {
  const inv: ParsedInventory = { file, groups: new Map(), hosts: new Map(), errors: [], warnings: [] };
  const origin = (path: PathSeg[], where = 'inventory'): Origin => ({ file, path, where });
  const error = (path: PathSeg[], message: string, at: 'key' | 'value' = 'key') => inv.errors.push({ origin: origin(path), at, message });

  const memberSets = new Map<ParsedGroup, Set<string>>();
  const members = (g: ParsedGroup) => memberSets.get(g) ?? memberSets.set(g, new Set(g.hosts)).get(g)!;

  const ensureGroup = (name: string, path: PathSeg[]): ParsedGroup => {
    let g = inv.groups.get(name);
    if (!g) {
      g = { name, hosts: [], children: [], parents: [], vars: new Map(), priority: 1, path };
      inv.groups.set(name, g);
    }
    return g;
  };

  const ancestors = (name: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [...(inv.groups.get(name)?.parents ?? [])];
    while (todo.length) {
      const g = todo.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      todo.push(...(inv.groups.get(g)?.parents ?? []));
    }
    return seen;
  };

  const addChild = (parent: string, child: string, path: PathSeg[]) => {
    const p = inv.groups.get(parent)!;
    const c = inv.groups.get(child)!;
    if (p.children.includes(child)) return;
    if (parent === child || ancestors(parent).has(child)) {
      error(path, `group ${child} cannot be a child of ${parent}: ${child} already contains ${parent} (a group loop)`);
      return;
    }
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
  };

  ensureGroup('all', ['all']);
  ensureGroup('ungrouped', ['all']);
  addChild('all', 'ungrouped', ['all']);

  const parseGroup = (name: unknown, gdata: unknown, path: PathSeg[], topLevel = false): string | undefined => {
    if (typeof name !== 'string' || name === '') {
      error(path, `group name ${JSON.stringify(name)} must be a non-empty string (quote it)`);
      return undefined;
    }
    // A top-level key that is no group at all is usually a holder of YAML anchors
    // (`x-defaults: &defaults {...}`): Ansible skips it with a warning, and so does fleet.
    const groupShaped = gdata instanceof Map && [...gdata.keys()].some((k) => (SECTIONS as readonly unknown[]).includes(k));
    if (topLevel && gdata !== null && gdata !== undefined && !groupShaped) {
      inv.warnings.push({ origin: origin(path), at: 'key', message: `skipped ${name}: not a group (it has no hosts, children or vars), as Ansible skips it` });
      if (gdata instanceof Map) ensureGroup(name, path);
      return undefined;
    }
    if (gdata !== null && gdata !== undefined && !(gdata instanceof Map)) {
      error(path, `group ${name} must be a mapping with hosts, children and vars, got ${kind(gdata)}`, 'value');
      return undefined;
    }
    const group = ensureGroup(name, path);
    if (!gdata) return name;
    for (const [rawKey, rawVal] of gdata) {
      const key = String(rawKey);
      const spath = [...path, rawKey as PathSeg];
      if (!(SECTIONS as readonly string[]).includes(key)) {
        const guess = didYouMean(key, SECTIONS);
        error(
          spath,
          `unexpected key ${key} in group ${name}: a group holds only hosts, children and vars` +
            (guess ? ` (did you mean ${guess}?)` : rawVal instanceof Map ? ` (if ${key} is a host, list it under hosts:; if a variable, under vars:)` : ` (if ${key} is a variable, put it under vars:)`),
        );
        continue;
      }
      if (rawVal === null || rawVal === undefined) continue;
      // Ansible accepts a bare string for one host or child: `hosts: gw01`.
      const section = typeof rawVal === 'string' ? new Map<unknown, unknown>([[rawVal, null]]) : rawVal;
      const entryPath = (k: unknown): PathSeg[] => (typeof rawVal === 'string' ? spath : [...spath, k as PathSeg]);
      if (!(section instanceof Map)) {
        const hint = key === 'hosts' && Array.isArray(rawVal) ? ': write each host as a key (gw01:), not as a list item (- gw01)' : '';
        const shape = key === 'vars' ? 'a mapping of name: value' : key === 'hosts' ? 'a mapping of host: variables' : 'a mapping of group: definition';
        error(spath, `${key} of group ${name} must be ${shape}, got ${kind(rawVal)}${hint}`, 'value');
        continue;
      }
      if (key === 'vars') {
        for (const [k, v] of section) {
          if (k === 'ansible_group_priority') {
            const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
            if (!Number.isInteger(n)) error(entryPath(k), `ansible_group_priority of group ${name} must be an integer, got ${JSON.stringify(v)}`, 'value');
            else group.priority = n;
            continue;
          }
          group.vars.set(String(k), { key: String(k), value: toPlain(v), origin: origin(entryPath(k), name === 'all' ? 'all.vars' : `group ${name} vars`) });
        }
      } else if (key === 'children') {
        for (const [child, cdata] of section) {
          const cpath = entryPath(child);
          const childName = parseGroup(child, cdata, cpath);
          if (childName !== undefined) addChild(name, childName, cpath);
        }
      } else {
        for (const [hkey, hdata] of section) {
          const hpath = entryPath(hkey);
          if (typeof hkey !== 'string' || hkey === '') {
            error(hpath, `host ${JSON.stringify(hkey)} in group ${name} must be a non-empty string: quote numbers (e.g. '10')`);
            continue;
          }
          if (hdata !== null && hdata !== undefined && !(hdata instanceof Map)) {
            error(
              hpath,
              `host ${hkey} in group ${name} must map to its variables, got ${kind(hdata)}` +
                (typeof hdata === 'string' ? ` (for an address write ${hkey}: {host: ${hdata}})` : ''),
              'value',
            );
            continue;
          }
          let expanded: { names: string[]; port?: number };
          try {
            expanded = expandHostKey(hkey);
          } catch (err) {
            if (!(err instanceof HostPatternError)) throw err;
            error(hpath, err.message);
            continue;
          }
          for (const hname of expanded.names) {
            let host = inv.hosts.get(hname);
            const isNew = !host;
            if (!host) {
              host = { name: hname, vars: new Map(), path: hpath };
              inv.hosts.set(hname, host);
            }
            if (!members(group).has(hname)) {
              group.hosts.push(hname);
              members(group).add(hname);
            }
            const where = `host ${hname}`;
            // As Ansible's Host(name, port): the port of `gw1:2222` applies where the host is first seen.
            if (isNew && expanded.port !== undefined) {
              host.vars.set('ansible_port', { key: 'ansible_port', value: expanded.port, origin: origin(hpath, where) });
            }
            for (const [k, v] of hdata ?? []) {
              host.vars.set(String(k), { key: String(k), value: toPlain(v), origin: origin([...hpath, k as PathSeg], where) });
            }
          }
        }
      }
    }
    return name;
  };

  if (data === null || data === undefined) {
    error([], 'the inventory is empty: expected all: with hosts, children and vars');
    return inv;
  }
  if (!(data instanceof Map)) {
    error([], `an inventory must be a mapping of groups (all: ...), got ${kind(data)}`, 'value');
    return inv;
  }
  if (data.has('plugin')) {
    error(['plugin'], 'this is an inventory plugin configuration, not a YAML inventory: fleet reads only YAML inventories (all: hosts/children/vars)');
    return inv;
  }
  for (const [name, gdata] of data) parseGroup(name, gdata, [name as PathSeg], true);

  // reconcile_inventory: every group descends from all; hosts in no other group are `ungrouped`.
  for (const g of inv.groups.values()) {
    if (g.name !== 'all' && g.parents.length === 0) addChild('all', g.name, g.path);
  }
  const ungrouped = inv.groups.get('ungrouped')!;
  const member = new Map<string, Set<string>>();
  for (const g of inv.groups.values()) for (const h of g.hosts) (member.get(h) ?? member.set(h, new Set()).get(h)!).add(g.name);
  for (const h of inv.hosts.keys()) {
    const groups = member.get(h) ?? new Set();
    const others = [...groups].filter((g) => g !== 'all' && g !== 'ungrouped');
    if (others.length && groups.has('ungrouped')) ungrouped.hosts.splice(ungrouped.hosts.indexOf(h), 1);
    else if (!others.length && !groups.has('ungrouped')) ungrouped.hosts.push(h);
  }
  for (const h of inv.hosts.values()) {
    if (inv.groups.has(h.name)) {
      inv.warnings.push({ origin: origin(h.path), at: 'key', message: `${h.name} is both a host and a group: --limit ${h.name} selects the host` });
    }
  }
  return inv;
}

function kind(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'a mapping';
  if (v === null || v === undefined) return 'nothing';
  return `${typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : 'a string'} (${JSON.stringify(v)})`;
}
