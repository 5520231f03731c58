/**
 * link: an interface is administratively up (and has an MTU), optionally inside a namespace.
 *
 * check: `ip -o link show dev DEV`: the UP flag in `<...>` (the admin state; operstate may still
 *   say DOWN for a veth whose peer is down, which is not this resource's business) and, when given,
 *   `mtu N`. On 1 it prints the current state. A missing interface or namespace reads as absent.
 * apply: records the current `up|down MTU` into "$FLEET_STATE/link", then `ip link set dev DEV
 *   [mtu N] up`.
 * revert: puts back what apply recorded: the old MTU (when this resource sets one) and, if it was
 *   down, down again. Without a record (apply never ran) or without the interface: nothing to do.
 * undo: sets DEV down when it still exists (teardown deletes most interfaces anyway).
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { ifname } from '../types/net.js';
import { absentInCheck, deleteIfPresent, devExists, inNetns, ipCmd, netnsArg, scoped, shellFunction, whenNetns } from './common.js';
import { factNs, netProof, type Proof } from './facts.js';

export const linkSchema = z.strictObject({
  dev: ifname.describe('interface name'),
  state: z.literal('up').default('up').describe("wanted admin state: 'up' (teardown sets it down)"),
  mtu: z.number().int().min(68).max(65535).optional().describe('MTU to set; absent: leave as is'),
  netns: netnsArg,
});

export type LinkArgs = z.output<typeof linkSchema>;

function spec(a: LinkArgs) {
  const ip = ipCmd(a.netns);
  // Prints `up MTU` or `down MTU`; status 1 when the interface is absent, 2 when ip failed.
  const current = Shell.join([devExists(a.netns), shellFunction(
    'fleet_link_current',
    Shell.join([
      sh`  fleet_dev_exists ${a.dev} || return`,
      sh`  fleet_out=$(${ip} -o link show dev ${a.dev}) || return 2`,
      raw(`  printf '%s\\n' "$fleet_out" | awk 'NR == 1 { m = ""; for (i = 4; i < NF; i++) if ($i == "mtu") m = $(i + 1); print ($3 ~ /[<,]UP[,>]/ ? "up" : "down"), m }'`),
    ]),
  )]);
  const want = a.mtu === undefined ? 'up' : `up ${a.mtu}`;
  const holds = shellFunction(
    'fleet_link_holds',
    Shell.join([
      raw('  if fleet_cur=$(fleet_link_current); then :; else'),
      raw('    [ $? -eq 1 ] || return 2'),
      sh`    echo ${`${a.dev} is absent`}; return 1`,
      raw('  fi'),
      a.mtu === undefined
        ? raw('  case $fleet_cur in up\\ *) return 0 ;; esac')
        : sh`  [ "$fleet_cur" = ${want} ] && return 0`,
      sh`  echo ${`${a.dev} is`} "$(printf '%s' "$fleet_cur" | sed 's/ /, mtu /')"`,
      raw('  return 1'),
    ]),
  );
  return {
    ip,
    current,
    holds,
    up: a.mtu === undefined ? sh`${ip} link set dev ${a.dev} up` : sh`${ip} link set dev ${a.dev} mtu ${a.mtu} up`,
    down: sh`${ip} link set dev ${a.dev} down`,
  };
}

/** The plan's proof (facts.ts) that the check would say 0: admin UP (and the MTU when one is wanted). */
function linkProof(netns: string | undefined, dev: string, mtu?: number): Proof {
  return netProof([netns], [`link ${factNs(netns)} ${dev} up${mtu === undefined ? '' : ` ${mtu}`}`]);
}

const identity = (a: LinkArgs): string => scoped(a.netns, a.dev);

export const link = defineModule({
  name: 'link',
  runtime: true,
  reachability: true,
  schema: linkSchema,
  identity,
  render(a) {
    const s = spec(a);
    return {
      title: `link ${a.dev} up${a.mtu === undefined ? '' : ` mtu ${a.mtu}`}${inNetns(a.netns)}`,
      check: whenNetns(a.netns, Shell.join([s.current, s.holds, raw('fleet_link_holds')]), absentInCheck(a.netns ?? '')),
      proof: linkProof(a.netns, a.dev, a.mtu),
      apply: Shell.join([
        s.current,
        raw('fleet_cur=$(fleet_link_current) &&'),
        raw(`printf '%s\\n' "$fleet_cur" > "$FLEET_STATE/link" &&`),
        s.up,
      ]),
      revert: whenNetns(
        a.netns,
        Shell.join([
          s.current,
          raw('if [ ! -s "$FLEET_STATE/link" ]; then'),
          raw('  true'),
          raw('elif fleet_link_current >/dev/null; then'),
          raw('  read -r fleet_was fleet_mtu < "$FLEET_STATE/link"'),
          ...(a.mtu === undefined ? [] : [sh`  ${s.ip} link set dev ${a.dev} mtu "$fleet_mtu" &&`]),
          raw('  if [ "$fleet_was" = down ]; then'),
          sh`  ${s.down}`,
          raw('  fi'),
          raw('else [ $? -eq 1 ]; fi'),
        ]),
        raw('true'),
      ),
      undo: whenNetns(
        a.netns,
        Shell.join([s.current, deleteIfPresent('fleet_link_current >/dev/null', s.down)]),
        raw('true'),
      ),
    };
  },
});
