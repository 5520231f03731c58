/**
 * The one place where values become shell. Remote scripts run under /bin/sh (dash on Debian),
 * so quoting is POSIX single quotes only: no $'..', no bash arrays.
 *
 * A `Shell` carries two renderings: `text` (what runs) and `masked` (what may be printed, logged or
 * stored): secrets render as '***' in the masked form.
 */

export class Secret {
  constructor(readonly value: string) {}
  toString(): string {
    return '***';
  }
  toJSON(): string {
    return '***';
  }
}

export class Shell {
  /** True when masking changes nothing: then `masked` is `text` itself, not a second copy. */
  private readonly secretFree: boolean;
  private readonly maskedText: string;

  /**
   * Without `masked` (or with the same string) the shell holds no secret and keeps one string:
   * remote scripts run to hundreds of KB per host, and most hold no secret at all.
   */
  constructor(
    readonly text: string,
    masked?: string,
  ) {
    this.secretFree = masked === undefined || masked === text;
    this.maskedText = this.secretFree ? '' : masked!;
  }
  get masked(): string {
    return this.secretFree ? this.text : this.maskedText;
  }
  toString(): string {
    return this.masked;
  }
  static join(parts: Shell[], sep = '\n'): Shell {
    const text = parts.map((p) => p.text).join(sep);
    if (parts.every((p) => p.secretFree)) return new Shell(text);
    return new Shell(text, parts.map((p) => p.masked).join(sep));
  }
  static raw(text: string): Shell {
    return new Shell(text);
  }
  get isEmpty(): boolean {
    return this.text.trim() === '';
  }
}

/** POSIX single-quote a string: the only characters sh treats specially inside '' is ' itself. */
export function quote(value: string): string {
  if (value.includes('\0')) throw new TypeError('a shell argument cannot contain a NUL byte');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A value that is already shell (a fragment from another `sh` call, or `raw`). */
export type ShellValue = string | number | Secret | Shell | readonly (string | number | Secret | Shell)[];

function render(value: ShellValue): [string, string] {
  if (value instanceof Shell) return [value.text, value.masked];
  if (value instanceof Secret) return [quote(value.value), `'***'`];
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
    return [String(value), String(value)];
  }
  if (Array.isArray(value)) {
    const parts = value.map((v) => render(v as ShellValue));
    return [parts.map((p) => p[0]).join(' '), parts.map((p) => p[1]).join(' ')];
  }
  const q = quote(value as string);
  return [q, q];
}

/**
 * Tagged template: every interpolated value is quoted unless it is a `Shell`.
 *   sh`iptables -t ${table} -C ${chain} ${spec}`
 * Arrays are quoted element-wise and joined by spaces.
 */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): Shell {
  let text = strings[0] ?? '';
  let masked = strings[0] ?? '';
  values.forEach((v, i) => {
    const [t, m] = render(v);
    text += t + (strings[i + 1] ?? '');
    masked += m + (strings[i + 1] ?? '');
  });
  return new Shell(text, masked);
}

/** Literal shell text, written by fleet's own code (never from inventory values). */
export function raw(text: string): Shell {
  return Shell.raw(text);
}
