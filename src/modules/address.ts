/**
 * address: one IPv4 or IPv6 address (with its prefix) on one interface, optionally inside a
 * namespace. The family is the address's own: an IPv6 one (canonical text, see src/types/net.ts)
 * is read and written with `ip -6` and `inet6`, everything else below the same. Link-local IPv6
 * addresses (fe80::/10, the kernel's own) never count as "other" addresses for exclusive.
 *
 * check: `ip -o -4 addr show dev DEV` has a field `inet ADDR/PREFIX` equal to ours (exact, so
 *   10.4.0.1/24 is not 10.4.0.1/16). A missing interface or namespace reads as absent.
 * apply: `ip addr add ADDR dev DEV` (nodad: IPv6 only, without duplicate address detection: the
 *   address is usable at once, not tentative for the first second or two).
 * undo, revert: `ip addr del ADDR dev DEV` while it is there. Removing a primary address also
 *   removes the secondaries of its subnet unless net.ipv4.conf.DEV.promote_secondaries is set;
 *   fleet's gateways hold one address per interface. Create-only: revert is undo.
 *
 * exclusive: ADDR is to be the interface's only IPv4 address (wg0's, whose address the inventory
 *   may change). The check also wants no other; apply records the others in "$FLEET_STATE",
 *   removes them first (removing an old primary would take a new secondary of its subnet with it),
 *   then adds ours if it is missing; revert removes ours if apply added it and puts the others
 *   back. Undo removes ours only.
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { familyOf, ifaceAddress, ifaceAddress6, ifname } from '../types/net.js';
import { absentInCheck, deleteIfPresent, devExists, inNetns, ipCmd, netnsArg, scoped, shellFunction, whenNetns } from './common.js';
import { factNs, netProof, type Proof } from './facts.js';

export const addressSchema = z.strictObject({
  address: z.union([ifaceAddress, ifaceAddress6], { error: 'expected an address with prefix like 10.4.0.1/24 or fd00:10:4::1/64' }).describe('address with prefix length, e.g. 10.200.1.1/24 or fd00:10:4::1/64'),
  dev: ifname.describe('interface to put it on'),
  exclusive: z.boolean().default(false).describe('the only address of its family on dev (IPv6: besides link-local ones): others are removed (and put back by revert)'),
  nodad: z.boolean().default(false).describe('IPv6 only: no duplicate address detection (usable at once; for a link fleet alone addresses, such as the veth pair)'),
  netns: netnsArg,
}).refine((a) => !a.nodad || familyOf(a.address) === 6, { path: ['nodad'], message: 'nodad is for an IPv6 address (IPv4 has no duplicate address detection)' });

export type AddressArgs = z.output<typeof addressSchema>;

/** `-4` and `inet`, or `-6` and `inet6`: the address's family. */
function familyWords(a: AddressArgs): { flag: string; word: string } {
  return familyOf(a.address) === 6 ? { flag: '-6', word: 'inet6' } : { flag: '-4', word: 'inet' };
}

function spec(a: AddressArgs) {
  const ip = ipCmd(a.netns);
  const f = familyWords(a);
  const present = Shell.join([devExists(a.netns), shellFunction(
    'fleet_addr_present',
    Shell.join([
      sh`  fleet_dev_exists ${a.dev}; fleet_rc=$?`,
      sh`  if [ $fleet_rc -eq 1 ]; then echo ${`${a.dev} is absent`}; return 1; fi`,
      raw('  [ $fleet_rc -eq 0 ] || return 2'),
      sh`  fleet_out=$(${ip} -o ${raw(f.flag)} addr show dev ${a.dev}) || return 2`,
      sh`  printf '%s\\n' "$fleet_out" | awk -v want=${a.address} -v word=${f.word} '{ for (i = 1; i < NF; i++) if ($i == word && $(i + 1) == want) found = 1 } END { exit !found }'`,
    ]),
  )]);
  // The other IPv4 addresses on DEV, one per line (exclusive only).
  const others = shellFunction(
    'fleet_addr_others',
    Shell.join([
      sh`  fleet_out=$(${ip} -o ${raw(f.flag)} addr show dev ${a.dev}) || return 2`,
      sh`  printf '%s\\n' "$fleet_out" | awk -v want=${a.address} -v word=${f.word} '{ for (i = 1; i < NF; i++) if ($i == word && $(i + 1) != want && $(i + 1) !~ /^fe80:/) print $(i + 1) }'`,
    ]),
  );
  return {
    present,
    others,
    add: a.nodad ? sh`${ip} addr add ${a.address} dev ${a.dev} nodad` : sh`${ip} addr add ${a.address} dev ${a.dev}`,
    del: sh`${ip} addr del ${a.address} dev ${a.dev}`,
    delOther: sh`${ip} addr del "$fleet_a" dev ${a.dev}`,
    addOther: sh`${ip} addr add "$fleet_a" dev ${a.dev}`,
  };
}

/** exclusive: holds when ours is there and no other IPv4 address is; says which others are. */
function exclusiveCheck(a: AddressArgs, s: ReturnType<typeof spec>): Shell {
  return Shell.join([
    s.present,
    s.others,
    raw('fleet_addr_present || return'),
    raw('fleet_o=$(fleet_addr_others) || return 2'),
    raw('[ -z "$fleet_o" ] && return 0'),
    sh`echo ${`${a.dev} also has`} $fleet_o; return 1`,
  ]);
}

/** The plan's proof (facts.ts) that the check would say 0: `inet ADDR/PREFIX` on DEV (exclusive: and no other IPv4 address there). The facts read IPv4 only: an IPv6 address is checked by its own check. */
function addressProof(netns: string | undefined, dev: string, cidr: string, exclusive = false): Proof | undefined {
  if (familyOf(cidr) === 6) return undefined;
  return netProof([netns], [`addr ${factNs(netns)} ${dev} ${cidr}`, ...(exclusive ? [`addrcount ${factNs(netns)} ${dev} 1`] : [])]);
}

const identity = (a: AddressArgs): string => scoped(a.netns, `${a.dev} ${a.address}`);

export const address = defineModule({
  name: 'address',
  runtime: true,
  reachability: true,
  schema: addressSchema,
  identity,
  render(a) {
    const s = spec(a);
    const remove = whenNetns(
      a.netns,
      Shell.join([s.present, deleteIfPresent('fleet_addr_present >/dev/null', s.del)]),
      raw('true'),
    );
    const base = {
      title: `address ${a.address} on ${a.dev}${a.exclusive ? ` (its only IPv${familyOf(a.address)} address)` : ''}${inNetns(a.netns)}`,
      proof: addressProof(a.netns, a.dev, a.address, a.exclusive),
      undo: remove,
    };
    if (!a.exclusive) {
      return {
        ...base,
        check: whenNetns(a.netns, Shell.join([s.present, raw('fleet_addr_present')]), absentInCheck(a.netns ?? '')),
        apply: s.add,
        revert: remove,
      };
    }
    return {
      ...base,
      // A function, so the check can return early; called as the fragment's last command.
      check: whenNetns(a.netns, Shell.join([shellFunction('fleet_addr_check', exclusiveCheck(a, s)), raw('fleet_addr_check')]), absentInCheck(a.netns ?? '')),
      apply: Shell.join([
        s.present,
        s.others,
        shellFunction(
          'fleet_addr_apply',
          Shell.join([
            raw(`  fleet_o=$(fleet_addr_others) && printf '%s\\n' "$fleet_o" > "$FLEET_STATE/address.others" || return`),
            raw('  if fleet_addr_present >/dev/null; then echo present; else echo absent; fi > "$FLEET_STATE/address.was"'),
            raw('  for fleet_a in $fleet_o; do'),
            Shell.join([raw('    '), s.delOther, raw(' || return')], ''),
            raw('  done'),
            raw('  fleet_addr_present >/dev/null && return 0'),
            Shell.join([raw('  '), s.add], ''),
          ]),
        ),
        raw('fleet_addr_apply'),
      ]),
      revert: whenNetns(
        a.netns,
        Shell.join([
          s.present,
          shellFunction(
            'fleet_addr_revert',
            Shell.join([
              raw('  if [ -f "$FLEET_STATE/address.was" ] && [ "$(cat "$FLEET_STATE/address.was")" = absent ] && fleet_addr_present >/dev/null; then'),
              Shell.join([raw('    '), s.del, raw(' || return')], ''),
              raw('  fi'),
              raw('  [ -f "$FLEET_STATE/address.others" ] || return 0'),
              raw('  for fleet_a in $(cat "$FLEET_STATE/address.others"); do'),
              Shell.join([raw('    '), sh`${ipCmd(a.netns)} -o ${raw(familyWords(a).flag)} addr show dev ${a.dev} | grep -q ${raw(`" ${familyWords(a).word} $fleet_a "`)} || `, s.addOther, raw(' || return')], ''),
              raw('  done'),
            ]),
          ),
          raw('fleet_addr_revert'),
        ]),
        raw('true'),
      ),
    };
  },
});
