/**
 * What fleet takes from `ansible_ssh_common_args` / `ansible_ssh_extra_args`: the bastions, written
 * the way real inventories write them (`-J hop`, `-o ProxyJump=hop`, `-oProxyJump hop`). fleet
 * speaks SSH itself, so the other options of an ssh command line do not apply: they are listed in
 * a warning. `ProxyCommand` is refused: fleet cannot run a command to reach a host.
 */

export interface SshArgsJumps {
  /** The ProxyJump value (comma-separated hops), when the arguments set one. */
  proxyJump?: string;
  /** Arguments fleet does not use, as written. */
  ignored: string[];
  /** Why the arguments cannot be honoured (ProxyCommand, unbalanced quotes). */
  refused?: string;
}

/** POSIX-shell-like words: whitespace separates, single and double quotes and backslash escape. */
export function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(cur);
  return words;
}

/** `Keyword=value` or `Keyword value` (ssh -o accepts both). */
function option(text: string): { key: string; value: string } {
  const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(text);
  return m ? { key: m[1]!.toLowerCase(), value: m[2]!.trim() } : { key: text.trim().toLowerCase(), value: '' };
}

/** The bastions of one ssh argument string. As in ssh, the first ProxyJump obtained wins. */
export function jumpsOfSshArgs(text: string): SshArgsJumps {
  const words = shellWords(text);
  if (!words) return { ignored: [], refused: 'unbalanced quotes' };
  const out: SshArgsJumps = { ignored: [] };
  const take = (value: string) => {
    if (out.proxyJump === undefined) out.proxyJump = value;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-J' || w === '-o') {
      const next = words[i + 1];
      if (next === undefined) return { ...out, refused: `${w} without a value` };
      i++;
      if (w === '-J') take(next);
      else handleOption(next, out, take);
    } else if (w.startsWith('-J')) take(w.slice(2));
    else if (w.startsWith('-o')) handleOption(w.slice(2), out, take);
    else out.ignored.push(w);
  }
  return out;
}

function handleOption(text: string, out: SshArgsJumps, take: (v: string) => void): void {
  const o = option(text);
  if (o.key === 'proxyjump') take(o.value);
  else if (o.key === 'proxycommand' && o.value.toLowerCase() !== 'none') out.refused = 'ProxyCommand is not something fleet can run: reach the host with -o ProxyJump= (or -J, or proxy_jump)';
  else out.ignored.push(`-o ${text}`);
}
