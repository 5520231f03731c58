/**
 * netns: a named network namespace (ip-netns(8): a bind mount under /var/run/netns).
 *
 * check: the first word of each `ip netns list` line (lines read `NAME` or `NAME (id: N)`) equals
 *   the name exactly; a failing `ip netns list` is a probe failure.
 * apply: `ip netns add NAME`.
 * undo, revert: `ip netns del NAME` when it exists. This unmounts the name; the kernel frees the
 *   namespace (and its interfaces, e.g. a veth end, which takes its peer along) once no process
 *   is left in it, so daemons inside must be stopped first (the daemon resource comes later in
 *   the role order and is undone earlier). Create-only, so revert is undo.
 */
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { netnsName } from '../types/net.js';
import { shellFunction } from './common.js';
import { proofs } from './facts.js';
import type { Module, Resource } from './types.js';

export const netnsSchema = z.strictObject({
  name: netnsName.describe('namespace name (a file under /var/run/netns)'),
});

export type NetnsArgs = z.output<typeof netnsSchema>;

function spec(a: NetnsArgs) {
  const present = shellFunction(
    'fleet_netns_present',
    Shell.join([
      raw('  fleet_out=$(ip netns list) || return 2'),
      sh`  printf '%s\\n' "$fleet_out" | awk -v name=${a.name} '$1 == name { found = 1 } END { exit !found }'`,
    ]),
  );
  return { present, add: sh`ip netns add ${a.name}`, del: sh`ip netns del ${a.name}` };
}

const identity = (a: NetnsArgs): string => a.name;

export const netns = {
  name: 'netns',
  schema: netnsSchema,
  identity,
  render(a): Resource {
    const s = spec(a);
    const remove = Shell.join([s.present, raw('if fleet_netns_present; then'), s.del, raw('else [ $? -eq 1 ]; fi')]);
    return {
      id: `netns:${identity(a)}`,
      runtime: true,
      reachability: true,
      module: 'netns',
      title: `network namespace ${a.name}`,
      check: Shell.join([s.present, raw('fleet_netns_present')]),
      proof: proofs.netns(a.name),
      apply: s.add,
      revert: remove,
      undo: remove,
    };
  },
} satisfies Module<NetnsArgs>;
