/**
 * What the host's own firewall is, read on the host by the two modules that open it for fleet
 * (input-allow, ufw-allow). Exactly one of them acts on a host, decided by what its checks find
 * there (at plan time, at apply's re-check, at boot):
 *
 * - ufw active (ENABLED=yes in /etc/ufw/ufw.conf and its chains loaded): ufw-allow adds ufw's own
 *   rules, so `ufw status` shows them and a `ufw reload` keeps them;
 * - otherwise, INPUT's policy not ACCEPT (a hardened image's default deny): input-allow inserts
 *   commented rules at the top of INPUT;
 * - otherwise (INPUT accepts everything, no ufw): both hold as they are, and nothing is written.
 */
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { absPath } from '../types/net.js';
import { shellFunction } from './common.js';
import type { Proof } from './facts.js';

export const UFW_DIR = '/etc/ufw';
export const UFW_CONF = `${UFW_DIR}/ufw.conf`;
/** ufw's chain of the user's own input rules (`ufw allow` adds to it). */
export const UFW_USER_INPUT = 'ufw-user-input';

/** Where ufw keeps ufw.conf and user.rules: ufw's own /etc/ufw (tests point it elsewhere). */
export const ufwDirArg = absPath.default(UFW_DIR).describe("ufw's configuration directory (ufw.conf, user.rules)");

/** `fleet_ufw_active`: 0 when ufw is enabled and its rules are loaded, else 1. */
export function ufwActiveFunction(dir: string): Shell {
  return shellFunction(
    'fleet_ufw_active',
    sh`  grep -qs '^ENABLED=yes' ${`${dir}/ufw.conf`} && iptables -w -n -L ${UFW_USER_INPUT} >/dev/null 2>&1`,
  );
}

/** `fleet_input_accepts`: 0 when INPUT's policy is ACCEPT, 1 when it is not, 2 when iptables failed. */
export function inputAcceptsFunction(): Shell {
  return shellFunction(
    'fleet_input_accepts',
    Shell.join([
      raw('  if ! fleet_policy=$(iptables -w -S INPUT 2>&1); then printf \'%s\\n\' "$fleet_policy" >&2; return 2; fi'),
      raw("  case $fleet_policy in '-P INPUT ACCEPT'*) return 0 ;; '-P INPUT '*) return 1 ;; esac"),
      raw('  printf \'unexpected iptables -S INPUT: %s\\n\' "$fleet_policy" >&2; return 2'),
    ]),
  );
}

/**
 * The plan's proofs (facts.ts), which read ufw's own directory: `ufw-inactive` (no ufw rule is
 * needed), `accept` (INPUT accepts everything and ufw is not active: no INPUT rule is needed).
 */
export function hostFirewallProof(dir: string, line: 'ufw-inactive' | 'accept'): Proof | undefined {
  return dir === UFW_DIR ? { needs: [{ kind: 'hostfw' }], lines: [`hostfw ${line}`] } : undefined;
}

/** The comment fleet's rule carries (`fleet: <task name>`): iptables allows 256 characters. */
export const firewallComment = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\0\n\r]*$/, 'must not contain NUL or a line break')
  .describe('what the rule is for, e.g. "fleet: <task name>" (shown by iptables -L or ufw status)');

export const firewallPort = z.coerce
  .number({ error: 'expected a port number' })
  .int()
  .min(1)
  .max(65535)
  .describe('destination port');

/** ufw's own rule (its before.rules) that accepts ICMP echo requests on every interface. */
export const UFW_INPUT_ICMP = ['ufw-before-input', '-p', 'icmp', '-m', 'icmp', '--icmp-type', '8', '-j', 'ACCEPT'];
