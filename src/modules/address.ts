/**
 * address: one IPv4 address (with its prefix) on one interface, optionally inside a namespace.
 *
 * check: `ip -o -4 addr show dev DEV` has a field `inet ADDR/PREFIX` equal to ours (exact, so
 *   10.4.0.1/24 is not 10.4.0.1/16). A missing interface or namespace reads as absent.
 * apply: `ip addr add ADDR dev DEV`.
 * undo, revert: `ip addr del ADDR dev DEV` while it is there. Removing a primary address also
 *   removes the secondaries of its subnet unless net.ipv4.conf.DEV.promote_secondaries is set;
 *   fleet's gateways hold one address per interface. Create-only: revert is undo.
 */
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { ifaceAddress, ifname } from '../types/net.js';
import { absentInCheck, devExists, inNetns, ipCmd, netnsArg, scoped, shellFunction, whenNetns } from './common.js';
import { proofs } from './facts.js';
import type { Module, Resource } from './types.js';

export const addressSchema = z.strictObject({
  address: ifaceAddress.describe('address with prefix length, e.g. 10.200.1.1/24'),
  dev: ifname.describe('interface to put it on'),
  netns: netnsArg,
});

export type AddressArgs = z.output<typeof addressSchema>;

function spec(a: AddressArgs) {
  const ip = ipCmd(a.netns);
  const present = Shell.join([devExists(a.netns), shellFunction(
    'fleet_addr_present',
    Shell.join([
      sh`  fleet_dev_exists ${a.dev}; fleet_rc=$?`,
      sh`  if [ $fleet_rc -eq 1 ]; then echo ${`${a.dev} is absent`}; return 1; fi`,
      raw('  [ $fleet_rc -eq 0 ] || return 2'),
      sh`  fleet_out=$(${ip} -o -4 addr show dev ${a.dev}) || return 2`,
      sh`  printf '%s\\n' "$fleet_out" | awk -v want=${a.address} '{ for (i = 1; i < NF; i++) if ($i == "inet" && $(i + 1) == want) found = 1 } END { exit !found }'`,
    ]),
  )]);
  return {
    present,
    add: sh`${ip} addr add ${a.address} dev ${a.dev}`,
    del: sh`${ip} addr del ${a.address} dev ${a.dev}`,
  };
}

const identity = (a: AddressArgs): string => scoped(a.netns, `${a.dev} ${a.address}`);

export const address = {
  name: 'address',
  schema: addressSchema,
  identity,
  render(a): Resource {
    const s = spec(a);
    const remove = whenNetns(
      a.netns,
      Shell.join([s.present, raw('if fleet_addr_present >/dev/null; then'), s.del, raw('else [ $? -eq 1 ]; fi')]),
      raw('true'),
    );
    return {
      id: `address:${identity(a)}`,
      runtime: true,
      module: 'address',
      title: `address ${a.address} on ${a.dev}${inNetns(a.netns)}`,
      check: whenNetns(a.netns, Shell.join([s.present, raw('fleet_addr_present')]), absentInCheck(a.netns ?? '')),
      proof: proofs.address(a.netns, a.dev, a.address),
      apply: s.add,
      revert: remove,
      undo: remove,
    };
  },
} satisfies Module<AddressArgs>;
