/**
 * INI inventories, read as ansible-core 2.14's ini inventory plugin reads them:
 *
 *   gw0 ansible_host=203.0.113.9      # before any section: ungrouped
 *   [eu]                              # hosts of group eu: a name or range, then key=value words
 *   gw[1:3] wan_interface=ens5        # words split as a POSIX shell does; values are Python literals
 *   gw9:2222                          # host:port
 *   [eu:vars]                         # one key=value per line (also a Python literal, else text)
 *   wg_port=51822
 *   [gateways:children]               # one group name per line
 *   eu
 *
 * `;` and `#` start a comment line; `#` also ends a host line. A group named under :children may
 * be defined later in the file; one never defined is an error, as is :vars for a group that is
 * never defined. Every error names the file and line; the first stops the file, as in Ansible.
 */
import { FORBIDDEN_NAMES, type InventoryBuilder } from './data.js';
import { HostPatternError, expandHostKey } from './hosts-pattern.js';
import type { LineIndex } from './locate.js';
import { pythonLiteral } from './python-literal.js';
import { ShlexError, shlexSplit } from './shlex.js';
import { hostNameProblem } from './structure.js';
import type { Origin } from './types.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

class IniLineError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Ansible's _parse_value: a Python literal if it is one, else the text. */
export function iniValue(text: string): unknown {
  const literal = pythonLiteral(text);
  return literal ? literal.value : text;
}

interface Pending {
  line: number;
  state: 'vars' | 'children';
  parents: string[];
}

/**
 * Adds an INI inventory's groups and hosts to `b`; returns the positions of what it read, for
 * messages. A problem is one error in `b` at its line.
 */
export function addIniSource(b: InventoryBuilder, file: string, text: string): LineIndex {
  const index: LineIndex = new Map();
  try {
    parseIni(b, file, text, index);
    } catch (err) {
    if (!(err instanceof IniLineError)) throw err;
    index.set(JSON.stringify([err.line]), { line: err.line, column: 1 });
    b.error({ file, path: [err.line], where: 'inventory' }, err.message);
  }
  return index;
}

function parseIni(b: InventoryBuilder, file: string, text: string, index: LineIndex): void {
  const pending = new Map<string, Pending>();
  let group = 'ungrouped';
  let state = 'hosts';
  const lines = text.split(/\r\n|\r|\n/);
  for (let n = 1; n <= lines.length; n++) {
    const raw = lines[n - 1]!;
    const line = raw.trim();
    if (!line || line[0] === ';' || line[0] === '#') continue;
    const fail = (message: string): never => {
      throw new IniLineError(n, message);
    };
    const origin = (path: (string | number)[], where: string): Origin => ({ file, path: [n, ...path], where });
    index.set(JSON.stringify([n]), { line: n, column: raw.length - raw.trimStart().length + 1 });
    const keyAt = (key: string) => index.set(JSON.stringify([n, key]), { line: n, column: Math.max(raw.indexOf(`${key}=`), 0) + 1 });

    const m = SECTION.exec(line);
    if (m) {
      group = m[1]!;
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) fail(`section [${m[1]}:${m[2]}] has unknown type ${state}: expected [${m[1]}], [${m[1]}:vars] or [${m[1]}:children]`);
      if (FORBIDDEN_NAMES.has(group)) fail(`${group} cannot be a group name (it is reserved)`);
       
      if (/[\u0000-\u001f\u007f-\u009f]/.test(group)) fail(`group name ${JSON.stringify(group)} contains a control character`);
      if (!b.inv.groups.has(group)) {
        if (state === 'vars' && !pending.has(group)) pending.set(group, { line: n, state: 'vars', parents: [] });
        b.group(group, origin([], `group ${group}`));
      }
      const p = pending.get(group);
      if (p && state !== 'vars') {
        if (p.state === 'children') addPendingChildren(b, group, pending, fail);
        else pending.delete(group);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      fail(`invalid section ${line}: a section is [group], [group:vars] or [group:children], with no blanks inside the brackets`);
    }

    if (state === 'hosts') {
      hostLine(b, line, group, { origin, keyAt, fail });
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) fail(`expected key=value in [${group}:vars], got ${JSON.stringify(line)}`);
      const key = line.slice(0, eq).trim();
      if (FORBIDDEN_NAMES.has(key)) fail(`${key} cannot be a variable name (it is reserved)`);
      const value = iniValue(line.slice(eq + 1).trim());
      keyAt(key);
      const g = b.inv.groups.get(group)!;
      if (key === 'ansible_group_priority') {
        const p = typeof value === 'number' ? value : Number(value);
        if (!Number.isInteger(p)) fail(`ansible_group_priority of group ${group} must be an integer, got ${JSON.stringify(value)}`);
        g.priority = p;
      } else b.setVar(g.vars, key, value, origin([key], group === 'all' ? 'all.vars' : `group ${group} vars`));
    } else {
      const child = GROUP_NAME.exec(line)?.[1];
      if (child === undefined) return fail(`expected a group name in [${group}:children], got ${JSON.stringify(line)}`);
      if (FORBIDDEN_NAMES.has(child)) fail(`${child} cannot be a group name (it is reserved)`);
      if (!b.inv.groups.has(child)) {
        const p = pending.get(child);
        if (p) p.parents.push(group);
        else pending.set(child, { line: n, state: 'children', parents: [group] });
      } else {
        const loop = b.addChild(group, child);
        if (loop) fail(loop);
      }
    }
  }
  for (const [name, p] of pending) {
    if (p.state === 'vars') throw new IniLineError(p.line, `[${name}:vars] is for a group that is never defined: add a [${name}] or [${name}:children] section`);
    throw new IniLineError(p.line, `[${p.parents[p.parents.length - 1]}:children] names group ${name}, which is never defined: add a [${name}] section`);
  }
}

interface LineContext {
  origin: (path: (string | number)[], where: string) => Origin;
  keyAt: (key: string) => void;
  fail: (message: string) => never;
}

/** A line in a hosts section: a host name or range (with :port), then key=value words. */
function hostLine(b: InventoryBuilder, line: string, group: string, { origin, keyAt, fail }: LineContext): void {
  let words: string[];
  try {
    words = shlexSplit(line);
  } catch (err) {
    if (!(err instanceof ShlexError)) throw err;
    return fail(`cannot read the host line: ${err.message.toLowerCase()}`);
  }
  const pattern = words[0]!;
  const problem = hostNameProblem(pattern);
  if (problem) fail(problem);
  let expanded: { names: string[]; port?: number };
  try {
    expanded = expandHostKey(pattern);
  } catch (err) {
    if (!(err instanceof HostPatternError)) throw err;
    return fail(err.message);
  }
  if (pattern.trim().endsWith(':') && expanded.port === undefined) fail(`host ${pattern} ends in ':', which is reserved for a port (host:2222)`);
  if (expanded.names.some((h) => h.trim() === '---')) fail(`host ${pattern}: '---' starts a YAML document; is this a YAML inventory with a mistake in it?`);
  const vars: [string, unknown][] = [];
  for (const word of words.slice(1)) {
    const eq = word.indexOf('=');
    if (eq < 0) fail(`expected key=value after the host name, got ${JSON.stringify(word)}`);
    const key = word.slice(0, eq);
    if (FORBIDDEN_NAMES.has(key)) fail(`${key} cannot be a variable name (it is reserved)`);
    keyAt(key);
    vars.push([key, iniValue(word.slice(eq + 1))]);
  }
  for (const name of expanded.names) {
    const host = b.addHost(name, group, expanded.port, origin([], `host ${name}`));
    for (const [k, v] of vars) b.setVar(host.vars, k, v, origin([k], `host ${name}`));
  }
}

function addPendingChildren(b: InventoryBuilder, group: string, pending: Map<string, Pending>, fail: (m: string) => never): void {
  for (const parent of pending.get(group)!.parents) {
    const loop = b.addChild(parent, group);
    if (loop) fail(loop);
    if (pending.get(parent)?.state === 'children') addPendingChildren(b, parent, pending, fail);
  }
  pending.delete(group);
}
