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
/**
 * The unit whose journal holds the client's log where it has no log file: where systemd runs, the
 * openvpn role runs the client as this unit (Debian's openvpn-client@ template, moved into the
 * namespace by fleet's drop-in). Not Debian's openvpn@fleet-provider.service: that one would be
 * another client, outside the namespace.
 */
export const OPENVPN_UNIT = 'openvpn-client@fleet-provider.service';

let cached: string | undefined;
function handshakeFunction(): string {
  return (cached ??= readFileSync(path.join(rolesDir(), 'metrics', 'templates', 'upstream-handshake.sh'), 'utf8'));
}

/** Defines `fleet_upstream_handshake` and sets `fleet_h_hs` to its answer (empty: unknown). */
export function upstreamHandshakeProbe(): Shell {
  return Shell.join([raw(handshakeFunction()), sh`fleet_h_hs=$(fleet_upstream_handshake ${OPENVPN_LOG} ${OPENVPN_UNIT})`]);
}
