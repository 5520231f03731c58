/**
 * Python's shlex.split(line, comments=True) in POSIX mode: how Ansible's INI plugin splits a host
 * line into its name and `key=value` words. Quotes group, a backslash escapes (inside double
 * quotes only `\` and `"`), and `#` ends the line even in the middle of a word.
 */

export class ShlexError extends Error {}

const BLANK = new Set([' ', '\t', '\r', '\n']);

export function shlexSplit(line: string): string[] {
  const out: string[] = [];
  let token = '';
  let inToken = false;
  let i = 0;
  const emit = () => {
    if (inToken) out.push(token);
    token = '';
    inToken = false;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (BLANK.has(c)) {
      emit();
      i++;
    } else if (c === '#') {
      break;
    } else if (c === "'" || c === '"') {
      inToken = true;
      const close = line.indexOf(c, i + 1);
      if (c === "'") {
        if (close < 0) throw new ShlexError('No closing quotation');
        token += line.slice(i + 1, close);
        i = close + 1;
        continue;
      }
      i++;
      for (;;) {
        if (i >= line.length) throw new ShlexError('No closing quotation');
        const d = line[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const n = line[i + 1];
          if (n === undefined) throw new ShlexError('No escaped character');
          token += n === '"' || n === '\\' ? n : `\\${n}`;
          i += 2;
          continue;
        }
        token += d;
        i++;
      }
    } else if (c === '\\') {
      const n = line[i + 1];
      if (n === undefined) throw new ShlexError('No escaped character');
      token += n;
      inToken = true;
      i += 2;
    } else {
      token += c;
      inToken = true;
      i++;
    }
  }
  emit();
  return out;
}
