/**
 * The `-i` sources, read into one set of groups and hosts as Ansible's InventoryManager does:
 *
 *   -i FILE         a YAML inventory, else an INI one (as Ansible tries its yaml plugin, then ini)
 *   -i DIR          every entry, sorted, recursively; hidden entries, group_vars/, host_vars/ and
 *                   Ansible's ignored extensions (.ini .cfg .md .txt .bak .orig .retry ...) skipped
 *   -i 'h1,h2,'     a host list: a value with a comma that is no existing path
 *   -i A -i B       each in order, into the same groups and hosts
 *
 * Inventory plugin configurations (`plugin: aws_ec2`), inventory scripts (a `#!` file) and TOML
 * inventories are not supported: each is an error that says so, naming the file.
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { InventoryError, type InventoryIssue } from '../errors.js';
import { readRegularText } from '../fs/read-regular-file.js';
import { InventoryBuilder, type ParsedInventory } from './data.js';
import { addIniSource } from './ini.js';
import { Locator } from './locate.js';
import { hostNameProblem, addYamlSource } from './structure.js';
import { MAX_INVENTORY_BYTES, parseYaml } from './yaml.js';
import { parseAddress } from './hosts-pattern.js';

/** Ansible's INVENTORY_IGNORE_EXTS (REJECT_EXTS plus .orig .ini .cfg .retry), matched at the end of a name. */
export const IGNORED_EXTENSIONS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const IGNORED_NAMES = new Set(['host_vars', 'group_vars', 'vars_plugins']);
const YAML_EXTENSIONS = new Set(['', '.yaml', '.yml', '.json']);
/** A file without extension that neither plugin reads: report it as YAML when it is written like YAML. */
const LOOKS_LIKE_YAML = /^(?:---|[A-Za-z_][\w.-]*:[ \t]*(?:#.*)?$)/m;
const INI_SECTION = /^[ \t]*\[[^\]\s:]+(?::\w+)?\][ \t]*$/m;

export function ignoredInDirectory(name: string): boolean {
  return name.startsWith('.') || IGNORED_NAMES.has(name) || IGNORED_EXTENSIONS.some((ext) => name.endsWith(ext));
}

export interface ReadSources {
  parsed: ParsedInventory;
  locator: Locator;
  /** Where each source's group_vars/ and host_vars/ are looked for, in source order (host lists have none). */
  varsDirs: string[];
}

/** Every source into one inventory. Throws InventoryError for a source that cannot be read at all. */
export function readSources(specs: readonly string[]): ReadSources {
  const b = new InventoryBuilder();
  const locator = new Locator();
  const varsDirs: string[] = [];
  for (const spec of specs) {
    b.inv.sources.push(spec);
    const st = statOf(spec);
    if (!st && spec.includes(',')) {
      addHostList(b, spec);
      continue;
    }
    if (!st) throw unreadable(spec, 'no such file or directory', 'pass the inventory with -i FILE, -i DIR or -i host1,host2, (default: inventory/hosts.yaml)');
    if (st.isDirectory()) {
      addDirectory(b, locator, spec);
      varsDirs.push(spec);
    } else {
      addFile(b, locator, spec);
      varsDirs.push(path.dirname(spec));
    }
  }
  return { parsed: b.finish(), locator, varsDirs };
}

function statOf(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function unreadable(file: string, why: string, hint?: string): InventoryError {
  const issue: InventoryIssue = { location: { file }, message: why };
  return new InventoryError([issue], hint ? { hint } : {});
}

/** Ansible's host_list plugin: comma-separated names, each with an optional :port. */
function addHostList(b: InventoryBuilder, spec: string): void {
  const origin = { file: `-i ${spec}`, path: [], where: 'host list' };
  for (const part of spec.split(',')) {
    const h = part.trim();
    if (!h) continue;
    const addr = h.includes('[') ? undefined : parseAddress(h);
    const name = addr?.host ?? h;
    const problem = hostNameProblem(name);
    if (problem) {
      b.error(origin, problem);
      continue;
    }
    if (!b.inv.hosts.has(name)) b.addHost(name, 'ungrouped', addr?.port, { ...origin, where: `host ${name}` });
  }
}

function addDirectory(b: InventoryBuilder, locator: Locator, dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    throw unreadable(dir, `cannot read the directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  // Python sorts by code point, as `<` does on strings.
  for (const name of entries.sort((a, c) => (a < c ? -1 : a > c ? 1 : 0))) {
    if (ignoredInDirectory(name)) continue;
    const full = path.join(dir, name);
    if (statOf(full)?.isDirectory()) addDirectory(b, locator, full);
    else addFile(b, locator, full);
  }
}

function notSupported(file: string, what: string): InventoryError {
  return unreadable(file, `not supported: ${what}; fleet reads YAML and INI inventories, host lists (-i h1,h2,) and directories of them`, 'run the plugin or script once with ansible-inventory --list -y > hosts.yaml and give fleet that file');
}

/** One file: YAML if it reads as a YAML mapping, else INI, as Ansible tries its yaml plugin first. */
function addFile(b: InventoryBuilder, locator: Locator, file: string): void {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.toml') throw notSupported(file, 'TOML inventories');
  const size = statOf(file)?.size ?? 0;
  if (size > MAX_INVENTORY_BYTES) {
    throw new InventoryError([{ location: { file }, message: `too large to be an inventory: ${(size / 1024 / 1024).toFixed(1)} MiB (fleet reads at most ${MAX_INVENTORY_BYTES / 1024 / 1024} MiB)` }], {
      hint: 'is this the right file? split a huge fleet into several inventories',
    });
  }
  const text = readRegularText(file, { what: 'inventory', maxBytes: MAX_INVENTORY_BYTES });
  if (text.startsWith('#!')) throw notSupported(file, 'inventory scripts (this file starts with #!)');
  const yamlCandidate = YAML_EXTENSIONS.has(ext);
  const loaded = yamlCandidate ? parseYaml(text, file) : undefined;
  if (loaded && !loaded.issues.length && loaded.data instanceof Map) {
    if (loaded.data.has('plugin')) throw notSupported(file, `inventory plugin configurations (plugin: ${String(loaded.data.get('plugin'))})`);
    locator.add(loaded.source);
    addYamlSource(b, file, loaded.data);
    return;
  }
  // Not YAML: INI, into a scratch builder first, so a failed attempt adds nothing.
  const probe = new InventoryBuilder();
  const index = addIniSource(probe, file, text);
  if (probe.inv.errors.length && loaded && (ext !== '' || (LOOKS_LIKE_YAML.test(text) && !INI_SECTION.test(text)))) {
    // A .yaml/.yml/.json file was meant as YAML: its YAML problems are the ones to fix.
    if (loaded.issues.length) throw new InventoryError(loaded.issues);
    locator.add(loaded.source);
    addYamlSource(b, file, loaded.data);
    return;
  }
  locator.addLines(file, index);
  addIniSource(b, file, text);
}
