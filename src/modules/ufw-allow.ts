/**
 * ufw-allow: an allow rule in ufw's own rules, where ufw is active (host-firewall.ts): `ufw allow
 * in on IFACE to 0.0.0.0/0 port PORT proto PROTO comment COMMENT`, IPv4 only (what fleet's gateway
 * listens on), so `ufw status` shows it with its comment and a `ufw reload` or a boot keeps it.
 * It lives on disk (ufw's user.rules), so it is not in the boot scripts: ufw loads it itself.
 *
 * How ufw stores it: a `### tuple ### allow PROTO PORT 0.0.0.0/0 any 0.0.0.0/0 in_IFACE` line in
 * /etc/ufw/user.rules, ending in ` comment=<the comment as hex>`, and a rule in ufw-user-input.
 *
 * check: holds when ufw is not active (nothing to add to), or when ufw has a rule of this spec,
 *   whoever added it (ufw keeps one rule per spec: adding fleet's would take over the operator's
 *   comment), and that rule is loaded.
 * apply: `ufw allow ...` unless the spec is in ufw's rules already (recording in $FLEET_STATE that
 *   it added it); `ufw reload` when the rule is still not loaded.
 * revert: `ufw delete` when this apply added it.
 * undo: `ufw delete` when ufw holds the rule with fleet's comment (whether ufw is active or not:
 *   ufw edits its files either way); an operator's rule of the same spec stays.
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { ifname } from '../types/net.js';
import { shellFunction } from './common.js';
import { UFW_USER_INPUT, firewallComment, firewallPort, hostFirewallProof, ufwActiveFunction, ufwDirArg } from './host-firewall.js';

export const ufwAllowSchema = z.strictObject({
  interface: ifname.describe('the interface the traffic comes in on (ufw allow in on)'),
  proto: z.enum(['udp', 'tcp']).describe('udp or tcp (ufw has no command for ICMP: its before.rules accept echo requests)'),
  port: firewallPort,
  comment: firewallComment,
  ufwDir: ufwDirArg,
});

export type UfwAllowArgs = z.output<typeof ufwAllowSchema>;

/** The ufw command's rule, after `allow` or `delete allow`. */
export function ufwRuleArgs(a: UfwAllowArgs): string[] {
  return ['in', 'on', a.interface, 'to', '0.0.0.0/0', 'port', String(a.port), 'proto', a.proto];
}

/** The start of the rule's tuple line in user.rules (the rule whoever added it). */
export function ufwTuple(a: UfwAllowArgs): string {
  return `### tuple ### allow ${a.proto} ${a.port} 0.0.0.0/0 any 0.0.0.0/0 in_${a.interface}`;
}

/** The tuple line of fleet's own rule: the tuple with fleet's comment, hex-encoded as ufw writes it. */
export function ufwFleetTuple(a: UfwAllowArgs): string {
  return `${ufwTuple(a)} comment=${Buffer.from(a.comment, 'utf8').toString('hex')}`;
}

function spec(a: UfwAllowArgs) {
  const rule = ufwRuleArgs(a);
  const tuple = ufwTuple(a);
  const rules = `${a.ufwDir}/user.rules`;
  const helpers = Shell.join([
    ufwActiveFunction(a.ufwDir),
    // 0: ufw's rules hold the spec (with any comment or none).
    shellFunction('fleet_ufw_has', sh`  awk -v t=${tuple} '$0 == t || index($0, t " comment=") == 1 { f = 1 } END { exit !f }' ${rules} 2>/dev/null`),
    shellFunction('fleet_ufw_fleets', sh`  grep -qsxF -e ${ufwFleetTuple(a)} ${rules}`),
    shellFunction('fleet_ufw_loaded', sh`  iptables -w -C ${UFW_USER_INPUT} -i ${a.interface} -p ${a.proto} -m ${a.proto} --dport ${String(a.port)} -j ACCEPT 2>/dev/null`),
  ]);
  const del = sh`ufw --force delete allow ${rule} >/dev/null`;
  return { rule, helpers, del };
}

export const ufwAllow = defineModule({
  name: 'ufw-allow',
  reachability: true,
  schema: ufwAllowSchema,
  identity: (a) => `${a.proto}/${a.port} in on ${a.interface}`,
  render(a) {
    const s = spec(a);
    const what = `${a.proto}/${a.port} in on ${a.interface}`;
    return {
      title: `ufw allow ${s.rule.join(' ')} comment '${a.comment}', where ufw is active`,
      check: Shell.join([
        s.helpers,
        raw('if ! fleet_ufw_active; then :'),
        raw('elif fleet_ufw_has && fleet_ufw_loaded; then :'),
        sh`else echo ${`ufw is active and does not allow ${what}`}; false; fi`,
      ]),
      proof: hostFirewallProof(a.ufwDir, 'ufw-inactive'),
      apply: Shell.join([
        s.helpers,
        shellFunction(
          'fleet_ufw_apply',
          Shell.join([
            raw('  if ! fleet_ufw_has; then'),
            raw('    : >"$FLEET_STATE/ufw-added"'),
            sh`    ufw allow ${s.rule} comment ${a.comment} >/dev/null || return 1`,
            raw('  fi'),
            raw('  fleet_ufw_loaded || ufw reload >/dev/null'),
          ]),
        ),
        raw('fleet_ufw_apply'),
      ]),
      revert: Shell.join([s.helpers, raw('if [ -e "$FLEET_STATE/ufw-added" ] && fleet_ufw_fleets; then'), s.del, raw('fi')]),
      undo: Shell.join([s.helpers, raw('if command -v ufw >/dev/null && fleet_ufw_fleets; then'), s.del, raw('fi')]),
    };
  },
});
