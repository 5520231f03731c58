/**
 * Host keys in an inventory's `hosts:` map, as Ansible reads them (parse_address and
 * expand_hostname_range in ansible-core 2.14):
 *   gw[01:20]            gw01 ... gw20 (a leading zero pads to the width of `begin`)
 *   gw[1:9:2]            gw1 gw3 gw5 gw7 gw9 (a step)
 *   node-[a:c]           node-a node-b node-c
 *   db[1:2]-[a:b]        db1-a db1-b db2-a db2-b (several ranges)
 *   gw1:2222             host gw1, ansible_port 2222; [2001:db8::1]:2222 for IPv6
 * Deliberate differences: an empty range ([5:1]) or a step < 1 is an error (Ansible silently
 * yields no hosts), and one key may expand to at most MAX_EXPANSION hosts.
 */

export const MAX_EXPANSION = 10_000;

export class HostPatternError extends Error {}

const numericRange = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const hexRange = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const alnumRange = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const i4 = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${numericRange})`;
const i6 = String.raw`(?:[0-9a-f]{1,4}|${hexRange})`;
const label = String.raw`(?:[\p{L}\p{N}_]|${alnumRange})(?:[\p{L}\p{N}_-]|${alnumRange})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const IPV4 = new RegExp(String.raw`^(?:${i4}\.){3}${i4}$`, 'i');
// Python's re.match anchors every alternative at the start but `$` binds only to the last one;
// the sticky flag reproduces that.
const IPV6 = new RegExp(
  [
    String.raw`(?:${i6}:){7}${i6}`,
    String.raw`(?:${i6}:){1,6}:`,
    String.raw`(?:${i6}:)(?::${i6}){1,6}`,
    String.raw`(?:${i6}:){2}(?::${i6}){1,5}`,
    String.raw`(?:${i6}:){3}(?::${i6}){1,4}`,
    String.raw`(?:${i6}:){4}(?::${i6}){1,3}`,
    String.raw`(?:${i6}:){5}(?::${i6}){1,2}`,
    String.raw`(?:${i6}:){6}(?::${i6})`,
    String.raw`:(?::${i6}){1,6}`,
    String.raw`${i6}?::`,
    String.raw`(?:0:){6}(?:${i6}\.){3}${i6}`,
    String.raw`::(?:ffff:)?(?:${i6}\.){3}${i6}`,
    String.raw`(?:0:){5}ffff:(?:${i6}\.){3}${i6}$`,
  ].join('|'),
  'iy',
);
const HOSTNAME = new RegExp(String.raw`^${label}(?:\.${label})*$`, 'iu');

function matchesAt0(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  return re.test(s);
}

/** Ansible's parse_address(allow_ranges=True): host and optional port, or undefined if not an address. */
export function parseAddress(address: string): { host: string; port?: number } | undefined {
  let rest = address;
  let port: number | undefined;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(rest);
    if (m) {
      rest = m[1]!;
      port = Number(m[2]);
    }
  }
  if (matchesAt0(IPV4, rest) || matchesAt0(IPV6, rest) || matchesAt0(HOSTNAME, rest)) return { host: rest, port };
  return undefined;
}

/** A `hosts:` key: the host names it stands for, and the port it names (which becomes ansible_port). */
export function expandHostKey(key: string): { names: string[]; port?: number } {
  const parsed = parseAddress(key);
  const pattern = parsed?.host ?? key;
  const names = pattern.includes('[') ? expandHostnameRange(pattern) : [pattern];
  return parsed?.port === undefined ? { names } : { names, port: parsed.port };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Ansible's expand_hostname_range: the first [begin:end(:step)] expands, then the rest recursively. */
export function expandHostnameRange(line: string, budget = { left: MAX_EXPANSION }): string[] {
  const parts = line.replace('[', '|').replace(']', '|').split('|');
  if (parts.length !== 3) throw new HostPatternError(`bad host range in ${line}: expected name[begin:end] or name[begin:end:step]`);
  const [head, nrange, tail] = parts as [string, string, string];
  const bounds = nrange.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new HostPatternError(`host range [${nrange}] must be begin:end or begin:end:step`);
  const beg = bounds[0] || '0';
  const end = bounds[1]!;
  if (!end) throw new HostPatternError(`host range [${nrange}] must specify an end value`);
  const stepText = bounds[2] ?? '1';
  if (!/^\s*[+-]?\d+\s*$/.test(stepText)) throw new HostPatternError(`host range [${nrange}]: step ${stepText} is not a number`);
  const step = Number(stepText);
  if (step < 1) throw new HostPatternError(`host range [${nrange}]: step must be at least 1`);
  let fill = (x: string | number) => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    if (beg.length !== end.length) throw new HostPatternError(`host range [${nrange}] must specify equal-length begin and end formats (like 01:20)`);
    fill = (x) => String(x).padStart(beg.length, '0');
  }
  let seq: (string | number)[];
  const iBeg = LETTERS.indexOf(beg);
  const iEnd = LETTERS.indexOf(end);
  if (iBeg >= 0 && iEnd >= 0) {
    if (iBeg > iEnd) throw new HostPatternError(`host range [${nrange}] must have begin <= end`);
    seq = [];
    for (let i = iBeg; i <= iEnd; i += step) seq.push(LETTERS[i]!);
  } else {
    if (!/^\s*[+-]?\d+\s*$/.test(beg) || !/^\s*[+-]?\d+\s*$/.test(end)) {
      throw new HostPatternError(`host range [${nrange}] must be numbers (like 01:20) or single letters (like a:f)`);
    }
    const b = Number(beg);
    const e = Number(end);
    if (b > e) throw new HostPatternError(`host range [${nrange}] is empty: begin must be <= end`);
    if ((e - b) / step + 1 > budget.left) throw new HostPatternError(`host range in ${line} expands to more than ${MAX_EXPANSION} hosts`);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(i);
  }
  const out: string[] = [];
  for (const x of seq) {
    const name = `${head}${fill(x)}${tail}`;
    if (name.includes('[')) out.push(...expandHostnameRange(name, budget));
    else {
      if (--budget.left < 0) throw new HostPatternError(`host range in ${line} expands to more than ${MAX_EXPANSION} hosts`);
      out.push(name);
    }
  }
  return out;
}
