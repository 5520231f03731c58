/**
 * wireguard-upstream: the WireGuard tunnel to the VPN provider, inside the namespace, configured
 * from a wg(8)-format file (`wg setconf`), never by wg-quick: no PostUp, no wg-quick routing. The
 * routes, addresses and MTU around it are fleet's own resources.
 *
 * The config file is a secret `file` resource written before this one (it holds the private key,
 * and only the keys `wg setconf` reads). Its change re-applies this one (`watches`).
 *
 * check: the link exists in the namespace, `wg show NAME public-key` is the key the controller
 *   derived from the config's private key, `wg show NAME endpoints` is exactly our one peer at
 *   our endpoint, and the config's hash is the one recorded when it was last set (a changed file
 *   is "does not hold": wg cannot show the rest without the secrets). Never `wg show NAME dump`,
 *   `private-key`, `preshared-keys` or `showconf`: they print secrets.
 * apply: records in "$FLEET_STATE/wgu.was" whether the link existed. Absent: the kernel's
 *   WireGuard (`ip -n NS link add NAME type wireguard`), else wireguard-go started inside the
 *   namespace (its TUN is made there; its output goes to /run/fleet/wireguard-go-NAME.log, or the
 *   SSH channel would never close). Where systemd runs, wireguard-go starts in a scope of its own
 *   (fleet-wireguard-go-NAME.scope): started by a deploy it would otherwise live in the SSH login's
 *   session, which logind may end and which systemd stops with the login, not as a system
 *   service. Then `wg setconf NAME CONFIG` inside the namespace, and the config's hash into
 *   /run/fleet/wgu-NAME.sum.
 * revert: the link did not exist: delete it (wireguard-go exits with its TUN) and the hash. It did: the old
 *   config is not back yet (the file reverts after this step), so a re-setconf from the restored
 *   file is appended to "$FLEET_DEFER".
 * undo: delete the link when it exists, and the recorded hash.
 */
import { z } from 'zod';
import { defineModule } from './define.js';
import { Shell, raw, sh } from '../shell/sh.js';
import { absPath, ifname, netnsName, wgKey } from '../types/net.js';
import { devExists, deleteIfPresent, inNetns, scoped, shellFunction, whenNetns, absentInCheck } from './common.js';
import { WG_RUN_DIR } from './wireguard-interface.js';

export const wireguardUpstreamSchema = z.strictObject({
  name: ifname.describe('interface name inside the namespace, e.g. wgp0'),
  netns: netnsName.describe('the namespace the tunnel lives in'),
  configPath: absPath.describe('wg(8) config on the host (only what wg setconf reads; holds the private key)'),
  publicKey: wgKey.describe("the interface's own public key (derived from the config's private key)"),
  peerPublicKey: wgKey.describe("the provider's public key"),
  endpoint: z
    .string()
    .regex(/^\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}$/, 'expected address:port')
    .describe("the provider's endpoint, as `wg show endpoints` prints it"),
});

export type WireguardUpstreamArgs = z.output<typeof wireguardUpstreamSchema>;

/** Runs a command in a transient scope of its own where systemd runs (see the header), else as is. */
const OWN_SCOPE = shellFunction(
  'fleet_own_scope',
  Shell.join([
    raw('  fleet_scope_unit=$1; shift'),
    raw('  if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then'),
    raw(`    systemd-run --scope --quiet --collect --unit "$fleet_scope_unit" --description 'fleet: the WireGuard provider tunnel (wireguard-go)' "$@"`),
    raw('  else'),
    raw('    "$@"'),
    raw('  fi'),
  ]),
);

function spec(a: WireguardUpstreamArgs) {
  const wg = sh`ip netns exec ${a.netns} wg`;
  const log = `${WG_RUN_DIR}/wireguard-go-${a.name}.log`;
  const exists = sh`fleet_dev_exists ${a.name}`;
  const sum = `${WG_RUN_DIR}/wgu-${a.name}.sum`;
  const hash = sh`sha256sum < ${a.configPath} | cut -d' ' -f1`;
  const setconf = sh`${wg} setconf ${a.name} ${a.configPath} && ${hash} > ${sum}`;
  const del = sh`ip -n ${a.netns} link del dev ${a.name}`;

  const check = Shell.join([
    devExists(a.netns),
    shellFunction(
      'fleet_wgu_check',
      Shell.join([
        sh`  ${exists} || { [ $? -eq 1 ] || return 2; echo ${`${a.name} is absent`}; return 1; }`,
        sh`  fleet_pub=$(${wg} show ${a.name} public-key) || return 2`,
        sh`  [ "$fleet_pub" = ${a.publicKey} ] || { echo ${`${a.name} has another key`}; return 1; }`,
        sh`  fleet_ends=$(${wg} show ${a.name} endpoints) || return 2`,
        sh`  [ "$fleet_ends" = ${`${a.peerPublicKey}\t${a.endpoint}`} ] || { echo ${`${a.name}: the provider peer or its endpoint differs`}; return 1; }`,
        sh`  fleet_sum=$(${hash}) || return 2`,
        sh`  [ "$fleet_sum" = "$(cat ${sum} 2>/dev/null)" ] && return 0`,
        sh`  echo ${`${a.name}: ${a.configPath} changed since it was set`}; return 1`,
      ]),
    ),
    raw('fleet_wgu_check'),
  ]);

  const apply = Shell.join([
    devExists(a.netns),
    OWN_SCOPE,
    sh`${exists}; case $? in`,
    raw('  0) echo present > "$FLEET_STATE/wgu.was" ;;'),
    sh`  1) echo absent > "$FLEET_STATE/wgu.was" && mkdir -p -m 0700 ${WG_RUN_DIR} &&`,
    sh`     { ip -n ${a.netns} link add dev ${a.name} type wireguard 2>/dev/null ||`,
    sh`       fleet_own_scope ${`fleet-wireguard-go-${a.name}.scope`} ip netns exec ${a.netns} wireguard-go ${a.name} </dev/null >>${log} 2>&1 || { tail -n 20 ${log} >&2; false; }; } ;;`,
    raw('  *) false ;;'),
    raw('esac &&'),
    setconf,
  ]);

  const deferred = Shell.join([raw('('), devExists(a.netns), sh`if ${exists} && [ -f ${a.configPath} ]; then ${setconf}; fi`, raw(')')]);
  const revert = whenNetns(
    a.netns,
    Shell.join([
      raw('if [ ! -f "$FLEET_STATE/wgu.was" ]; then'),
      raw('  true'),
      raw('elif [ "$(cat "$FLEET_STATE/wgu.was")" = present ]; then'),
      sh`  printf '%s\\n' ${deferred.text} >> "$FLEET_DEFER"`,
      raw('else'),
      sh`  rm -f ${sum}`,
      devExists(a.netns),
      deleteIfPresent(`fleet_dev_exists ${a.name}`, del),
      raw('fi'),
    ]),
    raw('true'),
  );
  const undo = Shell.join([sh`rm -f ${sum}`, whenNetns(a.netns, Shell.join([devExists(a.netns), deleteIfPresent(`fleet_dev_exists ${a.name}`, del)]), raw('true'))]);
  return { check: whenNetns(a.netns, check, absentInCheck(a.netns)), apply, revert, undo };
}

export const wireguardUpstream = defineModule({
  name: 'wireguard-upstream',
  runtime: true,
  schema: wireguardUpstreamSchema,
  identity: (a) => scoped(a.netns, a.name),
  render(a) {
    const s = spec(a);
    return {
      title: `wireguard upstream ${a.name}${inNetns(a.netns)}`,
      check: s.check,
      apply: s.apply,
      revert: s.revert,
      undo: s.undo,
      watches: [`file:${a.configPath}`],
    };
  },
});
