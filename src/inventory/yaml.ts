/**
 * Reading YAML the way Ansible reads it, with positions kept for error messages.
 *
 * Ansible parses inventories with PyYAML, which implements YAML 1.1: `yes`/`no`/`on`/`off` are
 * booleans, `0644` is octal, `1:20` is sexagesimal, but `y`, `n`, `08` and `1e3` are strings.
 * The `yaml` package's own 1.1 schema differs on several of these (it reads `y` and `n` as
 * booleans, even as host names), so fleet resolves plain scalars with PyYAML's regular
 * expressions (yaml/resolver.py). One deliberate difference: timestamps stay strings (fleet has no
 * date variables; for a bare date Ansible's JSON shows the same text).
 *
 * Failure semantics: an unreadable file throws InputFileError (bad input); everything wrong inside the file is
 * returned as InventoryIssues with file:line:column, so the caller can report them all at once.
 * Ansible Vault (vault-yaml.ts): `!vault` values and wholly encrypted files are decrypted here; one
 * that cannot be throws its catalogued vault error at once.
 */
import { LineCounter, Scalar, isScalar, parseDocument, visit, type Document, type ScalarTag, type Tags } from 'yaml';
import type { InventoryIssue } from '../errors.js';
import { readRegularText } from '../fs/read-regular-file.js';
import { revealVaultValue } from './mask.js';
import { openVaultFile, revealVaultScalars } from './vault-yaml.js';

/**
 * Aliases may expand at most this many times (yaml's `maxAliasCount`). Expansion work is bounded by
 * it, so an alias bomb ("billion laughs") fails in milliseconds; 1000 still lets a few hundred
 * hosts share one `<<: *defaults` anchor.
 */
export const MAX_ALIAS_COUNT = 1000;

const BOOL_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const BOOL_RE = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const INT_RE = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** PyYAML's construct_yaml_int. */
function resolveInt(src: string, onError: (msg: string) => void): unknown {
  if (!INT_RE.test(src)) {
    onError(`not an integer: ${src}`);
    return src;
  }
  let s = src.replace(/_/g, '');
  let sign = 1;
  if (s[0] === '-') sign = -1;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  if (s === '0') return 0;
  if (s.startsWith('0b')) return sign * parseInt(s.slice(2), 2);
  if (s.startsWith('0x')) return sign * parseInt(s.slice(2), 16);
  if (s.startsWith('0')) return sign * parseInt(s, 8);
  if (s.includes(':')) return sign * sexagesimal(s);
  return sign * parseInt(s, 10);
}

/** PyYAML's construct_yaml_float. */
function resolveFloat(src: string, onError: (msg: string) => void): unknown {
  if (!FLOAT_RE.test(src)) {
    onError(`not a float: ${src}`);
    return src;
  }
  let s = src.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (s[0] === '-') sign = -1;
  if (s[0] === '-' || s[0] === '+') s = s.slice(1);
  if (s === '.inf') return sign * Infinity;
  if (s === '.nan') return NaN;
  if (s.includes(':')) return sign * sexagesimal(s);
  return sign * parseFloat(s);
}

function sexagesimal(s: string): number {
  return s.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
}

const str = (value: unknown) => String(value);

/** The implicit scalar types of PyYAML's resolver, in its order. */
const pyyamlTags: ScalarTag[] = [
  {
    identify: (v) => typeof v === 'boolean',
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: BOOL_RE,
    resolve: (s) => new Scalar(BOOL_TRUE.test(s)),
    stringify: ({ value }) => (value ? 'true' : 'false'),
  },
  {
    identify: (v) => typeof v === 'number' && !Number.isInteger(v),
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: FLOAT_RE,
    resolve: resolveFloat,
    stringify: ({ value }) => str(value),
  },
  {
    identify: (v) => typeof v === 'number' && Number.isInteger(v),
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: INT_RE,
    resolve: resolveInt,
    stringify: ({ value }) => str(value),
  },
  {
    identify: (v) => v === null || v === undefined,
    default: true,
    tag: 'tag:yaml.org,2002:null',
    test: /^(?:~|null|Null|NULL)?$/,
    resolve: () => new Scalar(null),
    stringify: () => 'null',
  },
  // Ansible's own tags: !unsafe only disables Jinja templating, which fleet does not do.
  { tag: '!unsafe', resolve: (s) => s },
  // The vault text as it is; parseYaml decrypts it (vault-yaml.ts), where its line is known.
  { tag: '!vault', resolve: (s) => s },
];

/** yaml options shared by inventories and -e values. */
export const yamlOptions = {
  schema: 'failsafe' as const,
  customTags: (tags: Tags) => [...tags, ...pyyamlTags],
  merge: true,
  uniqueKeys: true,
  prettyErrors: false,
};

export interface YamlSource {
  /** The path as the user gave it: messages show it unchanged. */
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

export interface YamlLoad {
  source: YamlSource;
  /** The document as JS, maps as `Map` (keys keep their YAML order and type); undefined on errors. */
  data: unknown;
  issues: InventoryIssue[];
}

/**
 * The largest inventory fleet reads. A thousand gateways with every variable set is well under
 * 1 MiB; parsing YAML with positions costs many times its size in memory, so a 50 MB file (a
 * mistake or an attack) is refused before it is read.
 */
export const MAX_INVENTORY_BYTES = 8 * 1024 * 1024;

export function readYamlFile(file: string, what = 'inventory'): YamlLoad {
  return parseYaml(readRegularText(file, { what, maxBytes: MAX_INVENTORY_BYTES }), file);
}

/** @throws the vault errors (vault-errors.ts) for a vaulted value or file that cannot be decrypted */
export function parseYaml(given: string, file: string): YamlLoad {
  const { text, encrypted } = openVaultFile(given, file);
  if (text.length > MAX_INVENTORY_BYTES) {
    const lineCounter = new LineCounter();
    const doc = parseDocument('', { ...yamlOptions, lineCounter });
    return { source: { file, doc, lineCounter }, data: undefined, issues: [{ location: { file }, message: `too large to be an inventory: ${text.length} characters (fleet reads at most ${MAX_INVENTORY_BYTES / 1024 / 1024} MiB)` }] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...yamlOptions, lineCounter, keepSourceTokens: false });
  const source: YamlSource = { file, doc, lineCounter };
  const issues: InventoryIssue[] = [];
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  // yaml's warnings (an unknown !tag, for one) are errors here: PyYAML, and so Ansible, refuses them.
  for (const e of [...doc.errors, ...doc.warnings]) {
    if (e.code === 'DUPLICATE_KEY') continue; // reported below, naming the key and its first line
    issues.push({ location: at(e.pos[0]), message: yamlMessage(e.code, e.message) });
  }
  issues.push(...duplicateKeys(source));
  issues.push(...recursiveAliases(source));
  if (issues.length) {
    issues.sort((a, b) => (a.location.line ?? 0) - (b.location.line ?? 0) || (a.location.column ?? 0) - (b.location.column ?? 0));
    return { source, data: undefined, issues };
  }
  revealVaultScalars(source);
  try {
    const data: unknown = doc.toJS({ mapAsMap: true, maxAliasCount: MAX_ALIAS_COUNT });
    if (encrypted) revealVaultValue(data);
    return { source, data, issues };
  } catch (err) {
    // The only throws left after a clean parse: alias expansion limits, unknown aliases, bad merges.
    const msg = (err as Error).message;
    const unresolved = /^Unresolved alias.*: (.+)$/.exec(msg)?.[1];
    let first: number | undefined;
    visit(doc, {
      Alias(_k, node) {
        if (unresolved !== undefined && node.source !== unresolved) return undefined;
        first ??= node.range?.[0];
        return visit.BREAK;
      },
    });
    const message = /Excessive alias count/.test(msg)
      ? `YAML aliases expand to more than ${MAX_ALIAS_COUNT} nodes (an alias bomb?): ${msg}`
      : unresolved !== undefined
        ? `unknown YAML alias *${unresolved}: define the anchor &${unresolved} before using it`
        : `YAML merge (<<) or alias failed: ${msg}`;
    issues.push({ location: first === undefined ? { file } : at(first), message });
    return { source, data: undefined, issues };
  }
}

/** yaml's messages are good; make the common ones say what to do. */
function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'TAG_RESOLVE_FAILED':
      return first.startsWith('Unresolved tag') ? `unknown YAML tag ${first.replace('Unresolved tag: ', '')}: Ansible and fleet read only plain YAML (and !unsafe)` : first;
    case 'TAB_AS_INDENT':
      return `${first} (indent YAML with spaces, not tabs)`;
    case 'MULTIPLE_DOCS':
      return `${first} (an inventory is one YAML document: remove the extra ---)`;
    default:
      return `YAML syntax error: ${first}`;
  }
}

/**
 * Ansible only warns about a duplicate key (and keeps the last); for a gateway's variables that hides
 * a mistake, so it is an error naming the key and where it first appeared.
 */
function duplicateKeys({ file, doc, lineCounter }: YamlSource): InventoryIssue[] {
  const issues: InventoryIssue[] = [];
  visit(doc, {
    Map(_k, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        const offset = pair.key.range?.[0] ?? 0;
        const first = seen.get(name);
        if (first === undefined) {
          seen.set(name, offset);
          continue;
        }
        const { line, col } = lineCounter.linePos(offset);
        issues.push({
          location: { file, line, column: col },
          message: `duplicate key ${name} (first at line ${lineCounter.linePos(first).line}): YAML keeps only one of them; merge the two entries`,
        });
      }
    },
  });
  return issues;
}

/**
 * An alias inside its own anchor (`wg_peers: &p [*p]`) makes a cyclic structure: yaml builds it,
 * and every later walk over the data would recurse forever (a stack overflow, found by the fuzz
 * suite). No inventory needs one, so it is an error at the alias.
 */
function recursiveAliases({ file, doc, lineCounter }: YamlSource): InventoryIssue[] {
  const issues: InventoryIssue[] = [];
  visit(doc, {
    Alias(_k, alias) {
      let target: ReturnType<typeof alias.resolve>;
      try {
        target = alias.resolve(doc);
      } catch {
        return undefined; // an unknown alias is reported by toJS below
      }
      const [start, , end] = target?.range ?? [];
      const at = alias.range?.[0];
      if (start === undefined || end === undefined || at === undefined || at < start || at >= end) return undefined;
      const { line, col } = lineCounter.linePos(at);
      issues.push({ location: { file, line, column: col }, message: `recursive YAML alias *${alias.source}: the anchor &${alias.source} contains an alias to itself` });
      return undefined;
    },
  });
  return issues;
}

/** Plain JS from the Map-based data: nested Maps become objects with string keys (as in JSON). */
export function toPlain(value: unknown): unknown {
  if (value instanceof Map) {
    // Null prototype: a `__proto__` key inside a value stays a key, it does not become the prototype.
    const out = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of value) out[String(k)] = toPlain(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Set) return [...value].map(toPlain);
  return value;
}
