/**
 * `-e` values, the highest precedence level. Each -e is one of:
 *   key=value        the value is read as a YAML scalar (as in an inventory: 51822 is a number,
 *                    yes is true, 0x200 is 512); a value starting with [ or { is a YAML flow list
 *                    or map (-e 'dns_upstreams=[1.1.1.1, 9.9.9.9]'); an empty value is ''
 *   @file.yaml       a YAML mapping of variables, with file:line positions in messages
 *   {key: value}     an inline YAML/JSON mapping, as ansible-playbook -e accepts
 * Later -e values win over earlier ones.
 */
import { parse } from 'yaml';
import type { InventoryIssue } from '../errors.js';
import type { Locator } from './locate.js';
import { readYamlFile, toPlain, yamlOptions } from './yaml.js';
import type { VarLayer } from './types.js';
import { FORBIDDEN_NAMES } from './data.js';

const reserved = (key: string) => `${key} cannot be a variable name (it is reserved)`;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseValue(text: string): unknown {
  try {
    const v = parse(text, { ...yamlOptions, mapAsMap: false, maxAliasCount: 0 }) as unknown;
    if (text.trim() === '') return '';
    if (typeof v === 'object' && v !== null && !/^\s*[[{]/.test(text)) return text; // `a: b` stays text
    if (v === null && !/^\s*(?:~|null|Null|NULL)\s*$/.test(text)) return text; // `#x` is not a comment here
    return v;
  } catch {
    return text;
  }
}

export function parseExtraVars(args: readonly string[], locator: Locator, issues: InventoryIssue[]): VarLayer {
  const layer: VarLayer = new Map();
  for (const arg of args) {
    const where = 'extra vars';
    if (arg.startsWith('@')) {
      const file = arg.slice(1);
      const loaded = readYamlFile(file, 'extra vars file (-e @FILE)');
      locator.add(loaded.source);
      issues.push(...loaded.issues);
      if (loaded.issues.length) continue;
      if (!(loaded.data instanceof Map)) {
        if (loaded.data !== null && loaded.data !== undefined) issues.push({ location: { file, line: 1, column: 1 }, message: 'an -e @file must hold a mapping of variables' });
        continue;
      }
      for (const [k, v] of loaded.data) {
        const key = String(k);
        if (FORBIDDEN_NAMES.has(key)) {
          issues.push({ location: locator.locate(file, [k as string], 'key'), message: reserved(key) });
          continue;
        }
        layer.set(key, { key, value: toPlain(v), origin: { file, path: [k as string], where: `extra vars (${file})` } });
      }
      continue;
    }
    const file = `-e ${arg}`;
    if (/^\s*\{/.test(arg)) {
      const v = parseValue(arg);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        issues.push({ location: { file }, message: 'expected an inline mapping like {"wg_port": 51822}' });
        continue;
      }
      for (const [key, value] of Object.entries(v)) {
        if (FORBIDDEN_NAMES.has(key)) issues.push({ location: { file }, message: reserved(key) });
        else layer.set(key, { key, value, origin: { file, path: [], where } });
      }
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq > 0 ? arg.slice(0, eq).trim() : '';
    if (!NAME.test(key)) {
      issues.push({ location: { file }, message: 'expected key=value (a variable name, =, a YAML value), @file.yaml or an inline {mapping}' });
      continue;
    }
    if (FORBIDDEN_NAMES.has(key)) {
      issues.push({ location: { file }, message: reserved(key) });
      continue;
    }
    layer.set(key, { key, value: parseValue(arg.slice(eq + 1)), origin: { file, path: [], where } });
  }
  return layer;
}
