/**
 * The OpenVPN provider's config is third-party input that `openvpn` runs as root on the gateway:
 * a directive like `up` or `plugin` makes it run any program there. Before anything is uploaded,
 * its directive NAMES are linted (values are the provider's business, and secret): script hooks,
 * plugins, management interfaces, includes and `script-security` above 1 are refused unless the
 * inventory says `openvpn_allow_scripts: true`.
 *
 * The same reading gives the config's outline for the plan: each directive's name with every
 * value masked, so `--diff` can say what a changed provider config holds without showing it.
 */
import { ModuleArgsError } from '../errors.js';

/** Directives that make openvpn run a program (or load code) as root. */
const HOOKS = new Set([
  'up',
  'down',
  'route-up',
  'route-pre-down',
  'ipchange',
  'client-connect',
  'client-disconnect',
  'client-crresponse',
  'learn-address',
  'tls-verify',
  'tls-crypt-v2-verify',
  'auth-user-pass-verify',
  'iproute',
  'plugin',
]);

export interface OpenvpnDirective {
  name: string;
  /** 1-based line in the file. */
  line: number;
  args: string[];
  /** An inline file block (`<key>...</key>`): its body is not shown or linted. */
  inline?: boolean;
}

/** The directives of an OpenVPN config, in order (comments, blank lines and inline file bodies left out). */
export function openvpnDirectives(text: string): OpenvpnDirective[] {
  const out: OpenvpnDirective[] = [];
  let inFile: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    const close = /^<\/([^>\s]+)>$/.exec(line);
    if (inFile !== undefined) {
      // Generous about the end tag: ending a block early only means more lines get linted.
      if (line.toLowerCase().startsWith(`</${inFile}>`)) inFile = undefined;
      return;
    }
    if (close) return; // the end of a <connection> block
    const open = /^<([^/>\s][^>\s]*)>$/.exec(line);
    if (open) {
      const name = open[1]!.toLowerCase();
      // <connection> holds directives; every other block is a file's content.
      if (name !== 'connection') {
        inFile = name;
        out.push({ name, line: i + 1, args: [], inline: true });
      }
      return;
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const [first, ...args] = line.split(/\s+/);
    out.push({ name: directiveName(first!), line: i + 1, args });
  });
  return out;
}

/**
 * A directive name as openvpn reads it, or stricter: `--name` is `name`, and quotes and backslash
 * escapes (`"up"`, `u\\p`) are taken out, so no spelling hides a refused name.
 */
function directiveName(token: string): string {
  return token.replace(/["'\\]/g, '').replace(/^--/, '').toLowerCase();
}

/** Why this directive is refused without openvpn_allow_scripts, or undefined. */
function refusal(d: OpenvpnDirective): string | undefined {
  if (d.inline) return undefined;
  if (HOOKS.has(d.name)) return `'${d.name}' runs a program as root on the gateway`;
  if (d.name.startsWith('management')) return `'${d.name}' opens a management interface that controls the tunnel`;
  if (d.name === 'config') return "'config' includes another file, which fleet cannot check";
  if (d.name === 'script-security') {
    const level = d.args[0];
    if (level === undefined || !/^[0-9]+$/.test(level) || Number(level) > 1) return `'script-security' above 1 lets the config run programs`;
  }
  // `setenv opt NAME ...` applies NAME as a directive when openvpn knows it
  if (d.name === 'setenv' && d.args[0]?.toLowerCase() === 'opt' && d.args[1] !== undefined) {
    return refusal({ ...d, name: directiveName(d.args[1]), args: d.args.slice(2) });
  }
  return undefined;
}

/**
 * Refuses a provider config that can run programs as root, unless `allowScripts`.
 * @param where what names the config in the message (its path on the controller)
 * @throws ModuleArgsError naming the file, the line and the directive (every one found)
 */
export function lintOpenvpnConfig(text: string, where: string, allowScripts: boolean): void {
  if (allowScripts) return;
  const problems = openvpnDirectives(text).flatMap((d) => {
    const why = refusal(d);
    return why ? [`${where}:${d.line}: ${why}`] : [];
  });
  if (problems.length === 0) return;
  throw new ModuleArgsError(problems.join('\n'), {
    hint: 'remove these directives from the provider config, or set openvpn_allow_scripts: true for this host to run them as root',
  });
}

/** The config's directives with every value masked: `remote ***`, `<key> (inline)`. */
export function openvpnOutline(text: string): string[] {
  return openvpnDirectives(text).map((d) => (d.inline ? `<${d.name}> (inline)` : d.args.length ? `${d.name} ***` : d.name));
}
