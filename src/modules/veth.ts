/**
 * veth: a veth pair, NAME on this side, PEER in `peerNetns` (or beside NAME).
 *
 * check: NAME exists and is a veth (`ip -j -d link show`: "info_kind":"veth"), PEER exists where
 *   it should, and the two are each other's peer (NAME's link_index is PEER's ifindex and the other
 *   way round), so a same-named interface from something else does not pass. A missing namespace
 *   (NAME's or the peer's) reads as absent.
 * apply: safe when half done. Creates the pair in one step when NAME is missing (`ip link add NAME
 *   type veth peer name PEER netns NS`, so the peer is born in its namespace); when NAME exists but
 *   the peer is still beside it (an older script's half-run), moves the peer into the namespace.
 * undo, revert: `ip link del NAME` when NAME is a veth (deleting one end deletes both); an
 *   interface of another kind under that name is not ours and stays. Create-only: revert is undo.
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { ifname, netnsName } from '../types/net.js';
import { absentInCheck, devExists, inNetns, ipCmd, netnsArg, netnsPath, scoped, shellFunction, whenNetns } from './common.js';
import { factNs, netProof, type Proof } from './facts.js';

export const vethSchema = z
  .strictObject({
    name: ifname.describe('this end (e.g. veth-wg)'),
    peer: ifname.describe('the other end (e.g. veth-vpn)'),
    peerNetns: netnsName.optional().describe('namespace the other end lives in; absent: beside this end'),
    netns: netnsArg,
  })
  .refine((a) => a.name !== a.peer || (a.peerNetns ?? '') !== (a.netns ?? ''), {
    message: 'name and peer are the same interface in the same namespace',
    path: ['peer'],
  });

export type VethArgs = z.output<typeof vethSchema>;

/** A sed program printing the number after `"KEY":` in ip -j output (the first occurrence). */
function jsonNumber(key: string): string {
  return `s/.*[{,]"${key}":\\([0-9][0-9]*\\)[,}].*/\\1/p`;
}

function spec(a: VethArgs) {
  const ip = ipCmd(a.netns);
  const peerNs = a.peerNetns ?? a.netns;
  const peerIp = ipCmd(peerNs);
  const state = Shell.join([devExists(a.netns), shellFunction(
    'fleet_veth_state',
    Shell.join([
      raw(`  # prints: absent | other | peer-missing | peer-here | ok (state of the pair)`),
      raw('  # status 2 when ip failed for another reason than absence'),
      sh`  fleet_dev_exists ${a.name} || { [ $? -eq 1 ] && echo absent && return 0; return 2; }`,
      sh`  fleet_j=$(${ip} -j -d link show dev ${a.name}) || return 2`,
      raw(`  case $fleet_j in *'"info_kind":"veth"'*) ;; *) echo other; return 0 ;; esac`),
      sh`  fleet_link=$(printf '%s\\n' "$fleet_j" | sed -n ${jsonNumber('link_index')})`,
      sh`  fleet_idx=$(printf '%s\\n' "$fleet_j" | sed -n ${jsonNumber('ifindex')})`,
      ...(peerNs
        ? [sh`  if [ ! -e ${netnsPath(peerNs)} ]; then echo peer-missing; return 0; fi`]
        : []),
      sh`  if fleet_p=$(${peerIp} -j link show dev ${a.peer} 2>/dev/null); then`,
      sh`    fleet_pidx=$(printf '%s\\n' "$fleet_p" | sed -n ${jsonNumber('ifindex')})`,
      sh`    fleet_plink=$(printf '%s\\n' "$fleet_p" | sed -n ${jsonNumber('link_index')})`,
      raw(`    if [ "$fleet_pidx" = "$fleet_link" ] && [ "$fleet_plink" = "$fleet_idx" ]; then echo ok; return 0; fi`),
      raw('  fi'),
      ...(a.peerNetns
        ? [sh`  if ${ip} link show dev ${a.peer} >/dev/null 2>&1; then echo peer-here; return 0; fi`]
        : []),
      raw('  echo peer-missing'),
    ]),
  )]);
  return { ip, state };
}

/** The plan's proof (facts.ts) that the check would say 0: NAME and PEER are the two ends of one veth pair (ifindex and peer ifindex agree). */
function vethProof(netns: string | undefined, name: string, peerNetns: string | undefined, peer: string): Proof {
  return netProof([netns, peerNetns], [`veth ${factNs(netns)} ${name} ${factNs(peerNetns)} ${peer}`]);
}

const identity = (a: VethArgs): string => scoped(a.netns, a.name);

export const veth = defineModule({
  name: 'veth',
  runtime: true,
  reachability: true,
  schema: vethSchema,
  identity,
  render(a) {
    const s = spec(a);
    const peerWhere = a.peerNetns ? ` (netns ${a.peerNetns})` : '';
    const remove = whenNetns(
      a.netns,
      Shell.join([
        s.state,
        raw('fleet_st=$(fleet_veth_state) &&'),
        raw('case $fleet_st in absent|other) true ;; *)'),
        sh`  ${s.ip} link del dev ${a.name} ;;`,
        raw('esac'),
      ]),
      raw('true'),
    );
    const add = a.peerNetns
      ? sh`${s.ip} link add ${a.name} type veth peer name ${a.peer} netns ${a.peerNetns}`
      : sh`${s.ip} link add ${a.name} type veth peer name ${a.peer}`;
    return {
      title: `veth ${a.name}${inNetns(a.netns)} <-> ${a.peer}${peerWhere}`,
      check: whenNetns(
        a.netns,
        Shell.join([
          s.state,
          raw('if fleet_st=$(fleet_veth_state); then'),
          sh`  case $fleet_st in ok) true ;; *) echo ${`veth ${a.name}: `}"$fleet_st"; false ;; esac`,
          raw('else (exit 2); fi'),
        ]),
        absentInCheck(a.netns ?? ''),
      ),
      proof: vethProof(a.netns, a.name, a.peerNetns ?? a.netns, a.peer),
      apply: Shell.join([
        s.state,
        raw('fleet_st=$(fleet_veth_state) &&'),
        raw('case $fleet_st in'),
        raw('  ok) true ;;'),
        sh`  absent) ${add} ;;`,
        ...(a.peerNetns ? [sh`  peer-here) ${s.ip} link set dev ${a.peer} netns ${a.peerNetns} ;;`] : []),
        sh`  *) echo ${`veth ${a.name}: cannot repair state`} "$fleet_st" >&2; false ;;`,
        raw('esac'),
      ]),
      revert: remove,
      undo: remove,
    };
  },
});
