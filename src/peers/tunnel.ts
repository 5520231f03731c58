/**
 * What a client sends into its tunnel. The gateway's promise (the client's address decides its
 * path) holds only for traffic that reaches the gateway, so a client is a full tunnel by default:
 * every destination goes to the gateway, which sends it out of the WAN or through the provider
 * by the client's half. A split client (`--split`) sends only the WireGuard subnet (where the
 * gateway's DNS answers) and the networks the operator names: the rest of its traffic never
 * meets the gateway, in either half.
 */
import { PeerError } from './allocate.js';

export interface TunnelChoice {
  /** Only the WireGuard subnet (and `extra`) instead of everything. */
  split?: boolean;
  /** More networks beside the WireGuard subnet (split clients only). */
  extra?: readonly string[];
}

/** The default routes of each address family the gateway's WireGuard subnet has. */
export const FULL_TUNNEL = ['0.0.0.0/0', '::/0'] as const;

export function clientAllowedIps(wgSubnets: readonly string[], choice: TunnelChoice): string[] {
  if (!choice.split) {
    if (choice.extra?.length) {
      throw new PeerError('--allowed-ips needs --split: a full-tunnel client already sends everything to the gateway', {
        hint: 'drop --allowed-ips, or add --split for a client that tunnels only the WireGuard subnet and these networks',
      });
    }
    return [...FULL_TUNNEL];
  }
  return [...new Set([...wgSubnets, ...(choice.extra ?? [])])];
}
