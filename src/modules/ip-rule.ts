/**
 * ip-rule: one policy-routing rule (RPDB entry), optionally inside a namespace.
 *
 * check: `ip -N rule show pref N` (-N prints table numbers, so names in rt_tables do not matter),
 *   each line normalised (whitespace collapsed) and compared with the line this rule prints as.
 *   Holds when that exact line is among the rules at priority N. When other rules hold priority N
 *   the check says so on stdout ("priority N holds a rule fleet does not own: ...").
 * apply: `ip rule add priority N ...`. A foreign rule at the same priority is left alone: fleet
 *   never deletes what it does not own, and the kernel keeps both (among equal priorities the
 *   older rule is consulted first, so the plan's check output is what warns the operator).
 * undo, revert: `ip rule del` with the same priority, selector and table, guarded by the check.
 *   Once is enough: the kernel refuses an exact duplicate (EEXIST, iproute2 adds with NLM_F_EXCL),
 *   so there is never a second copy to loop over. Create-only, so revert is undo.
 *
 * family: 4 or 6, the RPDB the rule lives in (`ip -6 rule`). Selectors must be of that family;
 *   a rule with an IPv6 selector is IPv6 without saying so. IPv6 rules have no plan proof (the
 *   facts read IPv4): their own check runs.
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { cidr, cidr6, familyOf, fwmark, ipv4, ipv6, parseCidr, parseCidr6 } from '../types/net.js';
import { absentInCheck, deleteIfPresent, inNetns, ipCmd, netnsArg, routeTable, scoped, shellFunction, tableNumber, whenNetns } from './common.js';
import { factNs, netProof, type Proof } from './facts.js';

const selector = z.union([ipv4, cidr, ipv6, cidr6], { error: 'expected an address or a network like 10.4.0.0/24 or fd00:10:4::/64' });

export const ipRuleSchema = z.strictObject({
  family: z.union([z.literal(4), z.literal(6)]).optional().describe('4 or 6: the address family (absent: that of the selectors, else 4)'),
  priority: z
    .number()
    .int()
    .min(1)
    .max(32765)
    .describe('rule priority (ip rule "pref"), 1-32765; 0, 32766 and 32767 are the kernel\'s'),
  from: selector.optional().describe('source selector (address or network); absent: from all'),
  to: selector.optional().describe('destination selector (address or network); absent: to all'),
  fwmark: fwmark.optional().describe('firewall mark selector, e.g. 0x200'),
  table: routeTable,
  netns: netnsArg,
}).superRefine((a, ctx) => {
  const fam = ruleFamily(a);
  for (const k of ['from', 'to'] as const) {
    const sel = a[k];
    if (sel !== undefined && familyOf(sel) !== fam) ctx.addIssue({ code: 'custom', path: [k], message: `${sel} is not an IPv${fam} selector: one rule holds one address family` });
  }
});

export type IpRuleArgs = z.output<typeof ipRuleSchema>;

/** The rule's family: the one given, else its selectors', else IPv4. */
function ruleFamily(a: { family?: 4 | 6; from?: string; to?: string }): 4 | 6 {
  if (a.family) return a.family;
  const sel = a.from ?? a.to;
  return sel ? familyOf(sel) : 4;
}

/** How `ip rule` prints a selector: a host prefix (/32, /128) as the bare address, a default one (0.0.0.0/0, ::/0) as nothing ('all'). */
function printed(sel: string | undefined): string | undefined {
  if (sel === undefined) return undefined;
  const six = familyOf(sel) === 6;
  const c = six ? parseCidr6(sel) : parseCidr(sel);
  if (!c) return sel;
  if (c.prefix === 0) return undefined;
  return c.prefix === (six ? 128 : 32) ? c.address : sel;
}

/** `ip` or `ip -6` (in a namespace: `ip -n NS -6`). */
function ipFor(a: IpRuleArgs) {
  return ruleFamily(a) === 6 ? sh`${ipCmd(a.netns)} -6` : ipCmd(a.netns);
}

function spec(a: IpRuleArgs) {
  const from = printed(a.from);
  const to = printed(a.to);
  const ip = ipFor(a);
  // The selector tokens, shared by add and del.
  const words: string[] = ['priority', String(a.priority)];
  if (from) words.push('from', from);
  if (to) words.push('to', to);
  if (a.fwmark) words.push('fwmark', a.fwmark);
  words.push('lookup', a.table === 'main' ? 'main' : String(a.table));
  // The line `ip -N rule` prints for it, whitespace collapsed.
  const line = [
    `${a.priority}:`,
    'from',
    from ?? 'all',
    ...(to ? ['to', to] : []),
    ...(a.fwmark ? ['fwmark', a.fwmark] : []),
    'lookup',
    String(tableNumber(a.table)),
  ].join(' ');
  const present = shellFunction(
    'fleet_rule_present',
    Shell.join([
      sh`  fleet_out=$(${ip} -N rule show pref ${a.priority}) || return 2`,
      sh`  printf '%s\\n' "$fleet_out" | awk -v want=${line} -v pref=${a.priority} '`,
      raw(`    NF { $1 = $1; if ($0 == want) ok = 1; else other = other (other == "" ? "" : " | ") $0 }`),
      raw(`    END { if (ok) exit 0; if (other != "") print "priority " pref " holds a rule fleet does not own: " other; exit 1 }'`),
    ]),
  );
  return {
    add: sh`${ip} rule add ${words}`,
    del: sh`${ip} rule del ${words}`,
    present,
    line,
  };
}

/** The plan's proof (facts.ts) that the check would say 0: this exact rule line (whitespace collapsed, `ip -N rule` numbering). */
function ruleProof(netns: string | undefined, line: string, family: 4 | 6): Proof | undefined {
  if (family === 6) return undefined;
  return netProof([netns], [`rule ${factNs(netns)} ${line}`]);
}

/** Priority, selector (as ip prints it, so 10.4.0.7 and 10.4.0.7/32 are one rule) and table. */
function identity(a: IpRuleArgs): string {
  const to = printed(a.to);
  const words = [`${a.priority}`, 'from', printed(a.from) ?? 'all'];
  if (to) words.push('to', to);
  if (a.fwmark) words.push('fwmark', a.fwmark);
  words.push('lookup', String(a.table));
  return scoped(a.netns, `${ruleFamily(a) === 6 ? '-6 ' : ''}${words.join(' ')}`);
}

export const ipRule = defineModule({
  name: 'ip-rule',
  runtime: true,
  reachability: true,
  schema: ipRuleSchema,
  identity,
  render(a) {
    const s = spec(a);
    const remove = whenNetns(
      a.netns,
      Shell.join([s.present, deleteIfPresent('fleet_rule_present >/dev/null', s.del)]),
      raw('true'),
    );
    return {
      title: `ip ${ruleFamily(a) === 6 ? '-6 ' : ''}rule ${s.line}${inNetns(a.netns)}`,
      check: whenNetns(a.netns, Shell.join([s.present, raw('fleet_rule_present')]), absentInCheck(a.netns ?? '')),
      proof: ruleProof(a.netns, s.line, ruleFamily(a)),
      apply: s.add,
      revert: remove,
      undo: remove,
    };
  },
});
