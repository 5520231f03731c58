/** The roles, in the order a deploy applies them (teardown runs in reverse). */
export const ROLE_ORDER = ['packages', 'wireguard', 'dnsmasq', 'namespace', 'openvpn', 'routing', 'firewall'] as const;
export type RoleName = (typeof ROLE_ORDER)[number];
