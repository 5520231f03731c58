/**
 * Facts: what a plan reads once per host instead of once per resource.
 *
 * A converged plan used to start ~140 short-lived processes on the gateway (an `ip` or `iptables`
 * per check, plus the awk and sed that parse them). Now the plan first gathers a few facts in one
 * pass: per namespace one `ip link` and one `ip -batch` (addresses, rules, routes), one
 * `iptables-restore --noflush` of every rule's `-C` and one `sysctl` of the wanted keys; once per
 * host `ip netns list`, `wg show all` (listen ports and allowed IPs, never a key) and the active
 * wg-quick@ units, `dpkg-query`, and `sha256sum` and `stat` over the managed files, and the host
 * firewall's INPUT policy and ufw state. Only what some proof needs is read. One awk
 * (facts.awk) turns it all into canonical lines. A resource that can be read from them carries a
 * `Proof`, built beside its check in its own module: the lines that must all be present for it to
 * hold (facts.test.ts checks each module's lines against the awk on captured tool output). The awk is given every line some proof wants and sets a shell flag `fleet_ok_N=1` for
 * each one it finds, so a proved check is a few `[ ]` builtins and starts no process at all.
 *
 * A proof can only say "holds". When a line is missing (something drifted, a namespace is absent, a
 * tool failed, the host uses legacy iptables) the resource's own `check` runs as before: it alone
 * says "does not hold", prints what is there instead, or reports a failing probe. So the fast path
 * can make a plan faster, never different, as long as every line below is printed only for state in
 * which that resource's check exits 0. This module only gathers and composes.
 *
 * Facts exist only inside a plan script. Apply re-checks with the full `check` (the state changes
 * under it), and so do revert and teardown.
 */
import { shellAsset } from '../shell/asset.js';
import { Secret, Shell, raw, sh } from '../shell/sh.js';
import { UFW_CONF, UFW_USER_INPUT } from './host-firewall.js';

/** What a proof needs gathered. `net` covers links, addresses, rules and routes of a namespace. */
export type FactNeed =
  | { kind: 'net'; netns?: string }
  | { kind: 'iptables'; netns?: string; table: string; chain: string; rule: string[] }
  | { kind: 'package'; name: string }
  | { kind: 'file'; path: string }
  | { kind: 'netns' }
  | { kind: 'sysctl'; netns?: string; key: string }
  | { kind: 'wireguard' }
  | { kind: 'hostfw' };

export interface Proof {
  needs: FactNeed[];
  /** Every one must be a whole line of the facts. Secret when it carries a secret's hash. */
  lines: (string | Secret)[];
}

/** The root namespace in fact lines. */
const ROOT = '-';

/** Words that stay one field in awk and one token in iptables-restore, unquoted. */
export const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./!-]+$/;

/** A namespace as fact lines name it. */
export function factNs(netns: string | undefined): string {
  return netns ?? ROOT;
}

/** A proof read from the `net` facts of these namespaces (links, addresses, rules, routes). */
export function netProof(namespaces: (string | undefined)[], lines: string[]): Proof {
  return { needs: [...new Set(namespaces)].map((n) => ({ kind: 'net' as const, netns: n })), lines };
}

/** A rule token as iptables-restore reads it: plain, or double-quoted when it holds spaces. */
function restoreToken(t: string): string {
  return PLAIN_WORD.test(t) ? t : `"${t}"`;
}

const HEREDOC = 'FLEET_FACTS_EOF';

const CANONICAL = shellAsset(import.meta.url, 'facts.awk');

/** The `ip` reads of one namespace: links with their kind, then IPv4 addresses, rules and routes. */
function netSection(netns: string | undefined): Shell {
  const ip = netns ? sh`ip -n ${netns}` : raw('ip');
  return Shell.join([
    sh`echo ${`@net ${factNs(netns)}`}`,
    sh`${ip} -o -d link show`,
    sh`${ip} -o -4 -N -batch - <<'${raw(HEREDOC)}'`,
    raw(`addr show\nrule show\nroute show table all\n${HEREDOC}`),
  ]);
}

/** One `iptables-restore --noflush` of `-C` lines per namespace: exit 0 only when every rule is there. */
function iptablesSection(netns: string | undefined, rules: Extract<FactNeed, { kind: 'iptables' }>[]): Shell {
  const byTable = new Map<string, string[]>();
  for (const r of rules) {
    const lines = byTable.get(r.table) ?? [];
    lines.push(['-C', r.chain, ...r.rule].map(restoreToken).join(' '));
    byTable.set(r.table, lines);
  }
  const input = [...byTable].flatMap(([table, lines]) => [`*${table}`, ...lines, 'COMMIT']);
  const exec = netns ? sh`ip netns exec ${netns} ` : raw('');
  return Shell.join([
    sh`  if ${exec}iptables-restore -w --noflush >/dev/null <<'${raw(HEREDOC)}'`,
    raw(`${input.join('\n')}\n${HEREDOC}`),
    sh`  then echo ${`@ipt ${factNs(netns)}`}; fi`,
  ]);
}

export interface FactPlan {
  /** Gathers the facts once and sets `fleet_ok_N=1` for every wanted line found. */
  gather: Shell;
  /** The builtin test that every line of a proof (one given to `planFacts`) was found. */
  test(p: Proof): Shell;
}

/** The plan-script part for these proofs; undefined when there are none. */
export function planFacts(proofs: Proof[]): FactPlan | undefined {
  const needs = proofs.flatMap((p) => p.needs);
  if (needs.length === 0) return undefined;
  // Every distinct wanted line gets a number; the awk reports the ones it saw.
  const wanted = new Map<string, { n: number; line: string | Secret }>();
  for (const p of proofs) for (const l of p.lines) {
    const key = l instanceof Secret ? l.value : l;
    if (!wanted.has(key)) wanted.set(key, { n: wanted.size + 1, line: l });
  }
  const nets = new Set<string | undefined>();
  const ipt = new Map<string | undefined, Extract<FactNeed, { kind: 'iptables' }>[]>();
  const packages = new Set<string>();
  const files = new Set<string>();
  const sysctls = new Map<string | undefined, Set<string>>();
  let netnsList = false;
  let wireguard = false;
  let hostfw = false;
  for (const n of needs) {
    if (n.kind === 'net') nets.add(n.netns);
    else if (n.kind === 'iptables') ipt.set(n.netns, [...(ipt.get(n.netns) ?? []), n]);
    else if (n.kind === 'package') packages.add(n.name);
    else if (n.kind === 'file') files.add(n.path);
    else if (n.kind === 'sysctl') sysctls.set(n.netns, (sysctls.get(n.netns) ?? new Set()).add(n.key));
    else if (n.kind === 'netns') netnsList = true;
    else if (n.kind === 'hostfw') hostfw = true;
    else wireguard = true;
  }
  const sections: Shell[] = [raw('echo @want'), sh`printf '%s\n' ${[...wanted.values()].map((w) => w.line)}`];
  sections.push(...[...nets].map(netSection));
  if (ipt.size > 0) {
    // Legacy iptables-restore commits the whole table back even when it only ran -C: a write, so a
    // plan never uses it there. nf_tables only looks.
    sections.push(raw('case $(iptables -V) in *nf_tables*)'), ...[...ipt].map(([n, rules]) => iptablesSection(n, rules)), raw(';; esac'));
  }
  if (netnsList) sections.push(raw('echo @netns'), raw('ip netns list'));
  // listen-port and allowed-ips only: `wg show` never prints a key here.
  if (wireguard) {
    sections.push(raw('echo @wg'), raw('wg show all listen-port'), raw('echo @wgips'), raw('wg show all allowed-ips'));
    // The active wg-quick@ units where systemd runs; `-` where it does not (no unit is wanted there).
    sections.push(raw('echo @wgunit'), raw(`if [ -d /run/systemd/system ]; then systemctl list-units --state=active --no-legend --plain 'wg-quick@*'; else echo -; fi`));
  }
  // The host firewall as host-firewall.ts reads it: INPUT's policy, ufw enabled, ufw's chains loaded.
  if (hostfw) {
    sections.push(raw('echo @hostfw'), raw('iptables -w -S INPUT | head -n 1'), sh`grep -s '^ENABLED=' ${UFW_CONF}`);
    sections.push(sh`iptables -w -n -L ${UFW_USER_INPUT} >/dev/null && echo ufw-chains`);
  }
  for (const [n, keys] of sysctls) sections.push(sh`echo ${`@sysctl ${factNs(n)}`}`, sh`${n ? sh`ip netns exec ${n} ` : raw('')}sysctl ${[...keys]}`);
  if (packages.size > 0) sections.push(raw('echo @pkg'), sh`dpkg-query -W -f='\${Package} \${db:Status-Abbrev}\n' ${[...packages]}`);
  if (files.size > 0) {
    sections.push(raw('echo @sha'), sh`sha256sum -- ${[...files]}`, raw('echo @stat'), sh`stat -c '%f %a %U %G %n' -- ${[...files]}`);
  }
  return {
    // The awk prints nothing but `fleet_ok_<number>=1` lines: safe to eval.
    gather: Shell.join([raw('eval "$( {'), ...sections, sh`} 2>/dev/null | awk ${CANONICAL} )"`]),
    test(p: Proof): Shell {
      const ns = p.lines.map((l) => wanted.get(l instanceof Secret ? l.value : l)?.n);
      if (ns.some((n) => n === undefined)) return raw('false');
      return raw(ns.map((n) => `[ "\${fleet_ok_${n}:-}" = 1 ]`).join(' && '));
    },
  };
}
