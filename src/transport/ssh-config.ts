/**
 * The operator's ~/.ssh/config, read the way OpenSSH reads it for the options fleet uses:
 * HostName, User, Port, IdentityFile, ProxyJump (and ProxyCommand, only to refuse it).
 *
 * - The file is tokenised by the `ssh-config` library (quotes, `=` separators, comments, Host and
 *   Match sections). Its own `compute()` is not used: its `?` matches zero characters too, and it
 *   runs `Match exec` commands and `nslookup` by default. The evaluation below is OpenSSH's.
 * - Lines are read top to bottom; `Host` and `Match` start a section that applies when it matches;
 *   for each option the first value obtained wins, except IdentityFile, whose values add up.
 * - `Host` patterns (`*`, `?`, `!negation`) match the host as given (the inventory name),
 *   lowercased as ssh lowercases it; `Match host` matches the HostName obtained so far.
 * - `Include` (relative to ~/.ssh, wildcards in the last component) is read in place, in sorted
 *   order, up to 16 deep; an Include in a section that does not apply is not read.
 * - A `Match` that fleet cannot evaluate (exec, canonical, final, localnetwork, tagged...) is an
 *   error only when its section sets an option fleet uses: guessing could connect elsewhere.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import SSHConfig, { LineType, type Line } from 'ssh-config';
import { InputFileError } from '../errors.js';
import { readRegularText } from '../fs/read-regular-file.js';

/** A value and the `file:line` it came from. */
export interface Sourced<T> {
  value: T;
  at: string;
}

/** What the config says for one host, tokens not yet expanded. */
export interface SshConfigValues {
  hostName?: Sourced<string>;
  user?: Sourced<string>;
  port?: Sourced<string>;
  identityFiles: Sourced<string>[];
  /** The ProxyJump value as written (`none` included). */
  proxyJump?: Sourced<string>;
  proxyCommand?: Sourced<string>;
}

export interface SshConfigQuery {
  /** The host as the operator names it (the inventory host name). */
  host: string;
  /** The remote user so far (the inventory's, when it set one), for `Match user`. */
  user?: string;
  localUser: string;
  /** The operator's home directory: `~` and relative Include paths. */
  home: string;
}

/** One directive, flattened out of the library's tree, with its place in the file. */
interface ConfigLine {
  keyword: string;
  args: string[];
  file: string;
  line: number;
}

const KEYWORDS_USED = new Set(['hostname', 'user', 'port', 'identityfile', 'proxyjump', 'proxycommand']);
const MAX_INCLUDE_DEPTH = 16;

function argsOf(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.map((v: { val: string }) => v.val);
  return [];
}

function countNewlines(s: string | undefined): number {
  let n = 0;
  for (const c of s ?? '') if (c === '\n') n++;
  return n;
}

/** The library's tree as a flat list of directives, each with its line number. */
function flatten(lines: Line[], file: string, out: ConfigLine[], at = { line: 1 }): ConfigLine[] {
  for (const l of lines) {
    at.line += countNewlines(l.before);
    if (l.type === LineType.DIRECTIVE) out.push({ keyword: l.param.toLowerCase(), args: argsOf(l.value), file, line: at.line });
    at.line += countNewlines(l.after);
    if ('config' in l) flatten(l.config, file, out, at);
  }
  return out;
}

const parsedFiles = new Map<string, { text: string; lines: ConfigLine[] }>();

/** The directives of one config file (parsed once per content); a missing file has none. */
function configLines(file: string): ConfigLine[] {
  if (!existsSync(file)) return [];
  const text = readRegularText(file, { what: 'ssh config', maxBytes: 1024 * 1024 });
  const cached = parsedFiles.get(file);
  if (cached?.text === text) return cached.lines;
  let lines: ConfigLine[];
  try {
    lines = flatten(SSHConfig.parse(text), file, []);
  } catch (err) {
    throw new InputFileError('ssh config', file, `cannot be parsed: ${(err as Error).message}`, { hint: 'fix the quoting on that line (ssh -G <host> shows how ssh reads it)', cause: err });
  }
  parsedFiles.set(file, { text, lines });
  return lines;
}

/** OpenSSH's match_pattern: `*` any run, `?` exactly one character, everything else literal. */
export function sshPatternMatches(pattern: string, text: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(text);
}

/** A pattern list (`a,b,!c` or separate words): no negated pattern matches and some positive one does. */
function patternListMatches(patterns: string[], text: string): boolean {
  let matched = false;
  for (const p of patterns.flatMap((x) => x.split(','))) {
    if (p.startsWith('!')) {
      if (sshPatternMatches(p.slice(1), text)) return false;
    } else if (sshPatternMatches(p, text)) matched = true;
  }
  return matched;
}

interface EvalState {
  q: SshConfigQuery;
  host: string;
  values: SshConfigValues;
}

function where(l: ConfigLine): string {
  return `${l.file}:${l.line}`;
}

/** Whether a Match line applies; undefined when one of its criteria is one fleet cannot evaluate. */
function matchApplies(l: ConfigLine, st: EvalState): boolean | undefined {
  const args = l.args;
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const negated = raw.startsWith('!');
    const criterion = (negated ? raw.slice(1) : raw).toLowerCase();
    if (criterion === 'all') continue;
    const subject: Record<string, string | undefined> = {
      host: st.values.hostName?.value.replace(/%h/g, st.host) ?? st.host,
      originalhost: st.host,
      user: st.values.user?.value ?? st.q.user ?? 'root',
      localuser: st.q.localUser,
    };
    if (!(criterion in subject)) return undefined;
    const arg = args[++i];
    if (arg === undefined) throw new InputFileError('ssh config', where(l), `Match ${criterion} needs a value`);
    if (patternListMatches([arg], subject[criterion]!) === negated) return false;
  }
  return true;
}

function setOption(l: ConfigLine, st: EvalState): void {
  const v = st.values;
  const value = l.args.join(' ');
  const sourced = { value, at: where(l) };
  switch (l.keyword) {
    case 'hostname':
      v.hostName ??= sourced;
      break;
    case 'user':
      v.user ??= sourced;
      break;
    case 'port':
      v.port ??= sourced;
      break;
    case 'identityfile':
      v.identityFiles.push(sourced);
      break;
    case 'proxyjump':
      if (!v.proxyJump && !v.proxyCommand) v.proxyJump = sourced;
      break;
    case 'proxycommand':
      if (!v.proxyJump && !v.proxyCommand) v.proxyCommand = sourced;
      break;
  }
}

/** The files an Include line names: `~` and relative paths resolved, wildcards in the last component. */
function includeFiles(l: ConfigLine, home: string): string[] {
  const files: string[] = [];
  for (const arg of l.args) {
    const p = arg.startsWith('~/') ? path.join(home, arg.slice(2)) : path.isAbsolute(arg) ? arg : path.join(home, '.ssh', arg);
    const dir = path.dirname(p);
    const base = path.basename(p);
    if (/[*?]/.test(dir)) throw new InputFileError('ssh config', where(l), `Include ${arg}: fleet reads wildcards only in the last part of the path`);
    if (!/[*?]/.test(base)) files.push(p);
    else if (existsSync(dir)) files.push(...readdirSync(dir).filter((f) => !f.startsWith('.') && sshPatternMatches(base, f)).sort().map((f) => path.join(dir, f)));
  }
  return files;
}

/** Reads the lines of one file; `active` is whether the file (or the Include that named it) applies. */
function evaluate(lines: ConfigLine[], st: EvalState, depth: number): void {
  let active = true;
  let unknownMatch: ConfigLine | undefined;
  for (const l of lines) {
    if (l.keyword === 'host') {
      active = patternListMatches(l.args, st.host);
      unknownMatch = undefined;
    } else if (l.keyword === 'match') {
      const applies = matchApplies(l, st);
      unknownMatch = applies === undefined ? l : undefined;
      active = applies === true;
    } else if (unknownMatch && (KEYWORDS_USED.has(l.keyword) || l.keyword === 'include')) {
      throw new InputFileError('ssh config', where(unknownMatch), `fleet cannot evaluate '${unknownMatch.args.join(' ')}', and its section sets ${l.keyword} (line ${l.line})`, {
        hint: 'fleet evaluates Match all, host, originalhost, user and localuser: put what fleet needs in a Host section, or set it in the inventory (ansible_host, ansible_user, proxy_jump)',
      });
    } else if (!active) continue;
    else if (l.keyword === 'include') {
      if (depth >= MAX_INCLUDE_DEPTH) throw new InputFileError('ssh config', where(l), `Include nested more than ${MAX_INCLUDE_DEPTH} deep`);
      for (const f of includeFiles(l, st.q.home)) evaluate(configLines(f), st, depth + 1);
    } else setOption(l, st);
  }
}

/** The options `file` gives the host `q.host`, first obtained value first. */
export function sshConfigFor(file: string, q: SshConfigQuery): SshConfigValues {
  const st: EvalState = { q, host: q.host.toLowerCase(), values: { identityFiles: [] } };
  evaluate(configLines(file), st, 0);
  return st.values;
}
