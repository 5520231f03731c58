/**
 * The metrics fleet publishes about its gateways, in one place so that `fleet status --format
 * prometheus` (src/metrics/status-metrics.ts) and the on-gateway textfile (roles/metrics, written
 * by src/metrics/textfile.sh) use the same names, types and help.
 *
 * Names follow Prometheus conventions: a `fleet_` prefix, the unit last (`_seconds`, `_bytes`),
 * `_total` for counters, booleans as 0/1 gauges, the state as one gauge per possible value.
 */
import type { MetricType } from './exposition.js';

export interface MetricDef {
  name: string;
  type: MetricType;
  help: string;
}

const def = (name: string, type: MetricType, help: string): MetricDef => ({ name, type, help });

/** Known only to a controller: whether it reached the host, and what the host is compared with its inventory. */
export const CONTROLLER_METRICS = {
  reachable: def('fleet_gateway_reachable', 'gauge', 'Whether fleet reached the gateway over SSH (1) or not (0).'),
  state: def('fleet_gateway_state', 'gauge', 'The gateway state as fleet status reports it: 1 for the current state, 0 for the others.'),
  drifted: def('fleet_gateway_drifted_resources', 'gauge', 'Resources whose live state differs from the inventory.'),
  lastDeploy: def('fleet_gateway_last_deploy_timestamp_seconds', 'gauge', 'When the last successful deploy finished, in seconds since the epoch.'),
  verifyOk: def('fleet_verify_success', 'gauge', 'Whether fleet verify proved every path of the gateway (1) or not (0).'),
  verifyPathOk: def('fleet_verify_path_success', 'gauge', 'Whether fleet verify proved one half of the gateway (1) or not (0).'),
} as const;

/** What a gateway can say about itself: both outputs carry these. */
export const GATEWAY_METRICS = {
  wgUp: def('fleet_wireguard_up', 'gauge', 'Whether the WireGuard interface is up (1) or not (0).'),
  peerHandshakeAge: def('fleet_wireguard_peer_last_handshake_age_seconds', 'gauge', "Seconds since the peer's latest WireGuard handshake (absent when it never had one)."),
  peerRx: def('fleet_wireguard_peer_receive_bytes_total', 'counter', 'Bytes the gateway received from the peer.'),
  peerTx: def('fleet_wireguard_peer_transmit_bytes_total', 'counter', 'Bytes the gateway sent to the peer.'),
  upstreamUp: def('fleet_upstream_up', 'gauge', "Whether the provider's tunnel is up (1) or not (0): the OpenVPN client runs and its tun has an address, or the WireGuard upstream has its address."),
  upstreamHandshakeAge: def('fleet_upstream_last_handshake_age_seconds', 'gauge', "Seconds since the upstream's latest handshake with the provider."),
  dnsmasqAnswering: def('fleet_dnsmasq_answering', 'gauge', 'Whether dnsmasq answers an internal name on the gateway (1) or not (0).'),
} as const;

export const GATEWAY_STATES = ['healthy', 'drifted', 'unhealthy', 'down'] as const;
