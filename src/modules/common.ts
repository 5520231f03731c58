/**
 * Pieces every module shares: the optional `netns` argument, the three ways into a namespace, and
 * the guard that turns "the namespace is not there yet" into "does not hold" instead of a probe
 * error. A plan runs every check before anything is applied, so on a fresh host the namespace a
 * resource lives in is usually still missing: that must read as "absent", never as a failure.
 *
 * Fragment conventions (all modules):
 * - No `exit`: a fragment's status is its last command's. Multi-step fragments define a
 *   `fleet_*` shell function and call it, so `return` can carry 0/1/2. The function lives only in
 *   the fragment's subshell.
 * - No stdin: every `read` and every tool that might prompt reads a file or /dev/null.
 * - A probe failure (status 2) prints the tool's stderr to stderr, so the engine can show why.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { netnsName } from '../types/net.js';

/** iproute2 keeps named namespaces here (NETNS_RUN_DIR in ip-netns(8)); Debian links /var/run to /run. */
export const NETNS_RUN_DIR = '/var/run/netns';

export const netnsArg = netnsName
  .optional()
  .describe('run inside this named network namespace (ip-netns(8)); absent: the host namespace');

/**
 * One argv token for a remote command. `sh` quotes it, so any character is inert; NUL cannot be
 * passed in argv at all, and a newline in a token is always a templating mistake. A number (a
 * port from `{{ wg_port }}`, which keeps its type) is taken as its decimal text.
 */
export const argToken = z
  .union([z.string(), z.number().finite()], { error: 'expected a string (or a number)' })
  .transform((v) => String(v))
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .refine((s) => !/[\0\n\r]/.test(s), { message: 'must not contain NUL or a line break' }),
  );

/** `ip` or `ip -n NS` (iproute2's own namespace switch; ip(8) -netns). */
export function ipCmd(netns?: string): Shell {
  return netns ? sh`ip -n ${netns}` : raw('ip');
}

/** Prefix for tools without a namespace switch (iptables, sysctl): `ip netns exec NS ` or nothing. */
export function nsExec(netns?: string): Shell {
  return netns ? sh`ip netns exec ${netns} ` : raw('');
}

export function netnsPath(netns: string): string {
  return `${NETNS_RUN_DIR}/${netns}`;
}

/**
 * Runs `body` only when the namespace exists, else `absent`. Without a netns, just `body`.
 * For checks `absent` is `absentInCheck` (status 1); for undo and revert it is `true` (what lived
 * in a namespace that is gone is gone too).
 */
export function whenNetns(netns: string | undefined, body: Shell, absent: Shell): Shell {
  if (!netns) return body;
  return Shell.join([sh`if [ -e ${netnsPath(netns)} ]; then`, body, raw('else'), absent, raw('fi')]);
}

export function absentInCheck(netns: string): Shell {
  return sh`echo ${`netns ${netns} is absent`}; false`;
}

/** The identity of a resource that lives in a namespace: `NS:rest`. */
export function scoped(netns: string | undefined, identity: string): string {
  return netns ? `${netns}:${identity}` : identity;
}

/** A suffix for titles: ` (netns NS)`. */
export function inNetns(netns: string | undefined): string {
  return netns ? ` (netns ${netns})` : '';
}

/** `name() {\n body \n}` followed by nothing: call it separately. */
export function shellFunction(name: string, body: Shell): Shell {
  if (!/^fleet_[a-z_]+$/.test(name)) throw new TypeError(`not a fleet shell function name: ${name}`);
  return Shell.join([raw(`${name}() {`), body, raw('}')]);
}

export function sha256hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Table for `ip rule`/`ip route`: a number or 'main' (254, as `ip -N` prints it). */
export const routeTable = z
  .union([z.literal('main'), z.number().int().min(1).max(0xffffffff)], {
    error: "expected a routing table number (1-252, or 256 and up) or 'main'",
  })
  .refine((t) => t === 'main' || t < 253 || t > 255, {
    message: "tables 253-255 are the kernel's default/main/local tables: write 'main' for 254",
  })
  .describe("routing table: a number or 'main'");

export function tableNumber(t: 'main' | number): number {
  return t === 'main' ? 254 : t;
}

/**
 * Shell function `fleet_dev_exists DEV`: 0 the interface exists, 1 iproute2 says it does not
 * exist, 2 `ip` failed for another reason (its stderr passed on). Absence must be told apart from
 * a failing tool: only the first is "does not hold".
 */
export function devExists(netns?: string): Shell {
  return shellFunction(
    'fleet_dev_exists',
    Shell.join([
      sh`  if fleet_err=$(${ipCmd(netns)} link show dev "$1" 2>&1 >/dev/null); then return 0; fi`,
      raw(`  case $fleet_err in *'does not exist'*) return 1 ;; esac`),
      raw(`  printf '%s\\n' "$fleet_err" >&2; return 2`),
    ]),
  );
}

/**
 * Undo's delete, written once: `del` runs when the probe function says 0 (present); 1 (absent)
 * is already done; any other status (the probe failed) fails the fragment.
 */
export function deleteIfPresent(probe: string, del: Shell): Shell {
  return Shell.join([raw(`if ${probe}; then`), del, raw('else [ $? -eq 1 ]; fi')]);
}

/**
 * A read that tells three outcomes apart, inside a fleet_* function: `cmd`'s output lands in
 * `$variable` (status 0 goes on); output matching `absentPattern` (the tool's own "there is no
 * such thing") runs `onAbsent`, which must return; any other failure passes the tool's message to
 * stderr and returns 2 (a probe failure, never "absent").
 */
export function threeWayProbe(variable: string, cmd: Shell, absentPattern: string, onAbsent: Shell): Shell {
  if (!/^fleet_[a-z_]+$/.test(variable)) throw new TypeError(`not a fleet shell variable: ${variable}`);
  return Shell.join([
    sh`  if ${raw(variable)}=$(${cmd} 2>&1); then :; else`,
    sh`    case $${raw(variable)} in *${absentPattern}*) ${onAbsent} ;; esac`,
    raw(`    printf '%s\\n' "$${variable}" >&2; return 2`),
    raw('  fi'),
  ]);
}
