/**
 * interface-ready: an interface some daemon brings up by itself (OpenVPN's tun0) exists and has an
 * IPv4 address, optionally inside a namespace. It makes a deploy wait for the tunnel instead of
 * reporting success while traffic would still be dropped, and it shows as drift in `fleet status`
 * when the tunnel is down.
 *
 * check: `ip -4 -o addr show dev DEV` lists an inet address (1 when the interface, its address or
 *   the namespace is missing; on 1 it prints what is missing).
 * apply: waits up to `timeoutSeconds` for the check to hold; exit 1 when it never does, so the
 *   deploy fails and rolls back (a tunnel that never comes up is a failed deploy).
 * revert, undo: nothing to do: the interface belongs to the daemon, whose revert/undo stops it.
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { ifname } from '../types/net.js';
import { absentInCheck, devExists, inNetns, ipCmd, netnsArg, scoped, shellFunction, whenNetns } from './common.js';
import { factNs, netProof, type Proof } from './facts.js';

export const interfaceReadySchema = z.strictObject({
  dev: ifname.describe('interface a daemon creates (e.g. tun0)'),
  netns: netnsArg,
  timeoutSeconds: z.number().int().min(1).max(300).default(30).describe('how long apply waits for it'),
});

export type InterfaceReadyArgs = z.output<typeof interfaceReadySchema>;

function spec(a: InterfaceReadyArgs) {
  return Shell.join([
    devExists(a.netns),
    shellFunction(
      'fleet_if_ready',
      Shell.join([
        sh`  fleet_dev_exists ${a.dev} || { [ $? -eq 1 ] && echo ${`${a.dev} is absent`} && return 1; return 2; }`,
        sh`  fleet_out=$(${ipCmd(a.netns)} -4 -o addr show dev ${a.dev}) || return 2`,
        raw(`  case $fleet_out in *' inet '*) return 0 ;; esac`),
        sh`  echo ${`${a.dev} has no IPv4 address yet`}; return 1`,
      ]),
    ),
  ]);
}

/** The plan's proof (facts.ts) that the check would say 0: DEV has some IPv4 address. */
function interfaceReadyProof(netns: string | undefined, dev: string): Proof {
  return netProof([netns], [`inet ${factNs(netns)} ${dev}`]);
}

const identity = (a: InterfaceReadyArgs): string => scoped(a.netns, a.dev);

export const interfaceReady = defineModule({
  name: 'interface-ready',
  runtime: true,
  schema: interfaceReadySchema,
  identity,
  render(a) {
    const ready = spec(a);
    const check = whenNetns(a.netns, Shell.join([ready, raw('fleet_if_ready')]), absentInCheck(a.netns ?? ''));
    return {
      title: `${a.dev} up with an address${inNetns(a.netns)}`,
      check,
      proof: interfaceReadyProof(a.netns, a.dev),
      apply: Shell.join([
        raw(`fleet_i=0`),
        raw(`while [ $fleet_i -lt ${a.timeoutSeconds * 10} ]; do`),
        raw(`  if ( `),
        check,
        raw(`  ) >/dev/null 2>&1; then break; fi`),
        raw(`  fleet_i=$((fleet_i + 1)); sleep 0.1`),
        raw(`done`),
        sh`[ $fleet_i -lt ${a.timeoutSeconds * 10} ] || { echo ${`${a.dev} did not come up within ${a.timeoutSeconds}s`} >&2; false; }`,
      ]),
      revert: raw('true'),
      undo: raw('true'),
      prunable: false,
      // Its first IPv4 address (what `check` looks for), or nothing.
      live: sh`${ipCmd(a.netns)} -4 -o addr show dev ${a.dev} 2>/dev/null | awk '$3 == "inet" { print $4; exit }'`,
    };
  },
});
