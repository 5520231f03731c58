/**
 * iptables-rule: one rule in one chain of one table, optionally inside a namespace.
 *
 * One rule spec renders `-C` (check), `-A`/`-I` (apply) and `-D` (undo, revert), as Ansible's
 * iptables module does, so the three cannot drift apart. `-C` compares the rule the way the kernel
 * stores it, so `-s 10.4.0.5/25` and `-s 10.4.0.0/25` are the same rule; iptables-save prints the
 * canonical form (it adds `-m tcp` after `-p tcp`), which is why the check never compares text.
 *
 * check: `iptables -C` exits 1 both for "no such rule" and for some real errors. Only the message
 *   "Bad rule (does a matching rule exist in that chain?)" means absent (iptables-nft also says it
 *   for a chain that does not exist yet, e.g. nat POSTROUTING in a fresh namespace); anything else
 *   ("No chain/target/match by that name." from iptables-legacy, a missing extension, a bad
 *   option, status 2) is a probe failure. A missing namespace reads as absent.
 * apply: `-A` (or `-I`, position 1). The engine ran the check first, so it never adds a duplicate.
 * undo, revert: `-D` once, guarded by `-C`. Exactly one instance goes per undo: fleet adds at most
 *   one (its apply is check-guarded), so a second identical rule was added by someone else and
 *   stays theirs. A create-only resource, so revert is undo.
 *
 * family: 4 (iptables) or 6 (ip6tables, the same spec in the IPv6 ruleset). IPv6 rules have no
 *   plan proof (the facts batch iptables only): their own `-C` runs.
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, quote, raw, sh } from '../shell/sh.js';
import { absentInCheck, argToken, deleteIfPresent, inNetns, netnsArg, nsExec, scoped, shellFunction, whenNetns } from './common.js';
import { factNs, type Proof } from './facts.js';

export const IPTABLES_TABLES = ['filter', 'nat', 'mangle', 'raw'] as const;

/** iptables(8) commands and the table switch: fleet supplies these itself. */
const COMMAND_OPTIONS = new Set([
  '-A', '--append', '-C', '--check', '-D', '--delete', '-I', '--insert', '-R', '--replace',
  '-L', '--list', '-S', '--list-rules', '-F', '--flush', '-Z', '--zero', '-N', '--new-chain',
  '-X', '--delete-chain', '-P', '--policy', '-E', '--rename-chain', '-t', '--table', '-h', '--help',
]);

export const iptablesRuleSchema = z.strictObject({
  table: z.enum(IPTABLES_TABLES).default('filter').describe('iptables table (-t)'),
  chain: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,28}$/, 'expected a chain name like POSTROUTING (up to 29 characters)')
    .describe('chain: a built-in one (POSTROUTING, FORWARD, ...) or an existing user chain'),
  rule: z
    .array(argToken)
    .min(1, 'a rule needs at least one token')
    .superRefine((tokens, ctx) => {
      tokens.forEach((t, i) => {
        if (COMMAND_OPTIONS.has(t))
          ctx.addIssue({
            code: 'custom',
            path: [i],
            message: `'${t}' is an iptables command or table switch: give only the rule spec (table, chain and position are separate arguments)`,
          });
      });
    })
    .describe("the rule spec as argv tokens, e.g. ['-s', '10.4.0.0/25', '-o', 'ens5', '-j', 'SNAT', '--to-source', '1.2.3.4']"),
  position: z.enum(['append', 'insert']).default('append').describe("'append' (-A, the end) or 'insert' (-I, the top)"),
  family: z.union([z.literal(4), z.literal(6)]).default(4).describe('4 (iptables) or 6 (ip6tables)'),
  netns: netnsArg,
});

export type IptablesRuleArgs = z.output<typeof iptablesRuleSchema>;

/** The one spec: every fragment is built from these. */
/** `iptables` or `ip6tables`. */
function tool(a: IptablesRuleArgs): string {
  return a.family === 6 ? 'ip6tables' : 'iptables';
}

function spec(a: IptablesRuleArgs) {
  const ipt = sh`${nsExec(a.netns)}${raw(tool(a))} -w -t ${a.table}`;
  const cmd = (op: '-C' | '-A' | '-I' | '-D'): Shell => sh`${ipt} ${raw(op)} ${a.chain} ${a.rule}`;
  return { cmd, present: rulePresentFunction(cmd('-C')) };
}

/**
 * `fleet_rule_present` from an `iptables -C` command: 0 present, 1 absent, 2 the probe failed (its
 * stderr is passed on).
 */
export function rulePresentFunction(checkCmd: Shell): Shell {
  return shellFunction(
    'fleet_rule_present',
    Shell.join([
      sh`  if fleet_err=$(${checkCmd} 2>&1 >/dev/null); then return 0; fi`,
      raw(`  case $fleet_err in *'does a matching rule exist'*) return 1 ;; esac`),
      raw(`  printf '%s\\n' "$fleet_err" >&2`),
      raw('  return 2'),
    ]),
  );
}

/** The plan's proof (facts.ts) that the check would say 0: `iptables -C`, batched: every rule of the namespace checks in one restore. */
function iptablesProof(netns: string | undefined, table: string, chain: string, rule: string[]): Proof | undefined {
  if (!rule.every((t) => /^[A-Za-z0-9_@%+=:,./! -]+$/.test(t))) return undefined;
  return { needs: [{ kind: 'iptables', netns, table, chain, rule }], lines: [`iptables ${factNs(netns)} ok`] };
}

function identity(a: IptablesRuleArgs): string {
  return scoped(a.netns, `${a.family === 6 ? 'ip6:' : ''}${a.table}/${a.chain} ${a.rule.map(quote).join(' ')}`);
}

export const iptablesRule = defineModule({
  name: 'iptables-rule',
  runtime: true,
  reachability: true,
  schema: iptablesRuleSchema,
  identity,
  render(a) {
    const s = spec(a);
    const check = whenNetns(a.netns, Shell.join([s.present, raw('fleet_rule_present')]), absentInCheck(a.netns ?? ''));
    const remove = whenNetns(
      a.netns,
      Shell.join([s.present, deleteIfPresent('fleet_rule_present', s.cmd('-D'))]),
      raw('true'),
    );
    return {
      title: `${tool(a)} -t ${a.table} ${a.position === 'insert' ? '-I' : '-A'} ${a.chain} ${a.rule.map(quote).join(' ')}${inNetns(a.netns)}`,
      check,
      proof: a.family === 6 ? undefined : iptablesProof(a.netns, a.table, a.chain, a.rule),
      apply: s.cmd(a.position === 'insert' ? '-I' : '-A'),
      revert: remove,
      undo: remove,
    };
  },
});

// ---------------------------------------------------------------------------------------------
// iptables-save parsing (for status and drift reports; the checks themselves use `-C`).

export interface IptablesChain {
  name: string;
  /** ACCEPT/DROP for built-in chains; null for user chains (printed as '-'). */
  policy: string | null;
  packets: number;
  bytes: number;
}

export interface IptablesRule {
  chain: string;
  /** The rule's tokens after `-A CHAIN`, unquoted, in iptables-save's canonical form. */
  args: string[];
  /** Present when saved with `iptables-save -c`. */
  counters?: { packets: number; bytes: number };
}

export interface IptablesTable {
  name: string;
  chains: IptablesChain[];
  rules: IptablesRule[];
}

/**
 * Splits one iptables-save line into tokens. iptables-save double-quotes a token with spaces and
 * escapes `"` and `\` inside it with a backslash (xtables_save_string).
 */
export function tokenizeIptablesLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let tok = '';
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') {
      if (line[i] === '"') {
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length) i++;
          tok += line[i];
          i++;
        }
        if (line[i] !== '"') throw new Error(`unterminated quote in: ${line}`);
        i++;
      } else {
        tok += line[i];
        i++;
      }
    }
    out.push(tok);
  }
  return out;
}

/**
 * Parses `iptables-save` output (iptables v1.8.x, legacy or nf_tables) into tables, chains and
 * rules. Throws on a line it does not understand, naming the line number: a report built on a
 * misread ruleset would be worse than none.
 */
export function parseIptablesSave(text: string): IptablesTable[] {
  const tables: IptablesTable[] = [];
  let cur: IptablesTable | undefined;
  text.split('\n').forEach((rawLine, idx) => {
    const line = rawLine.trim();
    const where = `iptables-save line ${idx + 1}`;
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('*')) {
      cur = { name: line.slice(1), chains: [], rules: [] };
      tables.push(cur);
      return;
    }
    if (!cur) throw new Error(`${where}: '${line}' before any *table line`);
    if (line === 'COMMIT') {
      cur = undefined;
      return;
    }
    if (line.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)\s+\[(\d+):(\d+)\]$/.exec(line);
      if (!m) throw new Error(`${where}: bad chain line '${line}'`);
      cur.chains.push({ name: m[1]!, policy: m[2] === '-' ? null : m[2]!, packets: Number(m[3]), bytes: Number(m[4]) });
      return;
    }
    let rest = line;
    let counters: IptablesRule['counters'];
    const c = /^\[(\d+):(\d+)\]\s+/.exec(rest);
    if (c) {
      counters = { packets: Number(c[1]), bytes: Number(c[2]) };
      rest = rest.slice(c[0].length);
    }
    const tokens = tokenizeIptablesLine(rest);
    if (tokens[0] !== '-A' || tokens.length < 2) throw new Error(`${where}: expected '-A CHAIN ...', got '${line}'`);
    const rule: IptablesRule = { chain: tokens[1]!, args: tokens.slice(2) };
    if (counters) rule.counters = counters;
    cur.rules.push(rule);
  });
  if (cur) throw new Error(`iptables-save: table ${cur.name} has no COMMIT (truncated output?)`);
  return tables;
}

/** The rules of one chain, in order (an empty list when the table or chain is not there). */
export function chainRules(tables: IptablesTable[], table: string, chain: string): string[][] {
  return (tables.find((t) => t.name === table)?.rules ?? []).filter((r) => r.chain === chain).map((r) => r.args);
}
