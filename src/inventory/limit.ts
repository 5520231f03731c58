/**
 * `--limit` as Ansible users know it (ansible-core 2.14 InventoryManager):
 *   gw01,gw02      a list (commas; or colons, when the whole is not one host:port/range)
 *   eu             a group: its hosts and its children's
 *   gw*  gw0[1-3]  shell globs, over group names and host names
 *   ~gw0[12]$      a regular expression (Python re.match: anchored at the start)
 *   all  *         every host
 *   eu[0]  eu[1:2] eu[-1]   a subscript into what the pattern matched (x:y inclusive)
 *   eu,&gateways   intersection;  all,!gw02  exclusion (a lone !gw02 means all,!gw02)
 *   @file          one pattern per line
 * Plain patterns apply first, then the & ones, then the ! ones, whatever their order.
 *
 * Stricter than Ansible, which only warns: a pattern (plain, & or !) matching no host or group
 * is an error naming it. A typo in `!gw-prod` must not deploy to gw-prod.
 */
import { readRegularText } from '../fs/read-regular-file.js';
import { InventoryError, type InventoryIssue } from '../errors.js';
import { parseAddress } from './hosts-pattern.js';
import { hostsOfGroup } from './order.js';
import type { Host, Inventory } from './types.js';

export function splitPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  // A regular expression is one pattern: `~gw[12]` must not lose its brackets to the split below.
  else if (/^[!&]?~/.test(pattern.trim())) parts = [pattern];
  else if (parseAddress(pattern)) parts = [pattern];
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** Python's fnmatch.translate, anchored. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) re += '\\[';
      else {
        let body = glob.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        else if (body.startsWith('^')) body = `\\${body}`;
        re += `[${body}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

function limitError(message: string): InventoryError {
  const issue: InventoryIssue = { location: { file: '--limit' }, message };
  return new InventoryError([issue], { hint: "patterns are host names, group names, globs (gw*), ~regex, all, and &pattern / !pattern; see 'fleet inventory --graph'" });
}

/** Hosts of a group and of its descendants, in Ansible's order. */
function groupHosts(inv: Inventory, name: string): string[] {
  return hostsOfGroup({ get: (g: string) => inv.groups[g] }, name);
}

function matchOne(inv: Inventory, raw: string): string[] | undefined {
  let pattern = raw;
  let subscript: [number, number | undefined] | undefined;
  if (pattern[0] !== '~') {
    const m = SUBSCRIPT.exec(pattern);
    if (m) {
      pattern = m[1]!;
      subscript = m[2] !== undefined ? [Number(m[2]), undefined] : [Number(m[3]), m[5] ? Number(m[5]) : -1];
    }
  }
  const hostNames = inv.hosts.map((h) => h.name);
  let results: string[] = [];
  let matchedGroup = false;
  if (pattern === 'all' || pattern === '*') {
    results = hostNames;
    matchedGroup = true;
  } else {
    let re: RegExp;
    if (pattern === '~') throw limitError(`empty regular expression ${raw}: write ~REGEX, e.g. ~gw0[12]`);
    try {
      re = pattern[0] === '~' ? new RegExp(`^(?:${pattern.slice(1)})`, 'u') : globToRegExp(pattern);
    } catch (err) {
      throw limitError(`invalid pattern ${raw}${pattern[0] === '~' ? `: not a regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')})` : ''}`);
    }
    const groups = Object.keys(inv.groups).filter((g) => re.test(g));
    matchedGroup = groups.length > 0;
    for (const g of groups) results.push(...groupHosts(inv, g));
    if (!matchedGroup || pattern[0] === '~' || /[.?*[]/.test(pattern)) results.push(...hostNames.filter((h) => re.test(h)));
  }
  // As Ansible: a subscript counts a host matched twice (by two groups) twice; duplicates go after it.
  const known = new Set(hostNames);
  results = results.filter((h) => known.has(h));
  if (!results.length && !matchedGroup) return undefined;
  if (subscript && results.length) {
    const [start, end] = subscript;
    if (end === undefined) {
      const idx = start < 0 ? results.length + start : start;
      if (idx < 0 || idx >= results.length) throw limitError(`no host at index ${start} of ${pattern} (it has ${results.length})`);
      results = [results[idx]!];
    } else {
      const last = end === -1 ? results.length - 1 : end;
      results = results.slice(start, last + 1);
    }
  }
  return [...new Set(results)];
}

/** The hosts a --limit pattern selects, in inventory order. Throws InventoryError naming what matched nothing. */
export function selectHosts(inv: Inventory, pattern: string): Host[] {
  let patterns: string[] = [];
  for (const p of splitPattern(pattern)) {
    if (p[0] !== '@') {
      patterns.push(p);
      continue;
    }
    const text = readRegularText(p.slice(1), { what: 'limit file' });
    patterns.push(...text.split('\n').map((l) => l.trim()).filter(Boolean));
  }
  if (!patterns.length) throw limitError(`empty pattern ${JSON.stringify(pattern)}`);
  const regular = patterns.filter((p) => p[0] !== '!' && p[0] !== '&');
  const intersect = patterns.filter((p) => p[0] === '&');
  const exclude = patterns.filter((p) => p[0] === '!');
  patterns = [...(regular.length ? regular : ['all']), ...intersect, ...exclude];

  const unmatched: string[] = [];
  let selected: string[] = [];
  const hostNames = new Set(inv.hosts.map((h) => h.name));
  for (const p of patterns) {
    const bare = p[0] === '!' || p[0] === '&' ? p.slice(1) : p;
    const that = hostNames.has(bare) ? [bare] : matchOne(inv, bare);
    if (that === undefined) {
      unmatched.push(p);
      continue;
    }
    if (p[0] === '!') selected = selected.filter((h) => !that.includes(h));
    else if (p[0] === '&') selected = selected.filter((h) => that.includes(h));
    else selected.push(...that.filter((h) => !selected.includes(h)));
  }
  if (unmatched.length) {
    throw limitError(`${unmatched.map((p) => `pattern ${p}`).join(', ')} ${unmatched.length > 1 ? 'match' : 'matches'} no host or group`);
  }
  const chosen = new Set(selected);
  const out = inv.hosts.filter((h) => chosen.has(h.name));
  if (!out.length) throw limitError(`--limit ${pattern} selects no hosts`);
  return out;
}
