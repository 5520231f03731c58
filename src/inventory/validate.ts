/**
 * One host's merged variables through hostVarsSchema, with zod's issues turned into one readable
 * line each: the field as written, what was expected, what was received. Union failures fold into
 * one line; unknown names get a did-you-mean; missing required variables become one finding at
 * the host's own line, since they are missing everywhere rather than wrong somewhere.
 */
import { z } from 'zod';
import type { PathSeg } from './locate.js';
import { ALIAS_NAMES } from './normalize.js';
import { hostVarsSchema, type HostVars } from './schema.js';
import { didYouMean } from './suggest.js';
import type { Finding, Origin, VarDef, VarLayer } from './types.js';
import { isSecretKey, isVaultRevealed } from './mask.js';

type Issue = z.core.$ZodIssue;

export interface Validated {
  vars?: HostVars;
  /** The variables fleet does not use, passed through as they are. */
  other?: Record<string, unknown>;
  errors: Finding[];
}

const SCHEMA_KEYS: ReadonlySet<string> = new Set(Object.keys(hostVarsSchema.shape));

/**
 * A variable fleet does not use is another role's (kubernetes_role, wireguard_port, ip): it passes
 * through. One close to a name fleet uses is a typo of it (wg_prot), and stays an error.
 */
export function isPassThrough(name: string): boolean {
  return !SCHEMA_KEYS.has(name) && didYouMean(name, KNOWN_VARS) === undefined;
}

/** The variable names fleet knows, for did-you-mean. */
export const KNOWN_VARS: readonly string[] = [...Object.keys(hostVarsSchema.shape), ...ALIAS_NAMES];

/** What the schema leaves optional because only one provider protocol needs it. */
const PROTOCOL_REQUIRED = {
  openvpn: ['vpn_server_ip', 'openvpn_config_file'],
  wireguard: ['provider_config_file'],
} as const satisfies Record<HostVars['provider_protocol'], readonly (keyof HostVars)[]>;

export function validateHost(host: string, merged: VarLayer, hostOrigin: Origin): Validated {
  const input = Object.create(null) as Record<string, unknown>;
  const other = Object.create(null) as Record<string, unknown>;
  for (const [k, def] of merged) {
    if (isPassThrough(k)) other[k] = def.value;
    else input[k] = def.value;
  }
  // As in Ansible, a host without an address is reached by its inventory name.
  const defs = new Map(merged);
  if (!('host' in input)) {
    input.host = host;
    defs.set('host', { key: 'host', value: host, origin: hostOrigin });
  }
  const result = hostVarsSchema.safeParse(input);
  // provider_endpoints, when set, holds every provider config itself.
  const protocolMissing =
    input.provider_endpoints !== undefined ? [] : PROTOCOL_REQUIRED[input.provider_protocol === 'wireguard' ? 'wireguard' : 'openvpn'].filter((k) => input[k] === undefined);
  if (result.success && !protocolMissing.length) return { vars: result.data, other, errors: [] };

  const errors: Finding[] = [];
  const missing: string[] = [];
  for (const issue of result.success ? [] : result.error.issues) {
    const path = issue.path as PathSeg[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const full = [...path, key];
        const def = defs.get(String(full[0]))!;
        const known = path.length ? Object.keys(objectShapeAt(path) ?? {}) : KNOWN_VARS;
        const guess = didYouMean(key, known);
        errors.push({
          origin: def.origin,
          subpath: full.slice(1),
          at: 'key',
          host,
          field: fieldName(def, full),
          message: `unknown variable ${key}${guess ? `: did you mean ${guess}?` : path.length ? ` (expected ${Object.keys(objectShapeAt(path) ?? {}).join(', ')})` : ''}`,
        });
      }
      continue;
    }
    const value = valueAt(input, path);
    if (path.length === 1 && value === undefined) {
      missing.push(String(path[0]));
      continue;
    }
    const def = defs.get(String(path[0]));
    errors.push({
      origin: def?.origin ?? hostOrigin,
      subpath: path.slice(1),
      at: 'value',
      host,
      field: def ? fieldName(def, path) : path.join('.'),
      message: describe(issue, value, path),
    });
  }
  missing.push(...protocolMissing);
  if (missing.length) {
    errors.push({
      origin: hostOrigin,
      at: 'key',
      host,
      field: missing.join(', '),
      message:
        `required variable${missing.length > 1 ? 's' : ''} not set: ${missing.join(', ')} (set ${missing.length > 1 ? 'them' : 'it'} in the host's entry, a group's vars, group_vars/ or host_vars/;` +
        ` if ${host} is not a gateway, leave it out with --limit '!${host}')`,
    });
  }
  return { errors };
}

/** `wg_peers[1].public_key`, with the top-level name as the operator wrote it. */
export function fieldName(def: VarDef, path: readonly PathSeg[]): string {
  return path.slice(1).reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : `${acc}.${String(seg)}`), def.key);
}

function valueAt(root: unknown, path: readonly PathSeg[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(seg)];
  }
  return v;
}

/** The zod schema at a data path (through arrays, defaults and optionals). */
function schemaAt(path: readonly PathSeg[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = hostVarsSchema;
  for (const seg of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(seg)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else return undefined;
  }
  return s;
}

function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  let cur = s;
  for (let i = 0; i < 8 && (cur instanceof z.ZodDefault || cur instanceof z.ZodOptional); i++) cur = cur.unwrap() as z.ZodType;
  return cur;
}

function objectShapeAt(path: readonly PathSeg[]): Record<string, unknown> | undefined {
  const s = unwrap(schemaAt(path));
  return s instanceof z.ZodObject ? (s.shape as Record<string, unknown>) : undefined;
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a whole number' : 'a number';
  return `a ${typeof v}`;
}

function preview(v: unknown, path: readonly PathSeg[]): string {
  if (isVaultRevealed(v) || path.some((seg) => typeof seg === 'string' && isSecretKey(seg))) return '***';
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One line: what was expected, what was received. */
export function describe(issue: Issue, value: unknown, path: readonly PathSeg[]): string {
  const received = `received ${preview(value, path)}`;
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) return 'required, not set';
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      const quoted = (issue.expected === 'number' || issue.expected === 'int') && typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value);
      return `expected ${expected}, received ${kindOf(value)} ${preview(value, path)}${quoted ? ' (remove the quotes to make it a number)' : ''}`;
    }
    case 'invalid_union': {
      // Fold the branches: if one branch matched the value's type, its complaint is the real one.
      const branches = issue.errors;
      const typed = branches.find((b) => b.length && !b.every((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (typed?.[0]) return describe(typed[0], valueAt(value, typed[0].path as PathSeg[]), [...path, ...(typed[0].path as PathSeg[])]);
      const types = branches.flatMap((b) => b.filter((i) => i.code === 'invalid_type').map((i) => TYPE_WORDS[(i as { expected: string }).expected] ?? ''));
      const what = schemaAt(path)?.description;
      return `expected ${what ? `${what}: ` : ''}${[...new Set(types)].filter(Boolean).join(' or ')}, received ${kindOf(value)} ${preview(value, path)}`;
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = Number(small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum);
      const inclusive = issue.inclusive !== false;
      if (issue.origin === 'array' || issue.origin === 'set') {
        const n = inclusive ? bound : small ? bound + 1 : bound - 1;
        return `expected ${small ? 'at least' : 'at most'} ${n} item${n === 1 ? '' : 's'}, received ${Array.isArray(value) ? value.length : preview(value, path)}`;
      }
      if (issue.origin === 'string') {
        if (small && bound <= 1) return `expected a non-empty string, ${received}`;
        return `expected ${small ? 'at least' : 'at most'} ${bound} characters, ${received}`;
      }
      return `expected a number ${small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<'} ${bound}, ${received}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, ${received}`;
    default:
      return `${issue.message}, ${received}`;
  }
}
