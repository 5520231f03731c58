/**
 * The roles, in the order a deploy applies them (teardown runs in reverse). OpenVPN starts last:
 * its connection leaves the namespace through the host's NAT (firewall), and the kill switch is in
 * place before the tunnel first comes up.
 */
export const ROLE_ORDER = ['packages', 'wireguard', 'dnsmasq', 'namespace', 'routing', 'firewall', 'openvpn'] as const;
export type RoleName = (typeof ROLE_ORDER)[number];
