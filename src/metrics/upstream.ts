/**
 * Where a gateway tells when its OpenVPN client last shook hands with the provider: the log file
 * the openvpn role starts it with (--log), or the journal of the unit that runs it. One shell
 * function (roles/metrics/templates/upstream-handshake.sh) serves the status probe
 * (src/engine/status.ts) and, included in it, the textfile writer.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { rolesDir } from '../roles/defaults.js';
import { raw, sh, Shell } from '../shell/sh.js';

export const OPENVPN_LOG = '/run/fleet/openvpn.log';
/** Debian's openvpn@.service for /etc/openvpn/fleet-provider.conf, where a unit runs the client. */
export const OPENVPN_UNIT = 'openvpn@fleet-provider.service';

let cached: string | undefined;
function handshakeFunction(): string {
  return (cached ??= readFileSync(path.join(rolesDir(), 'metrics', 'templates', 'upstream-handshake.sh'), 'utf8'));
}

/** Defines `fleet_upstream_handshake` and sets `fleet_h_hs` to its answer (empty: unknown). */
export function upstreamHandshakeProbe(): Shell {
  return Shell.join([raw(handshakeFunction()), sh`fleet_h_hs=$(fleet_upstream_handshake ${OPENVPN_LOG} ${OPENVPN_UNIT})`]);
}
