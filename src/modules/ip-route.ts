/**
 * ip-route: the route to one destination in one table, optionally inside a namespace.
 *
 * The kernel keys a route by (table, destination, tos, metric); fleet manages the metric-0 route
 * (the one `ip route replace DEST` without a metric addresses). Routes with a metric are someone
 * else's and are ignored.
 *
 * check: `ip route show table T exact DEST`, parsed with awk: the metric-0 line must have our type,
 *   our gateway (`via`, or none) and, when given, our `dev`. On 1 it prints the route that is there
 *   instead. "FIB table does not exist" (a table nobody has used yet) reads as absent.
 * apply: saves the metric-0 route that is there now (one line, as printed) into
 *   "$FLEET_STATE/route.prev" (an empty file: there was none), then `ip route replace`. Replace,
 *   not add, because a different route to the same destination would make `add` fail; the saved
 *   line is what makes that safe.
 * revert: with a saved line, `ip route replace <saved line> table T` (status-only words such as
 *   `linkdown` removed), which puts the old route back over ours; with an empty one, delete ours
 *   if it is still ours. Without a state file apply never ran: nothing to do.
 * undo: delete the route only while it matches ours; a different route to that destination is
 *   someone else's and stays.
 *
 * family: 4 or 6 (`ip -6 route`); a destination or gateway in IPv6 makes the route IPv6 without
 *   saying so, 'default' needs `family: 6` for ::/0. The kernel gives an IPv6 route without a
 *   metric the metric 1024 (IP6_RT_PRIO_USER), so that is the one fleet manages there. IPv6
 *   routes have no plan proof (the facts read IPv4): their own check runs.
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { cidr, cidr6, familyOf, ifname, ipv4, ipv6, parseCidr, parseCidr6 } from '../types/net.js';
import { absentInCheck, inNetns, ipCmd, netnsArg, routeTable, scoped, shellFunction, tableNumber, threeWayProbe, whenNetns } from './common.js';
import { factNs, netProof, type Proof } from './facts.js';

export const ipRouteSchema = z
  .strictObject({
    family: z.union([z.literal(4), z.literal(6)]).optional().describe("4 or 6 (absent: the destination's or gateway's family, else 4)"),
    destination: z
      .union([z.literal('default'), ipv4, cidr, ipv6, cidr6], {
        error: "expected 'default', an address or a network like 10.4.0.0/24 or fd00:10:4::/64",
      })
      .describe("'default', a host address or a network (CIDR)"),
    via: z.union([ipv4, ipv6], { error: 'expected an IPv4 or IPv6 address like 10.200.1.2 or fd00:200:1::2' }).optional().describe('gateway address'),
    dev: ifname.optional().describe('output interface'),
    table: routeTable.default('main').describe("routing table: a number or 'main' (the default)"),
    type: z
      .enum(['unicast', 'blackhole', 'unreachable', 'prohibit'])
      .default('unicast')
      .describe("route type: 'unicast' (needs via or dev), 'blackhole', 'unreachable' or 'prohibit' (an ICMP(v6) unreachable saying 'administratively prohibited', which a TCP connect gives up on at once)"),
    netns: netnsArg,
  })
  .superRefine((a, ctx) => {
    if (a.type === 'unicast' && !a.via && !a.dev)
      ctx.addIssue({ code: 'custom', path: ['via'], message: 'a unicast route needs via or dev' });
    if (a.type !== 'unicast' && (a.via || a.dev))
      ctx.addIssue({ code: 'custom', path: [a.via ? 'via' : 'dev'], message: `a ${a.type} route takes no via or dev` });
    const fam = routeFamily(a);
    for (const k of ['destination', 'via'] as const) {
      const v = a[k];
      if (v !== undefined && v !== 'default' && familyOf(v) !== fam) ctx.addIssue({ code: 'custom', path: [k], message: `${v} is not IPv${fam}: one route holds one address family` });
    }
  });

/** The route's family: the one given, else its destination's or gateway's, else IPv4. */
function routeFamily(a: { family?: 4 | 6; destination: string; via?: string }): 4 | 6 {
  if (a.family) return a.family;
  if (a.destination !== 'default') return familyOf(a.destination);
  return a.via ? familyOf(a.via) : 4;
}

export type IpRouteArgs = z.output<typeof ipRouteSchema>;

/** The destination as `ip route` takes it (host routes as /32 or /128) and as it prints it. */
function destination(d: string): { arg: string; printed: string } {
  if (d === 'default') return { arg: 'default', printed: 'default' };
  const host = familyOf(d) === 6 ? 128 : 32;
  const c = host === 128 ? parseCidr6(d) : parseCidr(d);
  if (!c) return { arg: `${d}/${host}`, printed: d };
  if (c.prefix === 0) return { arg: 'default', printed: 'default' };
  return c.prefix === host ? { arg: d, printed: c.address } : { arg: d, printed: d };
}

/** Words `ip route show` prints about a route's state that `ip route add` does not accept. */
const STATUS_WORDS = 'linkdown|dead|offload|trap|offload_failed|rt_offload|rt_trap|rt_offload_failed|pervasive|notify';

function spec(a: IpRouteArgs) {
  const six = routeFamily(a) === 6;
  const ip = six ? sh`${ipCmd(a.netns)} -6` : ipCmd(a.netns);
  // The managed route's metric as printed: none for IPv4, 1024 for IPv6 (see the header).
  const skip = six ? 'if ($i == "metric" && $(i + 1) != "1024") next' : 'if ($i == "metric") next';
  const dest = destination(a.destination);
  const table = String(tableNumber(a.table));
  const words: string[] = [];
  if (a.type !== 'unicast') words.push(a.type);
  words.push(dest.arg);
  if (a.via) words.push('via', a.via);
  if (a.dev) words.push('dev', a.dev);
  words.push('table', table);
  const show = sh`${ip} route show table ${table} exact ${dest.arg}`;
  // Prints the metric-0 route to DEST in TABLE (nothing if none); status 2 if ip failed.
  const current = shellFunction(
    'fleet_route_current',
    Shell.join([
      threeWayProbe('fleet_out', show, 'FIB table does not exist', raw('return 0')),
      raw(`  printf '%s\\n' "$fleet_out" | awk '$1 != "nexthop" { for (i = 2; i < NF; i++) ${skip}; print; exit }'`),
    ]),
  );
  // 0 when the metric-0 route is ours, 1 (printing what is there) when not, 2 probe failed.
  const ours = shellFunction(
    'fleet_route_ours',
    Shell.join([
      raw('  fleet_cur=$(fleet_route_current) || return 2'),
      raw(`  if [ -z "$fleet_cur" ]; then echo 'no route'; return 1; fi`),
      sh`  printf '%s\\n' "$fleet_cur" | awk -v type=${a.type} -v via=${a.via ?? ''} -v dev=${a.dev ?? ''} '{`,
      raw(`    t = "unicast"; s = 1; if ($1 ~ /^(blackhole|unreachable|prohibit|throw|local|broadcast|anycast|multicast|nat)$/) { t = $1; s = 2 }`),
      raw(`    g = ""; d = ""; for (i = s + 1; i < NF; i++) { if ($i == "via") g = $(i + 1); if ($i == "dev") d = $(i + 1) }`),
      raw(`    if (t == type && g == via && (dev == "" || d == dev)) exit 0`),
      raw(`    print "route is: " $0; exit 1 }'`),
    ]),
  );
  const probe = Shell.join([current, ours]);
  return {
    probe,
    replace: sh`${ip} route replace ${words}`,
    del: sh`${ip} route del ${words}`,
    ip,
    table,
    dest,
  };
}

/** The plan's proof (facts.ts) that the check would say 0: the metric-0 route to DEST in TABLE has this type and gateway (and dev when given). */
function routeProof(netns: string | undefined, table: number, dest: string, type: string, via?: string, dev?: string): Proof {
  return netProof([netns], [`route ${factNs(netns)} ${table} ${dest} ${type} ${via ?? '-'} ${dev ?? '*'}`]);
}

function identity(a: IpRouteArgs): string {
  return scoped(a.netns, `${routeFamily(a) === 6 ? '-6 ' : ''}${destination(a.destination).printed} table ${a.table}`);
}

export const ipRoute = defineModule({
  name: 'ip-route',
  runtime: true,
  reachability: true,
  schema: ipRouteSchema,
  identity,
  render(a) {
    const s = spec(a);
    const delIfOurs = Shell.join([
      raw('if fleet_route_ours >/dev/null; then'),
      s.del,
      raw('else [ $? -eq 1 ]; fi'),
    ]);
    const undo = whenNetns(a.netns, Shell.join([s.probe, delIfOurs]), raw('true'));
    const revert = whenNetns(
      a.netns,
      Shell.join([
        s.probe,
        raw('if [ -s "$FLEET_STATE/route.prev" ]; then'),
        raw('  set -f'),
        raw(`  fleet_prev=$(awk '{ for (i = 1; i <= NF; i++) if ($i !~ /^(${STATUS_WORDS})$/) printf "%s ", $i }' "$FLEET_STATE/route.prev")`),
        sh`  ${s.ip} route replace $fleet_prev table ${s.table}`,
        raw('elif [ -e "$FLEET_STATE/route.prev" ]; then'),
        delIfOurs,
        raw('fi'),
      ]),
      raw('true'),
    );
    const parts = [a.type === 'unicast' ? '' : `${a.type} `, s.dest.printed];
    if (a.via) parts.push(` via ${a.via}`);
    if (a.dev) parts.push(` dev ${a.dev}`);
    return {
      title: `ip ${routeFamily(a) === 6 ? '-6 ' : ''}route ${parts.join('')} table ${a.table}${inNetns(a.netns)}`,
      check: whenNetns(a.netns, Shell.join([s.probe, raw('fleet_route_ours')]), absentInCheck(a.netns ?? '')),
      proof: routeFamily(a) === 6 ? undefined : routeProof(a.netns, tableNumber(a.table), s.dest.printed, a.type, a.via, a.dev),
      apply: Shell.join([
        s.probe,
        raw('fleet_cur=$(fleet_route_current) &&'),
        raw(`printf '%s\\n' "$fleet_cur" | sed '/^$/d' > "$FLEET_STATE/route.prev" &&`),
        s.replace,
      ]),
      revert,
      undo,
    };
  },
});
