/**
 * What `fleet status` calls a healthy gateway, as slots a role's task can fill (`health:` in
 * tasks.yaml): the engine reads the declared resources' liveness and never names a role.
 */
export const HEALTH_SLOTS = ['wireguard', 'openvpn', 'tunnel', 'dnsmasq'] as const;
export type HealthSlot = (typeof HEALTH_SLOTS)[number];
