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
import { FORBIDDEN_NAMES, InventoryBuilder, type ParsedInventory } from './data.js';
import { HostPatternError, expandHostKey } from './hosts-pattern.js';
import { didYouMean } from './suggest.js';
import { toPlain } from './yaml.js';
import type { Origin } from './types.js';

export type { ParsedGroup, ParsedHost, ParsedInventory } from './data.js';

const SECTIONS = ['hosts', 'children', 'vars'] as const;

/** One YAML inventory on its own (tests, single files). */
export function parseStructure(file: string, data: unknown): ParsedInventory {
  const b = new InventoryBuilder();
  b.inv.sources.push(file);
  addYamlSource(b, file, data);
  return b.finish();
}

/** A YAML inventory's groups and hosts, added to `b` (which then reconciles). */
export function addYamlSource(b: InventoryBuilder, file: string, data: unknown): void {
  new YamlSource(b, file).read(data);
}

type Group = ReturnType<InventoryBuilder['group']>;
type Section = Map<unknown, unknown>;
type EntryPath = (key: unknown) => PathSeg[];

/** One YAML file's reader: each level of the Ansible shape is a method. */
class YamlSource {
  constructor(
    private readonly b: InventoryBuilder,
    private readonly file: string,
  ) {}

  read(data: unknown): void {
    if (data === null || data === undefined) {
      this.error([], 'the inventory is empty: expected all: with hosts, children and vars');
      return;
    }
    if (!(data instanceof Map)) {
      this.error([], `an inventory must be a mapping of groups (all: ...), got ${kind(data)}`, 'value');
      return;
    }
    if (data.has('plugin')) {
      this.error(['plugin'], `not supported: this is an inventory plugin configuration (plugin: ${String(data.get('plugin'))}); fleet reads YAML and INI inventories, host lists and directories of them`);
      return;
    }
    for (const [name, gdata] of data) this.group(name, gdata, [name as PathSeg], true);
  }

  private origin(path: PathSeg[], where = 'inventory'): Origin {
    return { file: this.file, path, where };
  }

  private error(path: PathSeg[], message: string, at: 'key' | 'value' = 'key'): void {
    this.b.error(this.origin(path), message, at);
  }

  private forbidden(name: string, path: PathSeg[], what: string): boolean {
    if (!FORBIDDEN_NAMES.has(name)) return false;
    this.error(path, `${name} cannot be ${what} name (it is reserved)`);
    return true;
  }

  /** A group and everything under it; its name, or undefined when it is skipped or wrong. */
  private group(name: unknown, gdata: unknown, path: PathSeg[], topLevel = false): string | undefined {
    if (typeof name !== 'string' || name === '') {
      this.error(path, `group name ${JSON.stringify(name)} must be a non-empty string (quote it)`);
      return undefined;
    }
    // A top-level key that is no group at all is usually a holder of YAML anchors
    // (`x-defaults: &defaults {...}`): Ansible skips it with a warning, and so does fleet.
    const groupShaped = gdata instanceof Map && [...gdata.keys()].some((k) => (SECTIONS as readonly unknown[]).includes(k));
    if (topLevel && gdata !== null && gdata !== undefined && !groupShaped) {
      this.b.warn(this.origin(path), `skipped ${name}: not a group (it has no hosts, children or vars), as Ansible skips it`);
      if (gdata instanceof Map) this.b.group(name, this.origin(path));
      return undefined;
    }
    if (gdata !== null && gdata !== undefined && !(gdata instanceof Map)) {
      this.error(path, `group ${name} must be a mapping with hosts, children and vars, got ${kind(gdata)}`, 'value');
      return undefined;
    }
    if (this.forbidden(name, path, 'a group')) return undefined;
    if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) {
      this.error(path, `group name ${JSON.stringify(name)} contains a control character`);
      return undefined;
    }
    const group = this.b.group(name, this.origin(path));
    if (!gdata) return name;
    for (const [rawKey, rawVal] of gdata) this.section(group, name, rawKey, rawVal, [...path, rawKey as PathSeg]);
    return name;
  }

  /** One of a group's hosts:, children: or vars:. */
  private section(group: Group, name: string, rawKey: unknown, rawVal: unknown, spath: PathSeg[]): void {
    const key = String(rawKey);
    if (!(SECTIONS as readonly string[]).includes(key)) {
      const guess = didYouMean(key, SECTIONS);
      this.error(
        spath,
        `unexpected key ${key} in group ${name}: a group holds only hosts, children and vars` +
          (guess ? ` (did you mean ${guess}?)` : rawVal instanceof Map ? ` (if ${key} is a host, list it under hosts:; if a variable, under vars:)` : ` (if ${key} is a variable, put it under vars:)`),
      );
      return;
    }
    if (rawVal === null || rawVal === undefined) return;
    // Ansible accepts a bare string for one host or child: `hosts: gw01`.
    const section = typeof rawVal === 'string' ? new Map<unknown, unknown>([[rawVal, null]]) : rawVal;
    const entryPath: EntryPath = (k) => (typeof rawVal === 'string' ? spath : [...spath, k as PathSeg]);
    if (!(section instanceof Map)) {
      const hint = key === 'hosts' && Array.isArray(rawVal) ? ': write each host as a key (gw01:), not as a list item (- gw01)' : '';
      const shape = key === 'vars' ? 'a mapping of name: value' : key === 'hosts' ? 'a mapping of host: variables' : 'a mapping of group: definition';
      this.error(spath, `${key} of group ${name} must be ${shape}, got ${kind(rawVal)}${hint}`, 'value');
      return;
    }
    if (key === 'vars') this.vars(group, name, section, entryPath);
    else if (key === 'children') this.children(name, section, entryPath);
    else for (const [hkey, hdata] of section) this.host(group, name, hkey, hdata, entryPath(hkey));
  }

  private vars(group: Group, name: string, section: Section, entryPath: EntryPath): void {
    for (const [k, v] of section) {
      if (this.forbidden(String(k), entryPath(k), 'a variable')) continue;
      if (k === 'ansible_group_priority') {
        const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
        if (!Number.isInteger(n)) this.error(entryPath(k), `ansible_group_priority of group ${name} must be an integer, got ${JSON.stringify(v)}`, 'value');
        else group.priority = n;
        continue;
      }
      this.b.setVar(group.vars, String(k), toPlain(v), this.origin(entryPath(k), name === 'all' ? 'all.vars' : `group ${name} vars`));
    }
  }

  private children(name: string, section: Section, entryPath: EntryPath): void {
    for (const [child, cdata] of section) {
      const cpath = entryPath(child);
      const childName = this.group(child, cdata, cpath);
      if (childName === undefined) continue;
      const problem = this.b.addChild(name, childName);
      if (problem) this.error(cpath, problem);
    }
  }

  /** A host key (a name or a range like gw[01:03]) with its variables. */
  private host(group: Group, name: string, hkey: unknown, hdata: unknown, hpath: PathSeg[]): void {
    if (typeof hkey !== 'string' || hkey === '') {
      this.error(hpath, `host ${JSON.stringify(hkey)} in group ${name} must be a non-empty string: quote numbers (e.g. '10')`);
      return;
    }
    if (hdata !== null && hdata !== undefined && !(hdata instanceof Map)) {
      this.error(hpath, `host ${hkey} in group ${name} must map to its variables, got ${kind(hdata)}` + (typeof hdata === 'string' ? ` (for an address write ${hkey}: {host: ${hdata}})` : ''), 'value');
      return;
    }
    const badName = hostNameProblem(hkey);
    if (badName) {
      this.error(hpath, badName);
      return;
    }
    let expanded: { names: string[]; port?: number };
    try {
      expanded = expandHostKey(hkey);
    } catch (err) {
      if (!(err instanceof HostPatternError)) throw err;
      this.error(hpath, err.message);
      return;
    }
    for (const hname of expanded.names) {
      const where = `host ${hname}`;
      const host = this.b.addHost(hname, group.name, expanded.port, this.origin(hpath, where));
      for (const [k, v] of (hdata as Section | null | undefined) ?? []) {
        if (this.forbidden(String(k), [...hpath, k as PathSeg], 'a variable')) continue;
        this.b.setVar(host.vars, String(k), toPlain(v), this.origin([...hpath, k as PathSeg], where));
      }
    }
  }
}

/** Host names reach terminals and messages: no control characters, no blanks. */
export function hostNameProblem(name: string): string | undefined {
   
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return `host name ${JSON.stringify(name)} contains a control character`;
  if (/\s/.test(name)) return `host name ${JSON.stringify(name)} contains a blank`;
  if (FORBIDDEN_NAMES.has(name)) return `${name} cannot be a host name (it is reserved)`;
  return undefined;
}

function kind(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'a mapping';
  if (v === null || v === undefined) return 'nothing';
  return `${typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : 'a string'} (${JSON.stringify(v)})`;
}
