/** Small formatting helpers shared by the recap, the live view and status. */

const useColor = (): boolean => !!process.stdout.isTTY && !process.env.NO_COLOR;

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Color = keyof typeof codes;

export function color(c: Color, s: string): string {
  return useColor() ? `\x1b[${codes[c]}m${s}\x1b[0m` : s;
}

/** Visible width, ignoring ANSI colour codes. */
function width(s: string): number {
   
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) => cells.map((c, i) => c + ' '.repeat(widths[i]! - width(c))).join('  ').trimEnd();
  return [line(header.map((h) => color('bold', h))), ...rows.map(line)].join('\n');
}

export function seconds(s: number): string {
  return `${s.toFixed(s < 10 ? 2 : 1)}s`;
}

/**
 * Text from an inventory or a host made safe for a terminal: control characters (ESC among them,
 * so no escape sequence from a host name or a remote error reaches the screen) become '?'.
 */
export function printable(s: string): string {
   
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
}
