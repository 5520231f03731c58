/**
 * group_vars/ and host_vars/ beside each inventory source, as Ansible's host_group_vars plugin
 * reads them: for a group or host NAME, the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json`
 * that exists; if that is a directory, every file in it with no extension or one of those
 * (recursively, sorted, hidden files and `~` backups skipped), in order. Each file is a YAML (or
 * JSON) mapping of variables; an empty file adds nothing.
 *
 * A source's directory is the source itself when it is a directory, else the directory it is in.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { InventoryIssue } from '../errors.js';
import { readRegularText } from '../fs/read-regular-file.js';
import { FORBIDDEN_NAMES, type ParsedInventory } from './data.js';
import type { Locator, PathSeg } from './locate.js';
import type { VarLayer } from './types.js';
import { MAX_INVENTORY_BYTES, parseYaml, toPlain } from './yaml.js';

const EXTENSIONS = ['.yml', '.yaml', '.json'];

/** Per source directory, in source order: each group's and host's layers from files. */
export interface VarsFiles {
  /** group name -> one layer per source directory (empty where it has no file). */
  groups: Map<string, VarLayer[]>;
  hosts: Map<string, VarLayer[]>;
  dirs: number;
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function kindOf(p: string): 'file' | 'dir' | undefined {
  try {
    const st = statSync(p);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/** loader.find_vars_files: the files that hold NAME's variables under `dir`. */
export function findVarsFiles(dir: string, name: string): string[] {
  if (name.includes('/') || name.includes('\0')) return [];
  for (const ext of ['', ...EXTENSIONS]) {
    const full = path.join(dir, name + ext);
    const kind = kindOf(full);
    if (!kind) continue;
    return kind === 'dir' ? dirVarsFiles(full) : [full];
  }
  return [];
}

function dirVarsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort(byCodePoint)) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const full = path.join(dir, entry);
    const ext = path.extname(entry);
    const kind = kindOf(full);
    if (kind === 'dir' && !ext) out.push(...dirVarsFiles(full));
    else if (kind === 'file' && (!ext || EXTENSIONS.includes(ext))) out.push(full);
  }
  return out;
}

/** One vars file as a layer; its problems go to `issues`. */
export function readVarsFile(file: string, where: string, locator: Locator, issues: InventoryIssue[]): VarLayer {
  const layer: VarLayer = new Map();
  const loaded = parseYaml(readRegularText(file, { what: 'vars file', maxBytes: MAX_INVENTORY_BYTES }), file);
  if (loaded.issues.length) {
    issues.push(...loaded.issues);
    return layer;
  }
  locator.add(loaded.source);
  if (loaded.data === null || loaded.data === undefined) return layer;
  if (!(loaded.data instanceof Map)) {
    issues.push({ location: { file, line: 1, column: 1 }, message: 'a vars file must hold a mapping of variables (name: value)' });
    return layer;
  }
  for (const [k, v] of loaded.data) {
    const key = String(k);
    if (FORBIDDEN_NAMES.has(key)) {
      issues.push({ location: locator.locate(file, [k as PathSeg], 'key'), message: `${key} cannot be a variable name (it is reserved)` });
      continue;
    }
    layer.set(key, { key, value: toPlain(v), origin: { file, path: [k as PathSeg], where } });
  }
  return layer;
}

/** Every group's and host's vars files under each source directory. */
export function loadVarsFiles(parsed: ParsedInventory, dirs: readonly string[], locator: Locator, issues: InventoryIssue[]): VarsFiles {
  const out: VarsFiles = { groups: new Map(), hosts: new Map(), dirs: dirs.length };
  const cache = new Map<string, VarLayer>();
  const layersOf = (sub: 'group_vars' | 'host_vars', name: string): VarLayer[] =>
    dirs.map((dir) => {
      const base = path.join(dir, sub);
      if (kindOf(base) !== 'dir') return new Map();
      const layer: VarLayer = new Map();
      for (const file of findVarsFiles(base, name)) {
        let fileLayer = cache.get(file);
        if (!fileLayer) {
          fileLayer = readVarsFile(file, `${sub}/${path.relative(base, file)}`, locator, issues);
          cache.set(file, fileLayer);
        }
        for (const [k, def] of fileLayer) layer.set(k, def);
      }
      return layer;
    });
  if (!dirs.length) return out;
  for (const g of parsed.groups.keys()) out.groups.set(g, layersOf('group_vars', g));
  for (const h of parsed.hosts.keys()) out.hosts.set(h, layersOf('host_vars', h));
  return out;
}
