/**
 * package: a Debian package is installed.
 *
 * check: `dpkg-query -W -f='${db:Status-Abbrev}' NAME` prints `ii ` (wanted install, installed).
 *   dpkg-query exits 1 for a package it has never heard of: absent. Any other failure is a probe
 *   failure. On 1 it prints the status it found.
 * apply: `apt-get install -y --no-install-recommends NAME`, noninteractive, keeping existing
 *   conffiles (a conffile prompt would read stdin, which a fragment must never do), stdin from
 *   /dev/null. Only when apt says it cannot find the package (stale or missing lists) does it run
 *   `apt-get update` and try once more. apt's chatter stays off stdout (the engine's step markers
 *   live there); on failure its last lines go to stderr.
 * revert, undo: nothing. Packages are never removed by fleet: a package may have been there before
 *   fleet (dpkg does not say who asked for it), other software may need it, and removing one is
 *   not a rollback of anything fleet configured. `teardown: false` says so to the engine.
 */
import { defineModule } from './define.js';
import { z } from 'zod';
import { Shell, raw, sh } from '../shell/sh.js';
import { shellFunction } from './common.js';
import { type Proof } from './facts.js';

export const packageSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9+.-]+$/, 'expected a Debian package name (lowercase letters, digits, + - .)')
    .describe('Debian package name, e.g. wireguard-tools'),
});

export type PackageArgs = z.output<typeof packageSchema>;

function spec(a: PackageArgs) {
  const install = sh`apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ${a.name}`;
  return {
    check: Shell.join([
      shellFunction(
        'fleet_pkg_check',
        Shell.join([
          sh`  if fleet_st=$(dpkg-query -W -f='\${db:Status-Abbrev}' ${a.name} 2>/dev/null); then :; else`,
          raw('    [ $? -eq 1 ] || return 2'),
          sh`    echo ${`${a.name} is not installed`}; return 1`,
          raw('  fi'),
          raw(`  [ "$fleet_st" = 'ii ' ] && return 0`),
          sh`  echo ${`${a.name} status:`} "$fleet_st"; return 1`,
        ]),
      ),
      raw('fleet_pkg_check'),
    ]),
    apply: Shell.join([
      shellFunction(
        'fleet_pkg_install',
        Shell.join([
          raw('  DEBIAN_FRONTEND=noninteractive; export DEBIAN_FRONTEND'),
          sh`  fleet_out=$(${install} </dev/null 2>&1) && return 0`,
          raw(`  case $fleet_out in *'Unable to locate package'*|*'has no installation candidate'*) ;; *)`),
          raw(`    printf '%s\\n' "$fleet_out" | tail -n 20 >&2; return 1 ;;`),
          raw('  esac'),
          raw(`  fleet_out=$(apt-get update -q </dev/null 2>&1) || { printf '%s\\n' "$fleet_out" | tail -n 20 >&2; return 1; }`),
          sh`  fleet_out=$(${install} </dev/null 2>&1) && return 0`,
          raw(`  printf '%s\\n' "$fleet_out" | tail -n 20 >&2; return 1`),
        ]),
      ),
      raw('fleet_pkg_install'),
    ]),
  };
}

/** The plan's proof (facts.ts) that the check would say 0: dpkg status `ii`. */
function packageProof(name: string): Proof {
  return { needs: [{ kind: 'package', name }], lines: [`pkg ${name} ii`] };
}

const identity = (a: PackageArgs): string => a.name;

export const pkg = defineModule({
  name: 'package',
  schema: packageSchema,
  identity,
  render(a) {
    const s = spec(a);
    const never = raw(': packages are never removed by fleet');
    return {
      title: `package ${a.name} installed`,
      check: s.check,
      proof: packageProof(a.name),
      apply: s.apply,
      revert: never,
      undo: never,
      teardown: false,
    };
  },
});
