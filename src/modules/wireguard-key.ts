/**
 * wireguard-key: the host's WireGuard private key exists (generated on the host, never leaving it)
 * and, optionally, its public key is written beside it.
 *
 * check: the key file is non-empty with mode 600; with `publicKeyPath`, that file holds
 *   `wg pubkey < KEY` (the public key is not secret; the private key is only ever read by `wg` from
 *   a redirect, never printed or passed as an argument). A key `wg pubkey` rejects is a probe
 *   failure.
 * apply: never regenerates an existing key (every client would lose the gateway); an existing key
 *   with the wrong mode is chmod 600 (the old mode saved for revert). A missing key is generated
 *   under umask 077 into a temp file in the same directory and renamed into place. The public key is
 *   (re)written only when it differs, the old file backed up.
 * revert: removes what apply created (the key it generated, the public key file it created),
 *   restores what it changed (the key's mode, the old public key file).
 * undo: removes both files. A teardown is meant to leave the host as bare as before the first
 *   deploy, so the key goes too: the next deploy generates a new one, and clients must be given
 *   the new public key (fleet status and `wg show` print it).
 */
import { defineModule } from './define.js';
import path from 'node:path';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { absPath } from '../types/net.js';
import { shellFunction } from './common.js';

export const wireguardKeySchema = z
  .strictObject({
    path: absPath.describe('private key file, e.g. /etc/wireguard/wg0.key (its directory must exist)'),
    publicKeyPath: absPath.optional().describe('where to write the public key (mode 0644), e.g. /etc/wireguard/wg0.pub'),
  })
  .refine((a) => a.path !== a.publicKeyPath, { message: 'the public key cannot overwrite the private key', path: ['publicKeyPath'] });

export type WireguardKeyArgs = z.output<typeof wireguardKeySchema>;

function tmpIn(p: string): string {
  const dir = path.posix.dirname(p);
  return `${dir === '/' ? '' : dir}/.fleet-XXXXXX`;
}

function spec(a: WireguardKeyArgs) {
  const pub = a.publicKeyPath;
  const check = Shell.join([
    shellFunction(
      'fleet_key_check',
      Shell.join([
        sh`  [ -s ${a.path} ] || { echo ${`no key at ${a.path}`}; return 1; }`,
        sh`  fleet_mode=$(stat -c %a ${a.path}) || return 2`,
        sh`  [ "$fleet_mode" = 600 ] || { echo ${`${a.path} has mode`} "$fleet_mode"; return 1; }`,
        ...(pub
          ? [
              sh`  fleet_pub=$(wg pubkey < ${a.path}) || return 2`,
              sh`  [ -f ${pub} ] && [ "$(cat ${pub})" = "$fleet_pub" ] && return 0`,
              sh`  echo ${`${pub} is missing or does not match the key`}; return 1`,
            ]
          : []),
      ]),
    ),
    raw('fleet_key_check'),
  ]);

  const apply = Shell.join([
    shellFunction(
      'fleet_key_apply',
      Shell.join([
        raw('  umask 077'),
        sh`  if [ ! -s ${a.path} ]; then`,
        raw('    echo created > "$FLEET_STATE/key.created" || return'),
        sh`    fleet_tmp=$(mktemp ${tmpIn(a.path)}) || return`,
        sh`    wg genkey > "$fleet_tmp" && mv -f "$fleet_tmp" ${a.path} || { rm -f "$fleet_tmp"; return 1; }`,
        raw('  else'),
        sh`    fleet_mode=$(stat -c %a ${a.path}) || return`,
        sh`    if [ "$fleet_mode" != 600 ]; then printf '%s\\n' "$fleet_mode" > "$FLEET_STATE/key.mode" && chmod 600 ${a.path} || return; fi`,
        raw('  fi'),
        ...(pub
          ? [
              sh`  fleet_pub=$(wg pubkey < ${a.path}) || return`,
              sh`  [ -f ${pub} ] && [ "$(cat ${pub})" = "$fleet_pub" ] && return 0`,
              sh`  if [ -e ${pub} ]; then cp -p ${pub} "$FLEET_STATE/pub.backup" || return; else echo created > "$FLEET_STATE/pub.created" || return; fi`,
              sh`  fleet_tmp=$(mktemp ${tmpIn(pub)}) || return`,
              sh`  printf '%s\\n' "$fleet_pub" > "$fleet_tmp" && chmod 644 "$fleet_tmp" && mv -f "$fleet_tmp" ${pub} || { rm -f "$fleet_tmp"; return 1; }`,
            ]
          : []),
      ]),
    ),
    raw('fleet_key_apply'),
  ]);

  const revert = Shell.join([
    shellFunction(
      'fleet_key_revert',
      Shell.join([
        sh`  if [ -f "$FLEET_STATE/key.created" ]; then rm -f ${a.path} || return; fi`,
        sh`  if [ -s "$FLEET_STATE/key.mode" ] && [ -e ${a.path} ]; then chmod "$(cat "$FLEET_STATE/key.mode")" ${a.path} || return; fi`,
        ...(pub
          ? [
              sh`  if [ -f "$FLEET_STATE/pub.created" ]; then rm -f ${pub} || return; fi`,
              sh`  if [ -f "$FLEET_STATE/pub.backup" ]; then`,
              sh`    fleet_tmp=$(umask 077; mktemp ${tmpIn(pub)}) || return`,
              sh`    cp -p "$FLEET_STATE/pub.backup" "$fleet_tmp" && mv -f "$fleet_tmp" ${pub} || { rm -f "$fleet_tmp"; return 1; }`,
              raw('  fi'),
            ]
          : []),
        raw('  return 0'),
      ]),
    ),
    raw('fleet_key_revert'),
  ]);

  const undo = pub ? sh`rm -f ${a.path} ${pub}` : sh`rm -f ${a.path}`;
  return { check, apply, revert, undo };
}

const identity = (a: WireguardKeyArgs): string => a.path;

export const wireguardKey = defineModule({
  name: 'wireguard-key',
  schema: wireguardKeySchema,
  identity,
  render(a) {
    const s = spec(a);
    return {
      title: `wireguard key ${a.path}${a.publicKeyPath ? ` (public key ${a.publicKeyPath})` : ''}`,
      check: s.check,
      apply: s.apply,
      revert: s.revert,
      undo: s.undo,
      keeps: a.publicKeyPath ? [a.path, a.publicKeyPath] : [a.path],
    };
  },
});
