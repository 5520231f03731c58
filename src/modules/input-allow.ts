/**
 * input-allow: lets one kind of traffic in through the host's INPUT chain, only where INPUT's
 * policy is not ACCEPT (a hardened image's default deny) and ufw is not active (host-firewall.ts).
 *
 * check: holds when ufw is active (ufw-allow opens the ports there; for ICMP, ufw's own
 *   before.rules accept echo requests on every interface, and ufw has no command for ICMP), when
 *   INPUT's policy is ACCEPT (nothing to open), or when the rule is there (`iptables -C`).
 * apply: `iptables -I INPUT` (the top: a hardened chain may end in an explicit DROP or REJECT).
 * undo, revert: `-D` once, guarded by `-C`, whatever the firewall is now: a create-only resource,
 *   so revert is undo (the rule carries fleet's comment: a rule someone else added stays theirs).
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, quote, raw, sh } from '../shell/sh.js';
import { ifname } from '../types/net.js';
import { deleteIfPresent, shellFunction } from './common.js';
import { rulePresentFunction } from './iptables-rule.js';
import { UFW_INPUT_ICMP, firewallComment, firewallPort, hostFirewallProof, inputAcceptsFunction, ufwActiveFunction, ufwDirArg } from './host-firewall.js';

export const inputAllowSchema = z
  .strictObject({
    interface: ifname.describe('the interface the traffic comes in on (-i)'),
    proto: z.enum(['udp', 'tcp', 'icmp']).describe('udp, tcp or icmp (-p)'),
    port: firewallPort.optional().describe('destination port (--dport): required for udp and tcp, none for icmp'),
    comment: firewallComment,
    ufwDir: ufwDirArg,
  })
  .superRefine((a, ctx) => {
    if (a.proto === 'icmp' && a.port !== undefined) ctx.addIssue({ code: 'custom', path: ['port'], message: 'icmp has no port' });
    if (a.proto !== 'icmp' && a.port === undefined) ctx.addIssue({ code: 'custom', path: ['port'], message: `required for ${a.proto}` });
  });

export type InputAllowArgs = z.output<typeof inputAllowSchema>;

/** The rule spec after `INPUT`: the one source of -C, -I and -D. */
export function inputAllowRule(a: InputAllowArgs): string[] {
  return ['-i', a.interface, '-p', a.proto, ...(a.port === undefined ? [] : ['--dport', String(a.port)]), '-j', 'ACCEPT', '-m', 'comment', '--comment', a.comment];
}

function what(a: InputAllowArgs): string {
  return `${a.proto}${a.port === undefined ? '' : `/${a.port}`} on ${a.interface}`;
}

export const inputAllow = defineModule({
  name: 'input-allow',
  runtime: true,
  reachability: true,
  schema: inputAllowSchema,
  identity: (a) => `INPUT ${inputAllowRule(a).map(quote).join(' ')}`,
  render(a) {
    const rule = inputAllowRule(a);
    const cmd = (op: '-C' | '-I' | '-D'): Shell => sh`iptables -w -t filter ${raw(op)} INPUT ${rule}`;
    const present = rulePresentFunction(cmd('-C'));
    // Under ufw, the rule ufw-allow adds (or ufw's own ICMP rule) lets it in.
    const ufwLetsIn = a.proto === 'icmp' ? sh`fleet_ufw_active && iptables -w -C ${UFW_INPUT_ICMP} 2>/dev/null` : raw('fleet_ufw_active');
    const check = Shell.join([
      ufwActiveFunction(a.ufwDir),
      inputAcceptsFunction(),
      present,
      shellFunction(
        'fleet_input_allows',
        Shell.join([
          sh`  if ${ufwLetsIn}; then return 0; fi`,
          raw('  fleet_input_accepts; fleet_rc=$?'),
          raw('  [ "$fleet_rc" -eq 1 ] || return "$fleet_rc"'),
          raw('  fleet_rule_present; fleet_rc=$?'),
          sh`  [ "$fleet_rc" -eq 1 ] && echo ${`INPUT drops by default and lets no ${what(a)} in`}`,
          raw('  return "$fleet_rc"'),
        ]),
      ),
      raw('fleet_input_allows'),
    ]);
    const remove = Shell.join([present, deleteIfPresent('fleet_rule_present', cmd('-D'))]);
    return {
      title: `let ${what(a)} in through INPUT, where INPUT drops by default (iptables -I INPUT ${rule.map(quote).join(' ')})`,
      check,
      proof: hostFirewallProof(a.ufwDir, 'accept'),
      apply: cmd('-I'),
      revert: remove,
      undo: remove,
    };
  },
});
