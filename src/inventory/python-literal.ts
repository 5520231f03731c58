/**
 * Python's ast.literal_eval, for the values of an INI inventory: Ansible's INI plugin reads every
 * `key=value` with it and keeps the text when it is not a literal. So `1` is 1, `True` is true,
 * `[1, 2]` a list, `'a b'` a string, `0644` (not a Python 3 literal) and `yes` stay text.
 *
 * Covered: str and bytes literals (prefixes, escapes, implicit concatenation), int (0x, 0o, 0b,
 * `_`), float, True/False/None, unary + and -, lists, tuples (also bare `1, 2`), dicts and sets.
 * Complex numbers, f-strings and calls are "not a literal", as are Python's errors; both leave
 * the text as it was, which is what Ansible does with them.
 */

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

class NotLiteral extends Error {}

/** The value of `text` as a Python literal, or undefined when it is none. */
export function pythonLiteral(text: string): { value: PyValue } | undefined {
  try {
    const p = new Parser(text.replace(/^[ \t]+/, ''));
    const value = p.expression(true);
    p.skip();
    if (!p.done()) return undefined;
    return { value };
  } catch (err) {
    if (err instanceof NotLiteral) return undefined;
    throw err;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i >= this.s.length;
  }

  /** Blanks and a `#` comment to the end of the line. */
  skip(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\f' || c === '\n' || c === '\r') this.i++;
      else if (c === '#') {
        while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      } else return;
    }
  }

  private fail(): never {
    throw new NotLiteral();
  }

  /** One expression; at the top (or in parentheses) `a, b` is a tuple. */
  expression(tupleAllowed: boolean): PyValue {
    const first = this.unary();
    this.skip();
    if (!tupleAllowed || this.s[this.i] !== ',') return first;
    const items = [first];
    while (this.s[this.i] === ',') {
      this.i++;
      this.skip();
      if (this.done() || this.s[this.i] === ')') break;
      items.push(this.unary());
      this.skip();
    }
    return items;
  }

  private unary(): PyValue {
    this.skip();
    const c = this.s[this.i];
    if (c === '-' || c === '+') {
      this.i++;
      const v = this.unary();
      if (typeof v !== 'number') this.fail();
      return c === '-' ? -v : v;
    }
    return this.atom();
  }

  private atom(): PyValue {
    this.skip();
    const c = this.s[this.i];
    if (c === undefined) this.fail();
    if (c === '[') return this.sequence(']');
    if (c === '(') {
      this.i++;
      this.skip();
      if (this.s[this.i] === ')') {
        this.i++;
        return [];
      }
      const v = this.expression(true);
      this.skip();
      if (this.s[this.i] !== ')') this.fail();
      this.i++;
      return v;
    }
    if (c === '{') return this.braces();
    if (/[0-9.]/.test(c)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (word !== undefined && /['"]/.test(this.s[this.i + word.length] ?? '') && /^(?:[rRuUbB]|[bB][rR]|[rR][bB])$/.test(word)) return this.strings();
    if (c === '"' || c === "'") return this.strings();
    if (word === 'True' || word === 'False' || word === 'None') {
      this.i += word.length;
      return word === 'True' ? true : word === 'False' ? false : null;
    }
    return this.fail();
  }

  private sequence(close: string): PyValue[] {
    this.i++;
    const items: PyValue[] = [];
    for (;;) {
      this.skip();
      if (this.s[this.i] === close) {
        this.i++;
        return items;
      }
      items.push(this.unary());
      this.skip();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) this.fail();
    }
  }

  /** {k: v} a dict, {a, b} a set (shown as a list, as JSON has no sets). */
  private braces(): PyValue {
    this.i++;
    this.skip();
    if (this.s[this.i] === '}') {
      this.i++;
      return Object.create(null) as Record<string, PyValue>;
    }
    const first = this.unary();
    this.skip();
    if (this.s[this.i] !== ':') {
      const items = [first];
      while (this.s[this.i] === ',') {
        this.i++;
        this.skip();
        if (this.s[this.i] === '}') break;
        items.push(this.unary());
        this.skip();
      }
      if (this.s[this.i] !== '}') this.fail();
      this.i++;
      return [...new Map(items.map((v) => [JSON.stringify(v), v])).values()];
    }
    const out = Object.create(null) as Record<string, PyValue>;
    let key: PyValue = first;
    for (;;) {
      this.i++; // ':'
      if (key !== null && typeof key === 'object') this.fail(); // unhashable
      const value = this.unary();
      out[jsonKey(key)] = value;
      this.skip();
      if (this.s[this.i] === ',') {
        this.i++;
        this.skip();
      }
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      key = this.unary();
      this.skip();
      if (this.s[this.i] !== ':') this.fail();
    }
  }

  private number(): number {
    const rest = this.s.slice(this.i);
    const m =
      /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+/.exec(rest) ??
      /^(?:(?:[0-9](?:_?[0-9])*)?\.(?:[0-9](?:_?[0-9])*)?|[0-9](?:_?[0-9])*)(?:[eE][-+]?[0-9](?:_?[0-9])*)?/.exec(rest);
    if (!m || m[0] === '.' || m[0] === '') this.fail();
    const text = m[0];
    const after = rest[text.length];
    if (after !== undefined && /[A-Za-z0-9_]/.test(after)) this.fail(); // 1j, 08, 1abc
    this.i += text.length;
    const t = text.replace(/_/g, '');
    if (/^0[xXoObB]/.test(t)) return parseInt(t.slice(2), t[1]!.toLowerCase() === 'x' ? 16 : t[1]!.toLowerCase() === 'o' ? 8 : 2);
    if (/[.eE]/.test(t)) return parseFloat(t);
    if (/^0+[0-9]/.test(t) && !/^0+$/.test(t)) this.fail(); // leading zeros are a SyntaxError in Python 3
    return parseInt(t, 10);
  }

  /** One or more adjacent string literals, concatenated. */
  private strings(): string {
    let out = '';
    let kind: 'str' | 'bytes' | undefined;
    for (;;) {
      this.skip();
      const prefix = /^[A-Za-z]{0,2}(?=['"])/.exec(this.s.slice(this.i))?.[0];
      if (prefix === undefined || !/^(?:|[rRuUbB]|[bB][rR]|[rR][bB])$/.test(prefix)) break;
      const isBytes = /[bB]/.test(prefix);
      if (kind && kind !== (isBytes ? 'bytes' : 'str')) this.fail(); // cannot mix bytes and str
      kind = isBytes ? 'bytes' : 'str';
      this.i += prefix.length;
      out += this.stringBody(/[rR]/.test(prefix), isBytes);
    }
    if (kind === undefined) this.fail();
    return out;
  }

  private stringBody(raw: boolean, bytes: boolean): string {
    const q = this.s[this.i]!;
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const close = triple ? q.repeat(3) : q;
    this.i += close.length;
    let out = '';
    const byteValues: number[] = [];
    const put = (text: string) => {
      if (bytes) for (const ch of text) byteValues.push(ch.codePointAt(0)!);
      else out += text;
    };
    for (;;) {
      if (this.i >= this.s.length) this.fail();
      if (this.s.startsWith(close, this.i)) {
        this.i += close.length;
        return bytes ? Buffer.from(byteValues).toString('utf8') : out;
      }
      const c = this.s[this.i]!;
      if (c === '\n' && !triple) this.fail();
      if (bytes && c.codePointAt(0)! > 127) this.fail();
      if (c !== '\\') {
        put(c);
        this.i++;
        continue;
      }
      const n = this.s[this.i + 1];
      if (n === undefined) this.fail();
      if (raw) {
        put(`\\${n}`);
        this.i += 2;
        continue;
      }
      this.i += 2;
      if (n in SIMPLE_ESCAPES) put(SIMPLE_ESCAPES[n]!);
      else if (/[0-7]/.test(n)) {
        let digits = n;
        while (digits.length < 3 && /[0-7]/.test(this.s[this.i] ?? '')) digits += this.s[this.i++];
        const code = parseInt(digits, 8);
        if (bytes) byteValues.push(code & 0xff);
        else out += String.fromCodePoint(code);
      } else if (n === 'x' || (!bytes && (n === 'u' || n === 'U'))) {
        const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
        const hex = this.s.slice(this.i, this.i + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) this.fail();
        this.i += len;
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) this.fail();
        if (bytes) byteValues.push(code);
        else out += String.fromCodePoint(code);
      } else if (n === 'N' && !bytes) {
        this.fail(); // named escapes need Unicode's name table
      } else put(`\\${n}`); // unknown escapes stay, as in Python
    }
  }
}

/** A dict key as json.dumps writes it. */
function jsonKey(key: PyValue): string {
  if (typeof key === 'string') return key;
  if (key === null) return 'null';
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  return String(key);
}
