/**
 * loadInventory: the -i sources (sources.ts: YAML, INI, host lists, directories) → one set of
 * groups and hosts → group_vars/ and host_vars/ files (vars-files.ts) → per host: normalize each
 * level's names → merge by precedence (see merge.ts) → resolve the remaining ansible_* variables
 * → validate with hostVarsSchema → cross-field rules.
 *
 * Failure semantics: nothing is returned unless everything is valid. Every problem found is
 * reported at once in one InventoryError, each with file:line:column, host and field. A problem
 * defined once but shared by many hosts (a bad value in all.vars) is one issue naming the hosts.
 *
 * Only the hosts a command acts on are validated: with `limit`, the selected ones, so a database
 * host or `localhost ansible_connection=local` in a shared inventory does not block work on the
 * gateways. Syntax and structure errors still fail the whole inventory, and the uniqueness rules
 * still compare the selected hosts with every other valid host.
 *
 * Hosts come in Ansible's order (hostOrder): what `all[0]` and the outputs follow.
 */
import path from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import { InventoryError, formatIssue, type InventoryIssue, type SourceLocation } from '../errors.js';
import { InventoryBuilder, type ParsedInventory } from './data.js';
import { hostOrder } from './order.js';
import { readSources } from './sources.js';
import { loadVarsFiles, type VarsFiles } from './vars-files.js';
import { loadRoleDefaults, type RoleDefaults } from '../roles/defaults.js';
import { parseExtraVars } from './extra-vars.js';
import { selectHosts } from './limit.js';
import { Locator } from './locate.js';
import { groupDepths, inventoryLayers, groupsOfHost, mergeLayers, layerValues } from './merge.js';
import { normalizeLayer, resolveAnsibleVars } from './normalize.js';
import { checkFleet, checkHost, type RuleFinding } from './rules.js';
import type { HostVars } from './schema.js';
import { addYamlSource } from './structure.js';
import type { Connection, Finding, Host, Inventory, VarDef, VarLayer } from './types.js';
import { fieldName, validateHost } from './validate.js';
import { parseYaml } from './yaml.js';

export interface LoadOptions {
  /** Raw -e strings: key=value, @file.yaml or {mapping}. */
  extraVars?: string[];
  /** A --limit pattern. */
  limit?: string;
  /** Role defaults (lowest precedence); loaded from roles/ when omitted. */
  defaults?: RoleDefaults;
}

/** An inventory read from its sources, before any host is validated. */
export interface RawInventory {
  parsed: ParsedInventory;
  locator: Locator;
  files: VarsFiles;
  /** Host names in Ansible's order. */
  order: string[];
}

function fail(issues: InventoryIssue[]): never {
  throw new InventoryError(issues, { hint: 'fix the inventory; nothing was run on any host' });
}

/** Sources and vars files read, structure checked; throws InventoryError on any problem in them. */
export function readInventory(sources: string | readonly string[]): RawInventory {
  const { parsed, locator, varsDirs } = readSources(typeof sources === 'string' ? [sources] : sources);
  return finishRead(parsed, locator, varsDirs);
}

function finishRead(parsed: ParsedInventory, locator: Locator, varsDirs: string[]): RawInventory {
  const issues = collect(parsed.errors, locator);
  if (issues.length) fail(issues);
  const fileIssues: InventoryIssue[] = [];
  const files = loadVarsFiles(parsed, varsDirs, locator, fileIssues);
  if (fileIssues.length) fail(fileIssues);
  return { parsed, locator, files, order: hostOrder(parsed) };
}

export function loadInventory(sources: string | readonly string[], opts: LoadOptions = {}): Inventory {
  return buildInventory(readInventory(sources), opts);
}

/** The same, from YAML text already in memory (tests, an edited inventory); vars files beside `file` apply. */
export function loadInventoryText(text: string, file: string, opts: LoadOptions = {}): Inventory {
  const loaded = parseYaml(text, file);
  if (loaded.issues.length) throw new InventoryError(loaded.issues);
  const b = new InventoryBuilder();
  b.inv.sources.push(file);
  addYamlSource(b, file, loaded.data);
  const locator = new Locator();
  locator.add(loaded.source);
  return buildInventory(finishRead(b.finish(), locator, [path.dirname(file)]), opts);
}

/** Parse and check the structure only (one file); throws InventoryError on any problem. */
export function parseInventoryFile(file: string): { parsed: ParsedInventory; locator: Locator; warnings: string[] } {
  const raw = readInventory(file);
  return { parsed: raw.parsed, locator: raw.locator, warnings: collect(raw.parsed.warnings, raw.locator).map(formatIssue) };
}

/**
 * Inventory-level merged variables of every host (levels 2-7, Ansible names kept, no validation):
 * what `ansible-inventory --list` shows as _meta.hostvars. `extra` (the -e layer) goes on top.
 */
export function inventoryHostVars(raw: RawInventory | ParsedInventory, extra?: VarLayer): Map<string, Record<string, unknown>> {
  const parsed = 'parsed' in raw ? raw.parsed : raw;
  const files = 'parsed' in raw ? raw.files : undefined;
  const depths = groupDepths(parsed.groups);
  const out = new Map<string, Record<string, unknown>>();
  const names = 'parsed' in raw ? raw.order : [...parsed.hosts.keys()];
  for (const name of names) out.set(name, layerValues(mergeLayers([...inventoryLayers(parsed, name, depths, files), ...(extra ? [extra] : [])])));
  return out;
}

/** The -e layer, raw (Ansible's names kept); throws InventoryError on a bad -e. */
export function extraVarsLayer(raw: RawInventory, extraVars: readonly string[]): VarLayer {
  const early: InventoryIssue[] = [];
  const extra = parseExtraVars(extraVars, raw.locator, early);
  if (early.length) throw new InventoryError(early);
  return extra;
}

/** The public Inventory's skeleton (names and groups, no variables): what --limit selects from. */
export function skeletonOf(raw: RawInventory, file: string): Inventory {
  return {
    file,
    groups: groupsOf(raw.parsed),
    warnings: [],
    hosts: raw.order.map((name) => ({ name, groups: [], vars: {} as HostVars, connection: {} as Connection })),
  };
}

function buildInventory(raw: RawInventory, opts: LoadOptions): Inventory {
  const { parsed, locator } = raw;
  const file = parsed.sources.join(', ');
  const extra = extraVarsLayer(raw, opts.extraVars ?? []);

  const errors: Finding[] = [];
  const warnings: Finding[] = [...parsed.warnings];
  if (!parsed.hosts.size) warnings.push({ origin: { file, path: [], where: 'inventory' }, message: 'the inventory has no hosts' });
  const defaultsLayer = roleDefaultsLayer(opts.defaults ?? loadRoleDefaults(), locator);
  const extraLayer = normalizeLayer(extra, warnings);
  const depths = groupDepths(parsed.groups);

  const groups = groupsOf(parsed);
  const skeleton = skeletonOf(raw, file);
  const selected = new Set((opts.limit ? selectHosts(skeleton, opts.limit) : skeleton.hosts).map((h) => h.name));

  const valid: { name: string; vars: HostVars; defs: VarLayer; origin: VarDef['origin'] }[] = [];
  const hosts: Host[] = [];
  for (const name of raw.order) {
    const ph = parsed.hosts.get(name)!;
    const isSelected = selected.has(ph.name);
    const hostErrors: Finding[] = [];
    const hostWarnings: Finding[] = [];
    const layers = [defaultsLayer, ...inventoryLayers(parsed, ph.name, depths, raw.files).map((l) => normalizeLayer(l, hostWarnings)), extraLayer];
    const merged = resolveAnsibleVars(ph.name, mergeLayers(layers), hostErrors, hostWarnings);
    const hostOrigin = ph.origin;
    const result = validateHost(ph.name, merged, hostOrigin);
    hostErrors.push(...result.errors);
    if (isSelected && result.vars) hostErrors.push(...controllerFileFindings(ph.name, result.vars, merged));
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
    const host: Host = {
      name: ph.name,
      groups: [...groupsOfHost(parsed, ph.name)].filter((g) => g !== 'all').sort(),
      vars: result.vars,
      connection: connectionOf(result.vars),
    };
    if (result.other && Object.keys(result.other).length) host.otherVars = result.other;
    hosts.push(host);
  }

  const validByName = new Map(valid.map((v) => [v.name, v]));
  for (const f of checkFleet(valid)) {
    if (!selected.has(f.host)) continue;
    const v = validByName.get(f.host)!;
    const [finding] = ruleFindings([f], v.defs, v.origin);
    (f.severity === 'error' ? errors : warnings).push(finding!);
  }

  const issues = collect(errors, locator);
  if (issues.length) fail(issues);

  for (const g of Object.values(groups)) g.hosts = g.hosts.filter((h) => selected.has(h));
  return { file, hosts, groups, warnings: collect(warnings, locator).map(formatIssue) };
}

const CONTROLLER_FILES = ['openvpn_config_file', 'provider_config_file', 'key_file', 'known_hosts_file'] as const;

/**
 * The files a host names on this machine must be regular files where they exist: /dev/zero as a
 * key would be read forever, a directory as known_hosts fails deep in the transport. Caught here,
 * before any host is contacted, naming the variable; a missing file is reported where it is read.
 */
function controllerFileFindings(host: string, vars: HostVars, defs: VarLayer): Finding[] {
  const out: Finding[] = [];
  for (const name of CONTROLLER_FILES) {
    const file = vars[name];
    if (typeof file !== 'string') continue;
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(file);
    } catch {
      continue;
    }
    if (st.isFile()) continue;
    const def = defs.get(name);
    const why = st.isDirectory() ? 'it is a directory, not a regular file' : 'not a regular file (a device, FIFO or socket)';
    out.push({ origin: def?.origin ?? { file: 'inventory', path: [], where: 'inventory' }, at: 'value', host, field: def?.key ?? name, message: `${file}: ${why}` });
  }
  return out;
}

/** The groups as the public Inventory shows them. */
export function groupsOf(parsed: ParsedInventory): Inventory['groups'] {
  const groups = Object.create(null) as Inventory['groups'];
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
export function collect(findings: Finding[], locator: Locator): InventoryIssue[] {
  const byKey = new Map<string, { issue: InventoryIssue; hosts: string[] }>();
  for (const f of findings) {
    const location: SourceLocation = locator.locate(f.origin.file, [...f.origin.path, ...(f.subpath ?? [])], f.at ?? 'value');
    const key = JSON.stringify([location, f.field, f.message]);
    const entry = byKey.get(key);
    if (entry) {
      if (f.host && !entry.hosts.includes(f.host)) entry.hosts.push(f.host);
      continue;
    }
    const issue: InventoryIssue = { location, message: printable(f.message) };
    if (f.field) issue.field = printable(f.field);
    byKey.set(key, { issue, hosts: f.host ? [f.host] : [] });
  }
  const out = [...byKey.values()].map(({ issue, hosts }) => (hosts.length ? { ...issue, host: printable(hostList(hosts)) } : issue));
  return out.sort(
    (a, b) =>
      (a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : 0) ||
      (a.location.line ?? 0) - (b.location.line ?? 0) ||
      (a.location.column ?? 0) - (b.location.column ?? 0),
  );
}

/** Text for a terminal: control characters (ESC, BEL, ...) shown as \\xNN, never sent as they are. */
export function printable(text: string): string {
   
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function hostList(hosts: string[]): string {
  return hosts.length <= 3 ? hosts.join(', ') : `${hosts.slice(0, 3).join(', ')} and ${hosts.length - 3} more`;
}
