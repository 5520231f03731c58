/**
 * sysctl: one kernel parameter's runtime value, optionally inside a namespace (net.* keys are
 * per namespace). Runtime only: persistence (/etc/sysctl.d) is a `file` resource's job, as
 * Ansible's sysctl keeps the runtime and persisted values apart.
 *
 * check: `sysctl -n KEY`, compared without regard to whitespace (sysctl prints
 *   ip_local_port_range tab-separated). A key that does not exist ("cannot stat", e.g.
 *   net.ipv4.conf.veth-wg.forwarding before the veth exists) or a missing namespace reads as
 *   absent; any other sysctl failure is a probe failure. On 1 it prints `KEY = current`.
 * apply: saves the current value into "$FLEET_STATE/sysctl.prev", then `sysctl -q -w KEY=VALUE`.
 *   sysctl can exit 0 while printing an error, so any stderr output fails the step.
 * revert: writes the saved value back (nothing saved: apply never ran; namespace gone: nothing
 *   to restore).
 * undo: teardown does not know what the value was before fleet's first deploy, so it writes
 *   `undoValue` when the arguments give one (the kernel default, e.g. '0' for ip_forward) and
 *   otherwise leaves the value alone.
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { absentInCheck, inNetns, netnsArg, nsExec, scoped, shellFunction, threeWayProbe, whenNetns } from './common.js';
import { factNs, type Proof } from './facts.js';

const value = z
  .union([z.string(), z.number()], { error: 'expected a value (a string, or a number)' })
  .transform((v) => String(v))
  .refine((v) => !/[\0\n\r]/.test(v), { message: 'must not contain NUL or a line break' });

export const sysctlSchema = z.strictObject({
  key: z
    .string()
    .regex(
      /^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/,
      'expected a dotted sysctl key like net.ipv4.ip_forward (letters, digits, _ and -, for interface names)',
    )
    .describe('sysctl key, dotted (net.ipv4.ip_forward)'),
  value: value.describe('wanted value; compared without regard to whitespace'),
  undoValue: value.optional().describe('value teardown writes back (the kernel default); absent: teardown leaves it'),
  netns: netnsArg,
});

export type SysctlArgs = z.output<typeof sysctlSchema>;

function normalise(v: string): string {
  return v.trim().split(/\s+/).join(' ');
}

function spec(a: SysctlArgs) {
  const sysctl = sh`${nsExec(a.netns)}sysctl`;
  const want = normalise(a.value);
  const holds = shellFunction(
    'fleet_sysctl_holds',
    Shell.join([
      threeWayProbe('fleet_v', sh`${sysctl} -n ${a.key}`, 'cannot stat', sh`echo ${`${a.key} does not exist`}; return 1`),
      raw('  set -f; set -- $fleet_v; fleet_v="$*"'),
      sh`  [ "$fleet_v" = ${want} ] && return 0`,
      sh`  echo ${`${a.key} =`} "$fleet_v"`,
      raw('  return 1'),
    ]),
  );
  const write = (v: Shell): Shell =>
    Shell.join([
      sh`fleet_err=$(${sysctl} -q -w ${a.key}=${v} 2>&1) && [ -z "$fleet_err" ] || {`,
      raw(`  printf '%s\\n' "$fleet_err" >&2; false`),
      raw('}'),
    ]);
  return { sysctl, holds, write };
}

/** The plan's proof (facts.ts) that the check would say 0: `sysctl KEY` prints the wanted value (whitespace collapsed, as the check compares). */
function sysctlProof(netns: string | undefined, key: string, value: string): Proof {
  return { needs: [{ kind: 'sysctl', netns, key }], lines: [`sysctl ${factNs(netns)} ${key} ${value.trim().split(/\s+/).join(' ')}`] };
}

const identity = (a: SysctlArgs): string => scoped(a.netns, a.key);

export const sysctl = defineModule({
  name: 'sysctl',
  runtime: true,
  reachability: true,
  schema: sysctlSchema,
  identity,
  render(a) {
    const s = spec(a);
    // `key=value` as one argv token: sh quotes the value, the key is [A-Za-z0-9_.-] only.
    const exists = sh`${s.sysctl} -n ${a.key} >/dev/null 2>&1`;
    return {
      title: `sysctl ${a.key} = ${a.value}${inNetns(a.netns)}`,
      check: whenNetns(a.netns, Shell.join([s.holds, raw('fleet_sysctl_holds')]), absentInCheck(a.netns ?? '')),
      proof: sysctlProof(a.netns, a.key, a.value),
      apply: Shell.join([sh`${s.sysctl} -n ${a.key} > "$FLEET_STATE/sysctl.prev" &&`, s.write(sh`${a.value}`)]),
      revert: whenNetns(
        a.netns,
        Shell.join([
          raw('if [ -f "$FLEET_STATE/sysctl.prev" ]; then'),
          raw('fleet_prev=$(cat "$FLEET_STATE/sysctl.prev") &&'),
          s.write(raw('"$fleet_prev"')),
          raw('fi'),
        ]),
        raw('true'),
      ),
      ...(a.undoValue === undefined ? { prunable: false as const } : {}),
      undo:
        a.undoValue === undefined
          ? raw(': no undoValue, teardown leaves the value')
          : whenNetns(
              a.netns,
              Shell.join([sh`if ${exists}; then`, s.write(sh`${a.undoValue}`), raw('fi')]),
              raw('true'),
            ),
    };
  },
});
