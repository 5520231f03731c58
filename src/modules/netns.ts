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
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { netnsName } from '../types/net.js';
import { deleteIfPresent, shellFunction } from './common.js';
import { type Proof } from './facts.js';

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

/** The plan's proof (facts.ts) that the check would say 0: `ip netns list` has a line for NAME. */
function netnsProof(name: string): Proof {
  return { needs: [{ kind: 'netns' }], lines: [`netns ${name}`] };
}

const identity = (a: NetnsArgs): string => a.name;

export const netns = defineModule({
  name: 'netns',
  runtime: true,
  reachability: true,
  schema: netnsSchema,
  identity,
  render(a) {
    const s = spec(a);
    const remove = Shell.join([s.present, deleteIfPresent('fleet_netns_present', s.del)]);
    return {
      title: `network namespace ${a.name}`,
      check: Shell.join([s.present, raw('fleet_netns_present')]),
      proof: netnsProof(a.name),
      apply: s.add,
      revert: remove,
      undo: remove,
    };
  },
});
