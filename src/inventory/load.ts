/**
 * loadInventory: file → parse (YAML with positions) → structure (Ansible's groups and hosts) →
 * per host: normalize each level's names → merge by precedence (see merge.ts) → resolve the
 * remaining ansible_* variables → validate with hostVarsSchema → cross-field rules.
 *
 * Failure semantics: nothing is returned unless everything is valid. Every problem found is
 * reported at once in one InventoryError, each with file:line:column, host and field. A problem
 * defined once but shared by many hosts (a bad value in all.vars) is one issue naming the hosts.
 *
 * With `limit`, only the selected hosts are validated and returned, so one half-configured gateway
 * does not block work on the others; YAML and structure errors still fail the whole file, and the
 * uniqueness rules still compare the selected hosts with every other valid host.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { InventoryError, formatIssue, type InventoryIssue, type SourceLocation } from '../errors.js';
import { loadRoleDefaults, type RoleDefaults } from '../roles/defaults.js';
import { parseExtraVars } from './extra-vars.js';
import { selectHosts } from './limit.js';
import { Locator } from './locate.js';
import { groupDepths, inventoryLayers, groupsOfHost, mergeLayers, layerValues } from './merge.js';
import { normalizeLayer, resolveAnsibleVars } from './normalize.js';
import { checkFleet, checkHost, type RuleFinding } from './rules.js';
import type { HostVars } from './schema.js';
import { parseStructure, type ParsedInventory } from './structure.js';
import type { Connection, Finding, Host, Inventory, VarDef, VarLayer } from './types.js';
import { fieldName, validateHost } from './validate.js';
import { parseYaml, readYamlFile } from './yaml.js';

export interface LoadOptions {
  /** Raw -e strings: key=value, @file.yaml or {mapping}. */
  extraVars?: string[];
  /** A --limit pattern. */
  limit?: string;
  /** Role defaults (lowest precedence); loaded from roles/ when omitted. */
  defaults?: RoleDefaults;
}

export function loadInventory(file: string, opts: LoadOptions = {}): Inventory {
  return buildInventory(readYamlFile(file), file, opts);
}

/** The same, from text already in memory (tests, generated inventories). */
export function loadInventoryText(text: string, file: string, opts: LoadOptions = {}): Inventory {
  return buildInventory(parseYaml(text, file), file, opts);
}

/** Parse and check the structure only; throws InventoryError on YAML or structure errors. */
export function parseInventoryFile(file: string): { parsed: ParsedInventory; locator: Locator; warnings: string[] } {
  const loaded = readYamlFile(file);
  const locator = new Locator();
  locator.add(loaded.source);
  if (loaded.issues.length) throw new InventoryError(loaded.issues);
  const parsed = parseStructure(file, loaded.data);
  const issues = collect(parsed.errors, locator);
  if (issues.length) throw new InventoryError(issues);
  return { parsed, locator, warnings: collect(parsed.warnings, locator).map(formatIssue) };
}

/**
 * Inventory-level merged variables of every host (levels 2-4, Ansible names kept, no validation):
 * what `ansible-inventory --list` shows as _meta.hostvars.
 */
export function inventoryHostVars(parsed: ParsedInventory): Map<string, Record<string, unknown>> {
  const depths = groupDepths(parsed.groups);
  const out = new Map<string, Record<string, unknown>>();
  for (const name of parsed.hosts.keys()) out.set(name, layerValues(mergeLayers(inventoryLayers(parsed, name, depths))));
  return out;
}

function buildInventory(loaded: ReturnType<typeof readYamlFile>, file: string, opts: LoadOptions): Inventory {
  const locator = new Locator();
  locator.add(loaded.source);
  if (loaded.issues.length) throw new InventoryError(loaded.issues);

  const parsed = parseStructure(file, loaded.data);
  const early: InventoryIssue[] = collect(parsed.errors, locator);
  const extra = parseExtraVars(opts.extraVars ?? [], locator, early);
  if (early.length) throw new InventoryError(early);

  const errors: Finding[] = [];
  const warnings: Finding[] = [...parsed.warnings];
  if (!parsed.hosts.size) warnings.push({ origin: { file, path: [], where: 'inventory' }, message: 'the inventory has no hosts' });
  const defaultsLayer = roleDefaultsLayer(opts.defaults ?? loadRoleDefaults(), locator);
  const extraLayer = normalizeLayer(extra, warnings);
  const depths = groupDepths(parsed.groups);

  const groups = groupsOf(parsed);
  const skeleton: Inventory = {
    file,
    groups,
    warnings: [],
    hosts: [...parsed.hosts.keys()].map((name) => ({ name, groups: [], vars: {} as HostVars, connection: {} as Connection })),
  };
  const selected = new Set((opts.limit ? selectHosts(skeleton, opts.limit) : skeleton.hosts).map((h) => h.name));

  const valid: { name: string; vars: HostVars; defs: VarLayer; origin: VarDef['origin'] }[] = [];
  const hosts: Host[] = [];
  for (const ph of parsed.hosts.values()) {
    const isSelected = selected.has(ph.name);
    const hostErrors: Finding[] = [];
    const hostWarnings: Finding[] = [];
    const layers = [defaultsLayer, ...inventoryLayers(parsed, ph.name, depths).map((l) => normalizeLayer(l, hostWarnings)), extraLayer];
    const merged = resolveAnsibleVars(ph.name, mergeLayers(layers), hostErrors, hostWarnings);
    const hostOrigin = { file, path: ph.path, where: `host ${ph.name}` };
    const result = validateHost(ph.name, merged, hostOrigin);
    hostErrors.push(...result.errors);
    if (result.vars) hostErrors.push(...ruleFindings(checkHost(ph.name, result.vars), merged, hostOrigin));
    if (!isSelected) {
      // Only its uniqueness counts (another selected host may clash with it).
      if (result.vars && !hostErrors.length) valid.push({ name: ph.name, vars: result.vars, defs: merged, origin: hostOrigin });
      continue;
    }
    errors.push(...hostErrors);
    warnings.push(...hostWarnings);
    if (!result.vars || hostErrors.length) continue;
    valid.push({ name: ph.name, vars: result.vars, defs: merged, origin: hostOrigin });
    hosts.push({
      name: ph.name,
      groups: [...groupsOfHost(parsed, ph.name)].filter((g) => g !== 'all').sort(),
      vars: result.vars,
      connection: connectionOf(result.vars),
    });
  }

  const validByName = new Map(valid.map((v) => [v.name, v]));
  for (const f of checkFleet(valid)) {
    if (!selected.has(f.host)) continue;
    const v = validByName.get(f.host)!;
    const [finding] = ruleFindings([f], v.defs, v.origin);
    (f.severity === 'error' ? errors : warnings).push(finding!);
  }

  const issues = collect(errors, locator);
  if (issues.length) throw new InventoryError(issues, { hint: 'fix the inventory; nothing was run on any host' });

  for (const g of Object.values(groups)) g.hosts = g.hosts.filter((h) => selected.has(h));
  return { file, hosts, groups, warnings: collect(warnings, locator).map(formatIssue) };
}

/** The groups as the public Inventory shows them. */
export function groupsOf(parsed: ParsedInventory): Inventory['groups'] {
  const groups: Inventory['groups'] = {};
  for (const g of parsed.groups.values()) {
    groups[g.name] = { hosts: [...g.hosts], children: [...g.children], vars: layerValues(g.vars) };
  }
  return groups;
}

function connectionOf(v: HostVars): Connection {
  const c: Connection = { host: v.host, port: v.port, user: v.user, become: v.become, connectTimeout: v.connect_timeout };
  if (v.key_file !== undefined) c.keyFile = v.key_file;
  if (v.known_hosts_file !== undefined) c.knownHostsFile = v.known_hosts_file;
  if (v.proxy_jump !== undefined) c.proxyJump = (Array.isArray(v.proxy_jump) ? v.proxy_jump : v.proxy_jump.split(',')).map((h) => h.trim());
  return c;
}

function ruleFindings(found: RuleFinding[], defs: VarLayer, hostOrigin: VarDef['origin']): Finding[] {
  return found.map((f) => {
    const def = defs.get(String(f.path[0]));
    return {
      origin: def?.origin ?? hostOrigin,
      subpath: def ? f.path.slice(1) : [],
      at: def ? 'value' : 'key',
      host: f.host,
      field: def ? fieldName(def, f.path) : String(f.path[0]),
      message: f.message,
    };
  });
}

/** Role defaults as the lowest level, located in their defaults.yaml. */
function roleDefaultsLayer(defaults: RoleDefaults, locator: Locator): VarLayer {
  const layer: VarLayer = new Map();
  for (const [key, value] of Object.entries(defaults.vars)) {
    const source = defaults.sources[key];
    const file = source ? relative(source) : 'role defaults';
    if (source && !locator.has(file)) {
      try {
        locator.add(parseYaml(readFileSync(source, 'utf8'), file).source);
      } catch {
        // Without positions the message still names the file.
      }
    }
    const role = source ? path.basename(path.dirname(source)) : '?';
    layer.set(key, { key, value, origin: { file, path: [key], where: `role defaults (${role})` } });
  }
  return normalizeLayer(layer, []);
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/**
 * Findings to issues: locate each, and fold the same problem at the same place for several hosts
 * into one issue naming them all (a bad value in all.vars is one line, not one per host).
 */
function collect(findings: Finding[], locator: Locator): InventoryIssue[] {
  const byKey = new Map<string, { issue: InventoryIssue; hosts: string[] }>();
  for (const f of findings) {
    const location: SourceLocation = locator.locate(f.origin.file, [...f.origin.path, ...(f.subpath ?? [])], f.at ?? 'value');
    const key = JSON.stringify([location, f.field, f.message]);
    const entry = byKey.get(key);
    if (entry) {
      if (f.host && !entry.hosts.includes(f.host)) entry.hosts.push(f.host);
      continue;
    }
    const issue: InventoryIssue = { location, message: f.message };
    if (f.field) issue.field = f.field;
    byKey.set(key, { issue, hosts: f.host ? [f.host] : [] });
  }
  const out = [...byKey.values()].map(({ issue, hosts }) => (hosts.length ? { ...issue, host: hostList(hosts) } : issue));
  return out.sort(
    (a, b) =>
      (a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : 0) ||
      (a.location.line ?? 0) - (b.location.line ?? 0) ||
      (a.location.column ?? 0) - (b.location.column ?? 0),
  );
}

function hostList(hosts: string[]): string {
  return hosts.length <= 3 ? hosts.join(', ') : `${hosts.slice(0, 3).join(', ')} and ${hosts.length - 3} more`;
}
